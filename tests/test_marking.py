"""The gradebook database, the views written from it, and the marking app (through Flask's test
client and through the real server): marks, answer groups, rubric edits re-scoring, concurrent
TAs, the token, and hostile student text."""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from grader import gradebook_db as db
from grader.gradebook import read_gradebook
from tests.marking_class import HOSTILE, PROBLEM, grade_class, write_class

pytest.importorskip("flask", reason="the marking app's packages (the 'mark' extra) are not installed")
TOKEN = "test-token-123"
H = {"X-Token": TOKEN}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("marking")
    return grade_class(write_class(base / "subs", 60, seed=3), base / "results")


@pytest.fixture
def results(graded, tmp_path) -> Path:
    """A fresh copy of the graded class for each test (marks do not leak between tests)."""
    import shutil

    out = tmp_path / "results"
    shutil.copytree(graded, out)
    return out


@pytest.fixture
def client(results):
    from grader.marking.app import create_app

    return create_app(results, TOKEN, grader_name="ta-one").test_client()


def _view(client, part):
    r = client.get(f"/api/part?part={part}", headers=H)
    assert r.status_code == 200, r.data
    return r.get_json()


def _apply(client, part, students, item, on=True, who="ta-one"):
    return client.post(f"/api/apply?part={part}", json={"students": students, "item": item, "on": on},
                       headers={**H, "X-Grader": who})


def _gradebook(results):
    from grader.gradebook_views import refresh

    refresh(results)
    return {r["student"]: r for r in read_gradebook(results / "gradebook.csv")}


# ---------------------------------------------------------------- the database

def test_batch_writes_a_versioned_database_with_every_student_and_the_spec_rubric(results):
    conn = db.connect(results)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 60
    manual = [p["id"] for p in db.parts(conn, manual_only=True)]
    assert manual[:3] == ["3.1", "3.2", "3.3"] and len(manual) == 17
    items = db.rubric(conn, "3.3")
    assert [i.points for i in items] == [1.25, 1.25, 1.25, 0.5, 1.25]
    assert items[0].text.startswith("The transformer assumes a fully connected network")
    # automatic results are there; a hand-graded part's answer is kept for the TA to see
    row = conn.execute("SELECT score, answer FROM results WHERE student='s0000' AND part='1.1'").fetchone()
    assert row["score"] == 2
    row = conn.execute("SELECT score, answer FROM results WHERE student='s0000' AND part='3.2'").fetchone()
    assert row["score"] == 0 and row["answer"] is not None and json.loads(row["answer"]).startswith("3.2: ")


def test_identical_answers_form_one_group_and_one_decision_marks_it(client, results):
    view = _view(client, "3.1")
    assert view["progress"] == {"graded": 0, "total": 60}
    groups = view["groups"]
    assert sum(g["size"] for g in groups) == 60
    assert groups[0]["size"] >= groups[-1]["size"]  # largest first
    # whitespace differences do not split a group; case does (x and X are different in math)
    assert db.normalize_answer("a  b\n c ") == db.normalize_answer("a b c")
    assert db.normalize_answer("X") != db.normalize_answer("x")
    big = groups[0]
    item = view["rubric"][0]
    r = _apply(client, "3.1", [s["student"] for s in big["students"]], item["id"])
    assert r.status_code == 200
    assert r.get_json()["progress"]["graded"] == big["size"]
    book = _gradebook(results)
    for s in big["students"]:
        assert book[s["student"]]["3.1"] == "2"
        assert float(book[s["student"]]["total"]) == float(_auto_total(results, s["student"])) + 2
    others = {s["student"] for g in groups[1:] for s in g["students"]}
    assert all(book[o]["3.1"] == "0" for o in others)


def _auto_total(results, student):
    conn = sqlite3.connect(results / db.DB_NAME)
    return conn.execute("SELECT SUM(score) FROM results WHERE student=?", (student,)).fetchone()[0]


def test_editing_an_item_rescores_everyone_it_was_applied_to(client, results):
    view = _view(client, "3.3")
    item = view["rubric"][0]
    g0, g1 = view["groups"][0], view["groups"][1]
    s0 = [s["student"] for s in g0["students"]]
    assert _apply(client, "3.3", s0, item["id"]).status_code == 200
    assert _apply(client, "3.3", [g1["students"][0]["student"]], view["rubric"][1]["id"]).status_code == 200
    r = client.post("/api/item?part=3.3", json={"id": item["id"], "points": 0.75, "version": item["version"]},
                    headers=H)
    assert r.status_code == 200 and r.get_json()["item"]["points"] == 0.75
    book = _gradebook(results)
    assert {book[s]["3.3"] for s in s0} == {"0.75"}
    assert book[g1["students"][0]["student"]]["3.3"] == "1.25"  # not applied there: unchanged
    # an edit from a stale page (old version) is refused with the current item
    r = client.post("/api/item?part=3.3", json={"id": item["id"], "points": 3, "version": item["version"]},
                    headers=H)
    assert r.status_code == 409 and r.get_json()["current"]["points"] == 0.75
    # the reports (what the class report reads) carry the manual points and the rubric applied
    report = json.loads((results / f"{s0[0]}.json").read_text())
    part = next(p for p in report["parts"] if p["id"] == "3.3")
    assert part["score"] == 0.75 and part["status"] == "partial"
    assert "fully connected network" in part["feedback"] and "+0.75 pt" in part["feedback"]
    assert report["score"] == pytest.approx(51 + 0.75)


def test_score_is_capped_at_the_part_points_and_adjustments_count(client, results):
    view = _view(client, "7.1")  # alternatives: 6 points of items on a 4-point part
    student = view["groups"][0]["students"][0]["student"]
    for item in view["rubric"]:
        assert _apply(client, "7.1", [student], item["id"]).status_code == 200
    assert _gradebook(results)[student]["7.1"] == "4"
    state = db.mark_state(db.connect(results), student, "7.1")
    r = client.post("/api/feedback?part=7.1", json={"student": student, "comment": "see margin",
                                                       "adjustment": -1.5, "version": state["version"]}, headers=H)
    assert r.status_code == 200 and r.get_json()["students"][0]["score"] == 4  # 6 - 1.5, capped at 4
    r = client.post("/api/feedback?part=7.1", json={"student": student, "adjustment": -10,
                                                       "version": r.get_json()["students"][0]["version"]}, headers=H)
    assert r.get_json()["students"][0]["score"] == 0  # never below 0
    from grader.gradebook_views import refresh

    refresh(results)
    report = json.loads((results / f"{student}.json").read_text())
    part = next(p for p in report["parts"] if p["id"] == "7.1")
    assert part["score"] == 0 and part["status"] == "incorrect"
    assert "Adjustment: -10 pt." in part["feedback"] and "Comment: see margin" in part["feedback"]


def test_graded_with_no_item_and_back_to_ungraded(client, results):
    view = _view(client, "4.1")
    student = view["groups"][0]["students"][0]["student"]
    r = client.post("/api/graded?part=4.1", json={"students": [student]}, headers=H)
    assert r.status_code == 200 and r.get_json()["students"][0] == {**r.get_json()["students"][0], "graded": True, "score": 0}
    assert _view(client, "4.1")["progress"]["graded"] == 1
    r = client.post("/api/clear?part=4.1", json={"students": [student]}, headers=H)
    assert r.get_json()["students"][0]["graded"] is False
    assert _view(client, "4.1")["progress"]["graded"] == 0
    # the history keeps both, with who did it
    hist = client.get("/api/history", headers=H).get_json()["history"]
    assert [h["action"] for h in hist[:2]] == ["clear", "graded"] and hist[0]["who"] == "ta-one"


def test_manual_marks_survive_a_batch_rerun(results, tmp_path):
    from grader.gradebook_views import refresh

    conn = db.connect(results)
    item = db.rubric(conn, "3.1")[0]
    db.set_item(conn, "3.1", ["s0001", "s0002"], item.id, True, "ta")
    conn.close()
    refresh(results)
    assert read_gradebook(results / "gradebook.csv")[1]["3.1"] == "2"
    # re-grade the same class into the same folder (a spec fix, say): marks come back everywhere
    subs = tmp_path / "subs"
    write_class(subs, 60, seed=3)
    grade_class(subs, results)
    rows = {r["student"]: r for r in read_gradebook(results / "gradebook.csv")}
    assert rows["s0001"]["3.1"] == "2" and rows["s0002"]["3.1"] == "2" and rows["s0003"]["3.1"] == "0"
    report = json.loads((results / "s0001.json").read_text())
    assert next(p for p in report["parts"] if p["id"] == "3.1")["score"] == 2
    conn = db.connect(results)
    assert [h["action"] for h in db.history(conn)][:2] == ["batch", "apply"]


def test_a_spec_fix_rerun_keeps_marks_and_app_edits_and_adds_new_rubric_items(results, tmp_path):
    """The issue's case: the spec is fixed (here: 7.1's rubric gains an item) and the class is
    graded again into the same folder. Marks, and an item's points edited in the app, stay; the
    new item appears; the files show the marks."""
    import shutil

    from grader.cli import main
    from tests.marking_class import PROBLEM  # noqa: F811

    conn = db.connect(results)
    first = db.rubric(conn, "7.1")[0]
    db.set_item(conn, "7.1", ["s0001"], first.id, True, "ta")
    db.edit_item(conn, first.id, text=None, points=1.5, version=first.version, who="ta")
    conn.close()
    fixed = tmp_path / "uva-dl1-resit-2022"
    shutil.copytree(PROBLEM, fixed)
    spec = fixed / "problem.yaml"
    line = '      - {item: "Initialization with constant init. Better: kaiming/Xavier", points: 2}\n'
    text = spec.read_text(encoding="utf-8")
    assert line in text
    spec.write_text(text.replace(line, line + '      - {item: "Names the missing validation plot", points: 1}\n'),
                    encoding="utf-8")
    subs = tmp_path / "subs"
    write_class(subs, 60, seed=3)
    assert main(["grade", str(fixed), str(subs), "--batch", "--out", str(results), "--jobs", "2",
                 "--no-progress"]) == 0
    conn = db.connect(results)
    items = db.rubric(conn, "7.1")
    assert [i.text for i in items][-1] == "Names the missing validation plot"
    assert items[0].points == 1.5  # the app's edit wins over the spec's 2
    assert db.mark_state(conn, "s0001", "7.1")["score"] == 1.5
    assert {r["student"]: r for r in read_gradebook(results / "gradebook.csv")}["s0001"]["7.1"] == "1.5"


def test_an_unmarked_database_is_rebuilt_so_reruns_stay_byte_identical(graded, tmp_path):
    subs = write_class(tmp_path / "subs", 60, seed=3)
    again = grade_class(subs, tmp_path / "again")
    assert (again / db.DB_NAME).read_bytes() == (graded / db.DB_NAME).read_bytes()


def test_a_file_that_is_not_a_database_is_never_overwritten(tmp_path, capsys):
    from grader.cli import main

    subs = write_class(tmp_path / "subs", 3)
    out = tmp_path / "out"
    out.mkdir()
    (out / db.DB_NAME).write_bytes(b"not sqlite at all, but maybe someone's marks")
    assert main(["grade", str(PROBLEM), str(subs), "--batch", "--out", str(out), "--no-progress"]) == 2
    assert "gradebook.sqlite is not a gradebook database" in capsys.readouterr().err
    assert (out / db.DB_NAME).read_bytes().startswith(b"not sqlite")


def test_a_newer_schema_is_refused_not_damaged(results):
    from grader.errors import UsageError

    conn = sqlite3.connect(results / db.DB_NAME)
    conn.execute("PRAGMA user_version=99")
    conn.commit()
    conn.close()
    with pytest.raises(UsageError, match="schema version 99"):
        db.connect(results)


# ---------------------------------------------------------------- the token and the requests

@pytest.mark.parametrize("path", ["/", "/api/parts", "/api/part?part=3.1", "/static/marking.js",
                                  "/static/katex/katex.min.js", "/export/gradebook.csv", "/api/history"])
def test_every_request_needs_the_token(client, path):
    assert client.get(path).status_code == 403
    assert client.get(path, headers={"X-Token": "wrong"}).status_code == 403
    assert client.get(path, headers=H).status_code == 200


def test_no_write_without_the_token_in_the_header(client, results):
    view = _view(client, "3.1")
    body = {"students": ["s0000"], "item": view["rubric"][0]["id"], "on": True}
    client.get(f"/?token={TOKEN}")  # the browser now holds the cookie: not enough to write
    assert client.post("/api/apply?part=3.1", json=body).status_code == 403
    assert client.post(f"/api/apply?part=3.1&token={TOKEN}", json=body).status_code == 403
    assert client.post("/api/apply?part=3.1", data="students=s0000", headers=H,
                       content_type="application/x-www-form-urlencoded").status_code == 415
    assert client.put("/api/apply?part=3.1", json=body, headers=H).status_code == 405
    assert db.connect(results).execute("SELECT COUNT(*) FROM marks").fetchone()[0] == 0


def test_malformed_writes_get_a_reason_and_change_nothing(client, results):
    view = _view(client, "3.1")
    item = view["rubric"][0]["id"]
    cases = [
        ("/api/apply?part=3.1", {"students": "s0000", "item": item}, 400),
        ("/api/apply?part=3.1", {"students": ["nobody"], "item": item}, 404),
        ("/api/apply?part=3.1", {"students": ["s0000"], "item": 99999}, 404),
        ("/api/apply?part=1.1", {"students": ["s0000"], "item": item}, 404),  # item of another part
        ("/api/apply?part=no-such", {"students": ["s0000"], "item": item}, 404),
        ("/api/feedback?part=3.1", {"student": "s0000", "adjustment": "NaN", "version": 0}, 400),
        ("/api/item?part=3.1", {"id": item, "points": 1e300, "version": 1}, 400),
        ("/api/item?part=3.1", {"text": "", "points": 1}, 400),
    ]
    for path, body, status in cases:
        r = client.post(path, json=body, headers=H)
        assert r.status_code == status, (path, body, r.data)
        assert r.get_json()["error"]
    assert db.connect(results).execute("SELECT COUNT(*) FROM marks").fetchone()[0] == 0


# ---------------------------------------------------------------- hostile student text

def test_hostile_answers_reach_the_page_only_as_text(client):
    """Answers come as JSON text pieces inserted with textContent; the only HTML is Pygments'
    escaped code. Nothing hostile survives as markup."""
    page = client.get("/", headers=H).get_data(as_text=True)
    assert "pwned" not in page
    assert "Content-Security-Policy" in client.get("/", headers=H).headers
    seen = set()
    for part in ("3.1", "3.2", "4.1"):
        for g in _view(client, part)["groups"]:
            for piece in g["pieces"]:
                if piece["kind"] == "code":
                    assert "<script" not in piece["html"] and "onerror=" not in piece["html"].replace("&quot;", "")
                else:
                    seen.add(piece["text"])
    assert seen & set(HOSTILE)  # the hostile answers are there, verbatim, as text
    js = (Path(__file__).parent.parent / "grader" / "marking" / "static" / "marking.js").read_text()
    assert "innerHTML = p.html" in js and js.count("innerHTML") == 1  # code only
    assert "trust: false" in js


def test_code_in_answers_is_highlighted_and_escaped():
    from grader.marking.render import pieces

    got = pieces("see:\n```python\nprint('<script>alert(1)</script>')\n```\nand $x^2$")
    assert [p["kind"] for p in got] == ["text", "code", "text"]
    assert "&lt;script&gt;" in got[1]["html"] and "<script>" not in got[1]["html"]
    assert 'class="nb"' in got[1]["html"]  # print highlighted as a builtin
    assert pieces(None)[0]["kind"] == "empty" and pieces("   ")[0]["kind"] == "empty"
    assert pieces({"a": [1, 2]})[0]["text"].startswith("{")


def test_the_page_and_its_assets_are_served_locally(client):
    page = client.get("/", headers=H).get_data(as_text=True)
    assert "http://" not in page and "https://" not in page  # no CDN
    for asset in ("static/katex/katex.min.css", "static/katex/katex.min.js", "static/katex/auto-render.min.js",
                  "static/katex/fonts/KaTeX_Main-Regular.woff2", "static/marking.js", "static/code.css"):
        assert asset in page or asset.endswith("woff2")
        assert client.get("/" + asset, headers=H).status_code == 200
    lic = (Path(__file__).parent.parent / "grader" / "marking" / "static" / "katex" / "LICENSE").read_text()
    assert "MIT License" in lic


def test_each_answer_says_how_long_the_server_took(client):
    """Server-Timing (what bench_marking.py reads): the handler's wall time and its CPU time."""
    import re

    timing = client.get("/api/part?part=3.1", headers=H).headers["Server-Timing"]
    wall, cpu = (float(x) for x in re.fullmatch(r"app;dur=([0-9.]+), cpu;dur=([0-9.]+)", timing).groups())
    assert 0 < cpu <= wall + 1  # thread CPU time never much exceeds wall time
    assert "Server-Timing" in client.get("/api/parts").headers  # a refused request too (403)


# ---------------------------------------------------------------- the real server, two TAs

@pytest.fixture
def server(results):
    pytest.importorskip("waitress")
    from grader.marking.server import Running

    running = Running(results, TOKEN, grader_name="ta").start()
    yield running
    running.stop()


def _post(server, path, body, who):
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=json.dumps(body).encode(),
                                 headers={**H, "X-Grader": who, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_two_tas_marking_at_once_never_lose_each_others_marks(server, results):
    conn = db.connect(results)
    items = db.rubric(conn, "3.3")
    students = [f"s{i:04d}" for i in range(60)]
    errors = []

    def ta(name, item_ids):
        for s in students:
            for item in item_ids:
                status, body = _post(server, "/api/apply?part=3.3", {"students": [s], "item": item, "on": True}, name)
                if status != 200:
                    errors.append((name, status, body))

    a = threading.Thread(target=ta, args=("ana", [items[0].id, items[2].id]))
    b = threading.Thread(target=ta, args=("ben", [items[1].id, items[3].id]))
    a.start(), b.start()
    a.join(), b.join()
    assert not errors
    applied = conn.execute("SELECT student, COUNT(*) FROM applied WHERE part='3.3' GROUP BY student").fetchall()
    assert len(applied) == 60 and {n for _, n in applied} == {4}
    whom = {r[0] for r in conn.execute("SELECT DISTINCT applied_by FROM applied")}
    assert whom == {"ana", "ben"}
    # both edit one comment from the same version: the second is refused and sees the first
    v = db.mark_state(conn, "s0005", "3.3")["version"]
    s1, _ = _post(server, "/api/feedback?part=3.3", {"student": "s0005", "comment": "ana's", "version": v}, "ana")
    s2, body = _post(server, "/api/feedback?part=3.3", {"student": "s0005", "comment": "ben's", "version": v}, "ben")
    assert (s1, s2) == (200, 409) and body["current"]["comment"] == "ana's"
    assert db.mark_state(conn, "s0005", "3.3")["comment"] == "ana's"
    server.refresher.flush()
    rows = {r["student"]: r for r in read_gradebook(results / "gradebook.csv")}
    assert rows["s0005"]["3.3"] == "4"  # 1.25 * 3 + 0.5 = 4.25, capped at the part's 4 points


def test_the_server_refuses_other_hosts(server):
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/api/parts",
                                 headers={**H, "Host": "evil.example:80"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 403
    with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{server.port}/api/parts",
                                                       headers=H), timeout=10) as resp:
        assert resp.status == 200


def test_export_warns_while_answers_are_unmarked_and_stops_when_all_are(results, capsys):
    from grader.cli import main

    assert main(["mark", str(PROBLEM), str(results), "--export"]) == 0
    err = capsys.readouterr().err
    assert "warning: 1020 hand-graded answer(s) not marked yet, counted as 0" in err  # 60 x 17
    assert "part (unmarked) 3.1 (60), 3.2 (60)" in err and "canvas.csv" in err
    conn = db.connect(results)
    for p in db.parts(conn, manual_only=True):
        db.set_graded(conn, p["id"], [f"s{i:04d}" for i in range(60)], "ta")
    conn.close()
    assert main(["mark", str(PROBLEM), str(results), "--export"]) == 0
    assert "not marked yet" not in capsys.readouterr().err


def test_cli_export_rewrites_the_files_from_the_database(results):
    from grader.cli import main

    conn = db.connect(results)
    db.set_item(conn, "3.1", ["s0000"], db.rubric(conn, "3.1")[0].id, True, "ta")
    conn.close()
    assert main(["mark", str(PROBLEM), str(results), "--export", "--canvas-id", "SIS User ID"]) == 0
    rows = list(csv.DictReader(open(results / "canvas.csv", encoding="utf-8")))
    assert rows[1]["SIS User ID"] == "s0000" and rows[1]["SIS Login ID"] == ""
    assert read_gradebook(results / "gradebook.csv")[0]["3.1"] == "2"


def test_mark_names_what_is_missing(tmp_path):
    from grader.cli import main

    assert main(["mark", str(PROBLEM), str(tmp_path)]) == 2


def test_marks_made_in_the_app_join_the_class_statistics(results):
    """Issue #17's last bullet meets #16: once every answer to a hand-graded part is marked in
    the database, the class report counts the part like any other (before, it says it waits)."""
    from grader.class_stats import analyse
    from grader.gradebook_views import refresh
    from grader.spec import load_problem
    from tests.marking_class import PROBLEM  # noqa: F811

    problem = load_problem(PROBLEM)
    before = {p.id: p for p in analyse(problem, results, copying=False).parts}
    assert "not marked yet" in before["3.1"].note
    conn = db.connect(results)
    item = db.rubric(conn, "3.1")[0]
    students = [r[0] for r in conn.execute("SELECT id FROM students ORDER BY id")]
    db.set_graded(conn, "3.1", students, "ta")
    db.set_item(conn, "3.1", students[: len(students) // 2], item.id, True, "ta")
    conn.close()
    refresh(results, everything=True)
    after = {p.id: p for p in analyse(problem, results, copying=False).parts}
    assert "not marked yet" not in after["3.1"].note
    assert after["3.1"].n == len(students) and after["3.1"].counted
    # half the class got the item's points: the mean credit is that share of the part's points
    assert after["3.1"].class_credit == pytest.approx(
        (len(students) // 2) * item.points / len(students) / after["3.1"].max_score)
