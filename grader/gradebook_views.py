"""The results folder's files, written from the gradebook database: gradebook.csv, each
student's JSON report (a hand-graded part's score, status and feedback once it is marked),
_batch.json's totals, and the import files for Gradescope and Canvas (grader/exports.py).

So the class report, which reads the reports, and every spreadsheet see manual points, and a
batch re-run (which rewrites the reports with the automatic results) gets them back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader import gradebook_db as db

MANIFEST = "_batch.json"
GRADEBOOK = "gradebook.csv"


def final_scores(conn) -> tuple[list[str], list[dict[str, Any]]]:
    """(part ids, one dict per student: student, status, note, file, scores {part: score},
    total), automatic results with the manual marks laid over them."""
    part_rows = db.parts(conn)
    ids = [p["id"] for p in part_rows]
    manual_parts = {p["id"] for p in part_rows if p["manual"]}
    manual = db.manual_scores(conn)
    auto: dict[str, dict[str, float | None]] = {}
    cur = conn.cursor()
    cur.row_factory = None  # plain tuples: a class has tens of thousands of results
    for student, part_id, score in cur.execute("SELECT student, part, score FROM results"):
        auto.setdefault(student, {})[part_id] = score
    out = []
    for s in conn.execute("SELECT * FROM submissions ORDER BY student"):
        sid = s["student"]
        if s["status"] == "error":
            scores = {p: None for p in ids}
            total = None
        else:
            mine = auto.get(sid, {})
            scores = {p: mine.get(p) or 0.0 for p in ids}
            for p in manual_parts:
                got = manual.get((sid, p))
                if got is not None:
                    scores[p] = got
            total = round(sum(scores.values()), 6)
        out.append({"student": sid, "status": s["status"], "note": s["note"], "file": s["report_file"],
                    "scores": scores, "total": total})
    return ids, out


def write_gradebook_csv(folder: Path, conn, final=None) -> Path:
    """Rewrite gradebook.csv with the final scores (automatic results plus manual marks)."""
    from grader.gradebook import Row, write_gradebook

    ids, students = final or final_scores(conn)
    rows = [Row(student=s["student"], status=s["status"], scores=[s["scores"][p] for p in ids],
                total=s["total"], note=s["note"]) for s in students]
    return write_gradebook(folder / GRADEBOOK, ids, rows)


def _feedback(items: dict[int, Any], state: dict[str, Any]) -> str:
    lines = [f"{items[i].text} ({items[i].points:+g} pt)" for i in state["items"] if i in items]
    text = "Marked by hand. " + ("Rubric: " + "; ".join(lines) + "." if lines else "No rubric item applied.")
    if state["adjustment"]:
        text += f" Adjustment: {state['adjustment']:+g} pt."
    if state["comment"]:
        text += f" Comment: {state['comment']}"
    return text


def _status(score: float, top: float) -> str:
    if top > 0 and score >= top - 1e-9:
        return "correct"
    return "partial" if score > 0 else "incorrect"


def rewrite_reports(folder: Path, conn, students: list[str] | None = None) -> int:
    """Lay the manual marks over the students' JSON reports (all, or the ones named); a part
    whose mark was cleared gets its automatic result back. Returns how many were written."""
    from grader.batch import _write_text
    from grader.formats.json_report import dumps

    manual_parts = {p["id"]: p["max_score"] for p in db.parts(conn, manual_only=True)}
    if not manual_parts:
        return 0
    wanted = None if students is None else set(students)
    subs = [r for r in conn.execute("SELECT student, report_file FROM submissions WHERE status != 'error'")
            if wanted is None or r["student"] in wanted]
    auto = {(r["student"], r["part"]): r for r in conn.execute(
        "SELECT student, part, score, status, feedback FROM results WHERE part IN "
        f"({','.join('?' * len(manual_parts))})", list(manual_parts))}
    marks = {(r["student"], r["part"]): dict(r) for r in conn.execute("SELECT * FROM marks")}
    for r in conn.execute("SELECT student, part, item FROM applied ORDER BY item"):
        if (r["student"], r["part"]) in marks:
            marks[(r["student"], r["part"])].setdefault("items", []).append(r["item"])
    rubrics = {pid: {i.id: i for i in db.rubric(conn, pid)} for pid in manual_parts}
    scores = db.manual_scores(conn)
    written = 0
    for sub in subs:
        path = folder / sub["report_file"]
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a report the batch did not write: nothing to lay marks over
        pending = 0.0
        for p in report.get("parts", []):
            pid = p.get("id")
            if pid not in manual_parts:
                continue
            key = (sub["student"], pid)
            if key in marks:
                state = {"items": [], **marks[key]}
                p["score"] = scores.get(key, 0.0)
                p["status"] = _status(p["score"], manual_parts[pid])
                p["feedback"] = _feedback(rubrics[pid], state)
                p["marked_by"] = state["graded_by"]
            else:
                a = auto.get(key)
                if a is not None:
                    p["score"], p["status"], p["feedback"] = a["score"] or 0.0, a["status"], a["feedback"]
                p.pop("marked_by", None)
                pending += float(p.get("max_score") or 0)
        report["score"] = round(sum(float(p.get("score") or 0) for p in report.get("parts", [])) + 0.0, 6)
        if "manual_points" in report:
            report["manual_points"] = round(pending, 6)
        _write_text(path, dumps(report))
        written += 1
    return written


def rewrite_manifest_totals(folder: Path, conn, final=None) -> None:
    """Update each student's total in the results index after marking; a missing or unreadable index is left alone."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    _, students = final or final_scores(conn)
    totals = {s["student"]: s["total"] for s in students}
    for entry in manifest.get("students", []):
        if entry.get("student") in totals:
            entry["total"] = totals[entry["student"]]
    from grader.batch import _write_text
    from grader.formats.json_report import dumps

    _write_text(path, dumps(manifest, compact=True))


def refresh(folder: str | Path, conn=None, *, everything: bool = False) -> list[Path]:
    """Rewrite what changed since the last refresh (all of it with `everything`)."""
    from grader.exports import write_exports

    folder = Path(folder)
    own = conn is None
    conn = conn or db.connect(folder)
    try:
        dirty = db.take_dirty(conn)
        if not dirty and not everything:
            return []
        rewrite_reports(folder, conn, None if everything else dirty)
        final = final_scores(conn)
        rewrite_manifest_totals(folder, conn, final)
        return [write_gradebook_csv(folder, conn, final), *write_exports(folder, conn, final)]
    finally:
        if own:
            conn.close()


def has_marks(conn) -> bool:
    """Whether anyone has marked anything yet (if not, the batch's own files already say what the database says)."""
    return conn.execute("SELECT EXISTS (SELECT 1 FROM marks)").fetchone()[0] == 1


def after_batch(folder: Path, problem, outcomes=None, entries: list[dict[str, Any]] | None = None,
                build: db.FreshBuild | None = None) -> None:
    """Called by `--batch --out` once its files are written: record the run in the database
    and lay the manual marks kept there back over the fresh files. `entries`: the students of
    _batch.json as written (else the file is read); `build`: the new database the batch has
    been filling while it graded. The reports are read only when the problem has hand-graded
    parts and a student's outcome lacks them; scores come from the run."""
    from grader.exports import export_texts, write_exports, write_texts

    if entries is None:
        entries = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("students", [])
    students = _recorded(folder, problem, outcomes, entries)
    ids = [p.id for p in problem.parts]
    try:
        if build is not None and not build.holds_rows_of(students):
            build.abandon()
            build = None
        if build is None and db.replaceable(folder):
            build = db.FreshBuild(folder, problem, len(students))
        if build is not None:
            build.finish(problem, students)
            assert build.conn is not None
            texts = export_texts(build.conn, _automatic_totals(ids, students))  # nobody has marked in it
            if build.install():
                write_texts(folder, texts)
                return
    finally:
        if build is not None:
            build.abandon()
    db.record_batch(folder, problem, students)  # a database with marks: updated in place
    conn = db.connect(folder)
    try:
        db.take_dirty(conn)
        marked = has_marks(conn)
        if marked:  # else the batch's own files are already what the database says
            rewrite_reports(folder, conn, [r[0] for r in conn.execute("SELECT DISTINCT student FROM marks")])
            final = final_scores(conn)
            rewrite_manifest_totals(folder, conn, final)
            write_gradebook_csv(folder, conn, final)
        else:
            final = _automatic_totals(ids, students)
        write_exports(folder, conn, final)
    finally:
        conn.close()


def _recorded(folder: Path, problem, outcomes, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What record_batch is given for each student: the index entry, with the student's
    results rows (made by the worker) or parts."""
    manual = {p.id for p in problem.parts if p.kind.by_hand}
    ids = [p.id for p in problem.parts]
    by_student = {o.student: o for o in outcomes or []}
    students = []
    for entry in entries:
        parts: list[dict[str, Any]] = []
        got = by_student.get(entry["student"])
        if got is not None and got.db_rows is not None:  # made by the worker (batch.with_rows)
            students.append({**entry, "rows": got.db_rows})
            continue
        if got is not None and entry.get("status") != "error" and "manual" in got.extra:
            kept = got.extra["manual"]
            parts = [{"id": pid, "score": score, "status": kept[pid][1] if pid in kept else got.status,
                      "answer": kept[pid][0] if pid in kept else None,
                      "feedback": kept[pid][2] if pid in kept else ""} for pid, score in zip(ids, got.scores)]
        elif entry.get("status") != "error" and (manual or got is None):
            try:
                report = json.loads((folder / entry["file"]).read_text(encoding="utf-8"))
                parts = [{**p, "answer": p.get("answer") if p.get("id") in manual else None,
                          "feedback": p.get("feedback") if p.get("id") in manual else ""}
                         for p in report.get("parts", [])]
            except (OSError, ValueError):
                parts = []
        elif got is not None:
            parts = [{"id": pid, "score": score, "status": got.status} for pid, score in zip(ids, got.scores)]
        students.append({**entry, "parts": parts})
    return students


def _automatic_totals(ids: list[str], students: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """What final_scores gives the exports (student, status, total) when nobody has marked
    anything: the run's own scores, as recorded, without reading them back."""
    out = []
    for s in students:
        total = None
        if s["status"] != "error":
            if "rows" in s:  # one per part, in the spec's order
                got = db.row_scores(s["rows"])
                scores = got + [None] * (len(ids) - len(got)) if len(got) <= len(ids) else None
            else:
                scores = None
            if scores is None:
                mine = {p["id"]: p.get("score") for p in s["parts"]}  # the last row of a part wins
                scores = [mine.get(p) for p in ids]
            # as read back: SQLite keeps a NaN as NULL
            total = round(sum([x or 0.0 if x == x else 0.0 for x in scores]), 6)
        out.append({"student": db._text(s["student"]), "status": s["status"], "total": total})
    out.sort(key=lambda s: s["student"])  # ORDER BY student: UTF-8 byte order, which is code point order
    return ids, out
