"""The marking web app: a Flask application over the results folder's gradebook database.

Every request needs the session token: the page's URL carries it once (`?token=`), the page
then sends it in the `X-Token` header, and a cookie (HttpOnly, SameSite=Strict) lets the
browser fetch the page's own scripts, styles and fonts. Writes accept the header only, which a
page from another origin cannot send without a CORS preflight this app never grants. Requests
naming another host than the one bound are refused (DNS rebinding).
"""

from __future__ import annotations

import hmac
import threading
import time
from html import escape
from pathlib import Path
from typing import Any

from grader import gradebook_db as db
from grader.marking import render

STATIC = Path(__file__).parent / "static"
COOKIE = "grader_mark_token"
EXPORTS = ("gradebook.csv", "canvas.csv", "gradescope.csv")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
       "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")


class Refresher:
    """Rewrites gradebook.csv, the reports and the exports shortly after marks change, in one
    background thread, so a mark's request never waits for a thousand files."""

    def __init__(self, folder: Path, delay: float = 0.5):
        self.folder, self.delay = folder, delay
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="grader-mark-refresh", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Ask for a rewrite soon; returns at once (marks made within ``delay`` share one rewrite)."""
        self._wake.set()

    def flush(self) -> None:
        """Rewrite the gradebook files now, in the caller's thread (serialized with the background rewrites)."""
        from grader.gradebook_views import refresh

        with self._lock:
            refresh(self.folder)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                break
            self._stop.wait(self.delay)  # gather a burst of marks into one rewrite
            self._wake.clear()
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001 - the database keeps the marks; say so and go on
                import sys

                print(f"grader mark: could not rewrite the gradebook files: {exc}", file=sys.stderr)

    def close(self) -> None:
        """Stop the background thread and write the files one last time, so nothing marked is left out."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()


def create_app(folder: str | Path, token: str, *, grader_name: str = "TA", allowed_hosts: set[str] | None = None,
               refresher: Refresher | None = None):
    """The marking app's Flask object over a results folder's gradebook; every request needs ``token``,
    and ``allowed_hosts`` (when set) guards a local server against DNS rebinding."""
    from flask import Flask, Response, abort, g, jsonify, make_response, request, send_from_directory

    folder = Path(folder)
    db.connect(folder).close()  # fails early, with the reason, when there is no database
    app = Flask("grader.marking", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    local = threading.local()

    def conn():
        c = getattr(local, "conn", None)
        if c is None:
            c = local.conn = db.connect(folder)
        return c

    def changed() -> None:
        if refresher is not None:
            refresher.poke()

    def _token_ok(value: str | None) -> bool:
        return value is not None and value != "" and hmac.compare_digest(value.encode(), token.encode())

    @app.before_request
    def _clock():
        g.started = (time.perf_counter(), time.thread_time())

    @app.before_request
    def _guard():
        host = (request.host or "").lower()
        if allowed_hosts is not None and host not in allowed_hosts:
            abort(403)
        if request.method in ("GET", "HEAD"):
            if not (_token_ok(request.headers.get("X-Token")) or _token_ok(request.args.get("token"))
                    or _token_ok(request.cookies.get(COOKIE))):
                abort(403)
        elif request.method == "POST":
            if not _token_ok(request.headers.get("X-Token")):
                abort(403)
            if not request.is_json:
                abort(415)
        else:
            abort(405)

    @app.after_request
    def _headers(resp):
        if "started" in g:  # Server-Timing (W3C): the handler's wall time and its thread's CPU time
            wall, cpu = time.perf_counter() - g.started[0], time.thread_time() - g.started[1]
            resp.headers["Server-Timing"] = f"app;dur={wall * 1000:.1f}, cpu;dur={cpu * 1000:.1f}"
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(db.NotFound)
    def _not_found(exc):
        return jsonify(error=str(exc)), 404

    @app.errorhandler(db.Conflict)
    def _conflict(exc):
        return jsonify(error=str(exc), current=exc.current), 409

    @app.errorhandler(ValueError)
    def _bad(exc):
        return jsonify(error=str(exc)), 400

    def who() -> str:
        name = " ".join(str(request.headers.get("X-Grader") or "").split())[:80]
        return name or grader_name

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ValueError("the request body must be a JSON object")
        return data

    def students_of(data) -> list[str]:
        students = data.get("students")
        if not isinstance(students, list) or not all(isinstance(s, str) for s in students) or not students:
            raise ValueError("students must be a non-empty list of ids")
        return students

    def part_id() -> str:
        pid = request.args.get("part") or ""
        db.part(conn(), pid)
        return pid

    @app.get("/")
    def index():
        c = conn()
        title = c.execute("SELECT value FROM meta WHERE key='title'").fetchone()
        page = PAGE.format(title=escape(title[0] if title else "grader mark"), name=escape(grader_name))
        resp = make_response(page)
        resp.headers["Content-Type"] = "text/html; charset=utf-8"
        resp.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
        return resp

    @app.get("/favicon.ico")
    def favicon():
        return Response(status=204)

    @app.get("/static/<path:name>")
    def static_file(name):
        return send_from_directory(STATIC, name, max_age=0)

    @app.get("/static/code.css")
    def code_css():
        return Response(render.code_css(), mimetype="text/css")

    @app.get("/api/parts")
    def api_parts():
        return jsonify(parts=db.progress(conn()))

    variants: dict[str, tuple[int, dict[str, str]]] = {}  # this app's: the texts per index stamp

    def with_variants(view: dict) -> dict:
        """Each student's own numbers beside their name (the prompt shows `[eta]`); read again
        when the results folder's index changes (a batch re-run)."""
        from grader.variants import variant_texts

        try:
            stamp = (Path(folder) / "_batch.json").stat().st_mtime_ns
        except OSError:
            stamp = -1
        if variants.get("texts", (None,))[0] != stamp:
            variants["texts"] = (stamp, variant_texts(folder))
        texts = variants["texts"][1]
        if texts:
            for group in view["groups"]:
                for s in group["students"]:
                    s["variant"] = texts.get(s["student"], "")
        return view

    @app.get("/api/part")
    def api_part():
        view = with_variants(db.part_view(conn(), part_id()))
        for group in view["groups"]:
            group["pieces"] = render.pieces(group.pop("answer"))
        return jsonify(view)

    @app.get("/api/part/marks")
    def api_part_marks():
        """Only the marks (no answers): what the page polls to show other TAs' work."""
        view = with_variants(db.part_view(conn(), part_id()))
        return jsonify(progress=view["progress"], rubric=view["rubric"],
                       groups=[{"key": g["key"], "students": g["students"]} for g in view["groups"]])

    def states(pid: str, students: list[str]):
        return jsonify(students=db.mark_states(conn(), pid, students), progress=db.part_progress(conn(), pid))

    @app.post("/api/apply")
    def api_apply():
        data = body()
        pid, students = part_id(), students_of(data)
        item = data.get("item")
        if not isinstance(item, int) or isinstance(item, bool):
            raise ValueError("item must be a rubric item id")
        db.set_item(conn(), pid, students, item, bool(data.get("on")), who())
        changed()
        return states(pid, students)

    @app.post("/api/graded")
    def api_graded():
        data = body()
        pid, students = part_id(), students_of(data)
        db.set_graded(conn(), pid, students, who())
        changed()
        return states(pid, students)

    @app.post("/api/clear")
    def api_clear():
        data = body()
        pid, students = part_id(), students_of(data)
        db.clear_mark(conn(), pid, students, who())
        changed()
        return states(pid, students)

    @app.post("/api/feedback")
    def api_feedback():
        data = body()
        pid = part_id()
        student = data.get("student")
        if not isinstance(student, str):
            raise ValueError("student must be an id")
        comment = data.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise ValueError("comment must be text")
        adjustment = _number(data.get("adjustment"), "adjustment", optional=True)
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("version must be the mark's version number")
        state = db.set_feedback(conn(), pid, student, comment=comment, adjustment=adjustment,
                                version=version, who=who())
        changed()
        return jsonify(students=[state])

    @app.post("/api/item")
    def api_item():
        data = body()
        item = data.get("id")
        if item is None:
            pid = part_id()
            text = data.get("text")
            if not isinstance(text, str) or not text.strip():
                raise ValueError("a rubric item needs a text")
            new = db.add_item(conn(), pid, text.strip(), _number(data.get("points"), "points"), who())
            return jsonify(item=new.__dict__)
        if not isinstance(item, int) or isinstance(item, bool):
            raise ValueError("id must be a rubric item id")
        if data.get("delete"):
            db.delete_item(conn(), item, who())
            changed()
            return jsonify(deleted=item)
        text = data.get("text")
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise ValueError("a rubric item needs a text")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("version must be the item's version number")
        new = db.edit_item(conn(), item, text=text.strip() if text else None,
                           points=_number(data.get("points"), "points", optional=True), version=version,
                           who=who())
        changed()
        return jsonify(item=new.__dict__)

    @app.get("/export/<name>")
    def export(name):
        if name not in EXPORTS:
            abort(404)
        if refresher is not None:
            refresher.flush()
        else:
            from grader.gradebook_views import refresh

            refresh(folder, everything=True)
        resp = send_from_directory(folder, name, as_attachment=True, max_age=0)
        resp.headers["Content-Type"] = "text/csv; charset=utf-8"
        return resp

    @app.get("/api/history")
    def api_history():
        return jsonify(history=db.history(conn(), 200))

    return app


def _number(value: Any, name: str, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    value = float(value)
    if value != value or abs(value) > 1e6:
        raise ValueError(f"{name} must be a finite number")
    return value


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Marking: {title}</title>
<link rel="stylesheet" href="static/katex/katex.min.css">
<link rel="stylesheet" href="static/code.css">
<link rel="stylesheet" href="static/marking.css">
<script defer src="static/katex/katex.min.js"></script>
<script defer src="static/katex/auto-render.min.js"></script>
<script defer src="static/marking.js"></script>
</head><body>
<header><h1>{title}</h1>
<label>Grader <input id="who" value="{name}" maxlength="80" autocomplete="off"></label>
<span id="downloads"><a href="export/gradebook.csv">gradebook.csv</a>
<a href="export/canvas.csv" title="Canvas: Grades, Import">canvas.csv</a>
<a href="export/gradescope.csv"
   title="the columns of Gradescope's score export (Gradescope has no score import)">gradescope.csv</a></span>
</header>
<main>
<nav id="parts" aria-label="hand-graded parts"></nav>
<section id="part"><p class="hint">Choose a part on the left.</p></section>
</main>
<footer id="keys">Keys: <kbd>1</kbd>&ndash;<kbd>9</kbd> toggle rubric item, <kbd>0</kbd> graded with no item,
<kbd>j</kbd>/<kbd>&darr;</kbd> next, <kbd>k</kbd>/<kbd>&uarr;</kbd> previous, <kbd>n</kbd> next ungraded (then next part),
<kbd>c</kbd> comment, <kbd>Esc</kbd> leave a field. <span id="status" role="status"></span></footer>
</body></html>
"""
