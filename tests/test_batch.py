"""TA batch grading: a synthetic class of the demo problem graded in parallel into a gradebook."""

from __future__ import annotations

import io
import json
import os
import random
import time
from pathlib import Path

import pytest

from conftest import DEMO, run_cli

PART_IDS = ["1", "2", "3", "4", "5", "6", "7", "8", "9.a", "9.b", "10"]


def correct_answers(problem_id: str, student: str) -> dict:
    """The demo problem's full-credit answers for this student's variant (size is drawn per student)."""
    import yaml

    from grader.solvers import resolve_params

    params = yaml.safe_load((DEMO / "problem.yaml").read_text())["params"]
    size = resolve_params(params, problem_id, student)["size"]
    return {"1": size - 2, "2": [0.8, 0.4], "3": [32, 128, 26, 26], "4": ["stride", "dilation", "kernel size"],
            "5": "B", "6": ["B", "D"], "7": "O(t)", "8": "updates stay in the span of X", "9.a": 6,
            "9.b": 12, "10": size - 4}


WRONG = {"1": lambda a: -(-(a["1"] - 1) // 2) + 1, "2": lambda a: [0.81, 0.4], "3": lambda a: [32, 128, 28, 28],
         "4": lambda a: ["stride"], "5": lambda a: "A", "6": lambda a: ["A", "B"], "7": lambda a: "O(t^2)",
         "8": lambda a: "no idea", "9.a": lambda a: 5, "9.b": lambda a: 10, "10": lambda a: 0}


def student_answers(student: str, ability: float, rng: random.Random, problem_id: str = "demo",
                    overrides: dict | None = None) -> dict:
    """Each part right with probability `ability`; otherwise a typical mistake, a bad value or nothing."""
    right = correct_answers(problem_id, student)
    out = {}
    for pid in PART_IDS:
        roll = rng.random()
        if roll < ability:
            out[pid] = right[pid]
        elif roll < ability + (1 - ability) * 0.7:
            out[pid] = WRONG[pid](right)
        elif roll < ability + (1 - ability) * 0.85:
            out[pid] = {"not": "valid"}
    out.update((overrides or {}).get(student, {}))
    return {"answers": out}


def make_class(folder: Path, n: int = 30, seed: int = 7, problem_id: str = "demo", answers_hook=None) -> dict:
    """n students as .json files, one as a folder, plus unreadable ones; returns {student: ability}."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    abilities = {}
    for i in range(n):
        sid = f"s{i:03d}"
        ability = rng.random()
        abilities[sid] = ability
        data = student_answers(sid, ability, rng, problem_id)
        if answers_hook:
            data = answers_hook(sid, ability, data, rng)
        if i == 5:  # a student who handed in a folder
            (folder / sid).mkdir()
            (folder / sid / "answers.json").write_text(json.dumps(data), encoding="utf-8")
        else:
            (folder / f"{sid}.json").write_text(json.dumps(data), encoding="utf-8")
    (folder / "bad_json.json").write_text('{"answers": {"1": 26,', encoding="utf-8")
    (folder / "empty_folder").mkdir()
    (folder / "binary.json").write_bytes(bytes(range(256)) * 4)
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\x00\xff\xfe")
    (folder / "README.md").write_text("not a student", encoding="utf-8")
    return abilities


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class") / "submissions"
    make_class(folder)
    return folder


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    proc = run_cli("grade", DEMO, klass, "--batch", "--jobs", "2", "--no-progress",
                   "--csv", out / "book.csv", "--out", out / "results")
    assert proc.returncode == 0, proc.stderr
    return out, proc


def _rows(path: Path) -> list[dict]:
    from grader.gradebook import read_gradebook

    return read_gradebook(path)


def test_gradebook_has_one_row_per_student_with_part_columns(graded):
    out, proc = graded
    assert proc.stdout == ""  # stdout stays clean when writing files
    text = (out / "book.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "student," + ",".join(PART_IDS) + ",total,status,note"
    rows = _rows(out / "book.csv")
    ids = [r["student"] for r in rows]
    assert ids == sorted(ids)
    assert len(rows) == 30 + 4  # README.md is skipped, the pdf is a (unreadable) student
    assert "README" not in ids and "skipped README.md" in proc.stderr
    for r in rows:
        if r["status"] == "graded":
            total = sum(float(r[p]) for p in PART_IDS)
            assert abs(total - float(r["total"])) < 1e-3, r


def test_unreadable_students_are_rows_with_the_reason(graded):
    out, _ = graded
    rows = {r["student"]: r for r in _rows(out / "book.csv")}
    assert rows["bad_json"]["status"] == "unreadable"
    assert "invalid JSON at line 1" in rows["bad_json"]["note"]
    assert rows["binary"]["status"] == "unreadable" and "not UTF-8" in rows["binary"]["note"]
    assert rows["empty_folder"]["status"] == "unreadable"
    assert "no .json, .py or .ipynb file" in rows["empty_folder"]["note"]
    assert rows["scan"]["status"] == "unreadable" and "unsupported file type" in rows["scan"]["note"]
    assert rows["bad_json"]["total"] == "0"
    assert rows["s005"]["status"] == "graded"  # handed in as a folder


def test_a_perfect_student_gets_full_marks(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "ada.json").write_text(json.dumps({"answers": correct_answers("demo", "ada")}))
    (folder / "bob.json").write_text(json.dumps({"answers": {"1": 7, "5": "D", "zz": 1}}))
    proc = run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--csv", tmp_path / "g.csv")
    assert proc.returncode == 0, proc.stderr
    rows = {r["student"]: r for r in _rows(tmp_path / "g.csv")}
    assert rows["ada"]["total"] == "12"  # 13 minus the manual point
    assert rows["ada"]["8"] == "0" and rows["ada"]["5"] == "2"
    assert rows["bob"]["5"] == "0" and rows["bob"]["status"] == "graded"
    assert "unknown part id 'zz'" in rows["bob"]["note"]


def test_reports_per_student_and_index(graded):
    out, _ = graded
    res = out / "results"
    book = _rows(res / "gradebook.csv")
    assert (res / "gradebook.csv").read_bytes() == (out / "book.csv").read_bytes()
    index = json.loads((res / "_batch.json").read_text())
    assert [s["student"] for s in index["students"]] == [r["student"] for r in book]
    for s in index["students"]:
        report = json.loads((res / s["file"]).read_text())
        assert report["student"] == s["student"]
        assert [p["id"] for p in report["parts"]] == PART_IDS
        assert not os.path.isabs(report["source"])
    s003 = json.loads((res / "s003.json").read_text())
    row = next(r for r in book if r["student"] == "s003")
    assert float(row["total"]) == s003["score"]


def test_rerun_is_byte_identical_and_jobs_do_not_matter(klass, graded, tmp_path):
    out, _ = graded
    proc = run_cli("grade", DEMO, klass, "--batch", "--jobs", "1", "--out", tmp_path / "again")
    assert proc.returncode == 0, proc.stderr
    first = sorted(p.name for p in (out / "results").iterdir())
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == first
    for name in first:
        assert (tmp_path / "again" / name).read_bytes() == (out / "results" / name).read_bytes(), name


def test_summary_table_without_outputs(klass):
    proc = run_cli("grade", DEMO, klass, "--batch", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    assert "bad_json" in proc.stdout and "unreadable" in proc.stdout
    assert "34 student(s): 30 graded, 4 unreadable, 0 not graded" in proc.stdout
    assert "\r" not in proc.stderr  # no progress bar when stderr is not a terminal


def test_spec_errors_exit_2_and_missing_folder(tmp_path):
    bad = tmp_path / "broken"
    bad.mkdir()
    (bad / "problem.yaml").write_text("id: broken\nparts: 3\n")
    (tmp_path / "c").mkdir()
    proc = run_cli("grade", bad, tmp_path / "c", "--batch")
    assert proc.returncode == 2 and "spec is invalid" in proc.stderr
    proc = run_cli("grade", DEMO, tmp_path / "nope", "--batch")
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def test_odd_student_ids_get_safe_unique_file_names(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    for name in ("a b.json", "A B.json", "x.json", "x.py", "=cmd.json", "_batch.json"):
        (folder / name).write_text('{"answers": {"5": "B"}}' if name.endswith("json") else "ANSWERS = {}\n")
    proc = run_cli("grade", DEMO, folder, "--batch", "--jobs", "2", "--out", tmp_path / "r")
    assert proc.returncode == 0, proc.stderr
    index = json.loads((tmp_path / "r" / "_batch.json").read_text())
    files = [s["file"] for s in index["students"]]
    assert len(set(f.lower() for f in files)) == len(files)
    assert all("/" not in f and " " not in f for f in files)
    ids = [s["student"] for s in index["students"]]
    assert "x.json" in ids and "x.py" in ids  # same stem: the full names tell them apart
    rows = _rows(tmp_path / "r" / "gradebook.csv")
    assert "'=cmd" in [r["student"] for r in rows]  # never read as a formula by a spreadsheet


def test_format_score_is_stable():
    from grader.gradebook import format_score

    assert [format_score(x) for x in (12.0, 0.5, 1 / 3, 0.0, -0.0, None, 2.00004)] == \
        ["12", "0.5", "0.3333", "0", "0", "", "2"]


# ---------------------------------------------------------------- crashes and hangs


def _crashy(item):
    if item == 3:
        os._exit(3)
    if item == 6:
        time.sleep(60)
    return item * 10


def test_pool_survives_a_crash_and_a_hang():
    from grader.batch_pool import Lost, run_all

    got = run_all(list(range(10)), key=lambda i: i, work=_crashy, jobs=2, hard_timeout=1.5)
    assert isinstance(got[3], Lost) and "died" in got[3].reason
    assert isinstance(got[6], Lost) and "did not finish" in got[6].reason
    assert {k: v for k, v in got.items() if k not in (3, 6)} == {i: i * 10 for i in range(10) if i not in (3, 6)}


def test_a_crashing_or_hanging_student_does_not_lose_the_others(tmp_path, monkeypatch):
    import grader.batch as batch
    import grader.engine as engine

    real = engine.grade

    def fake(problem, sub, **kwargs):
        if sub.student_id == "crash":
            os._exit(9)
        if sub.student_id == "slow":
            time.sleep(30)
        if sub.student_id == "bug":
            raise KeyError("oops")
        return real(problem, sub, **kwargs)

    monkeypatch.setattr(engine, "grade", fake)  # forked workers inherit the patch
    folder = tmp_path / "c"
    folder.mkdir()
    for sid in ("a", "bug", "crash", "m", "slow", "z"):
        (folder / f"{sid}.json").write_text('{"5": "B"}')
    entries, _ = batch.discover(folder)
    outcomes = batch.grade_class(str(DEMO), entries, jobs=2, timeout=1.0)
    by = {o.student: o for o in outcomes}
    assert [o.student for o in outcomes] == ["a", "bug", "crash", "m", "slow", "z"]
    for ok in ("a", "m", "z"):
        assert by[ok].status == "graded" and by[ok].scores[PART_IDS.index("5")] == 2.0
    assert by["crash"].status == "error" and "died" in by["crash"].note
    assert by["slow"].status == "error" and "longer than 1 s" in by["slow"].note
    assert by["bug"].status == "error" and "KeyError" in by["bug"].note
    assert by["crash"].total is None and by["crash"].scores == [None] * len(PART_IDS)
    report = json.loads(by["crash"].report_json)
    assert report["fatal"] and all(p["status"] == "error" for p in report["parts"])


def test_progress_bar_draws_on_its_stream():
    from grader.progress import Progress

    buf = io.StringIO()
    bar = Progress(4, stream=buf)
    for _ in range(4):
        bar.advance()
    bar.close()
    assert "4/4" in buf.getvalue() and "100%" in buf.getvalue()
    quiet = io.StringIO()
    Progress(4, stream=quiet, enabled=False).advance()
    assert quiet.getvalue() == ""


def test_batch_reports_say_what_grading_one_submission_says(klass, graded):
    """Batch reports reuse the text of repeated part results: the content must not change."""
    out, _ = graded
    for name in ("s003.json", "s005", "s011.json"):
        student = Path(name).stem
        proc = run_cli("grade", DEMO, klass / name, "--student", student, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        alone = json.loads(proc.stdout)
        in_batch = json.loads((out / "results" / f"{student}.json").read_text())
        assert in_batch["parts"] == alone["parts"], name
        assert in_batch["score"] == alone["score"] and in_batch["messages"] == alone["messages"]


def test_the_same_bad_answer_names_each_students_own_file(tmp_path):
    """A repeated answer is graded once, but a malformed one still names the file it came from."""
    folder = tmp_path / "class"
    (folder / "ann").mkdir(parents=True)
    (folder / "ann" / "part1.json").write_text(json.dumps({"answers": {"1": {"not": "valid"}}}))
    (folder / "ann" / "rest.json").write_text(json.dumps({"answers": {"5": "B"}}))
    (folder / "bob.json").write_text(json.dumps({"answers": {"1": {"not": "valid"}}}))
    proc = run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--out", tmp_path / "res")
    assert proc.returncode == 0, proc.stderr
    ann = json.loads((tmp_path / "res" / "ann.json").read_text())
    bob = json.loads((tmp_path / "res" / "bob.json").read_text())
    ann1 = next(p for p in ann["parts"] if p["id"] == "1")
    bob1 = next(p for p in bob["parts"] if p["id"] == "1")
    assert ann1["status"] == bob1["status"] == "invalid"
    assert ann1["feedback"].startswith("part 1 (part1.json): ")
    assert bob1["feedback"] == ann1["feedback"].replace("(part1.json)", "(bob.json)")
    assert ann1["feedback"].count("part 1 (") == 1


def test_rerun_into_the_same_folder_drops_students_who_left(tmp_path):
    """Re-grading into the same --out: reports of students no longer in the class are removed,
    the others rewritten, and the result is the same as a run into an empty folder."""
    folder = tmp_path / "class"
    make_class(folder, n=6)
    out = tmp_path / "res"
    assert run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--out", out).returncode == 0
    assert (out / "s002.json").is_file()
    (out / "notes.txt").write_text("the TA's own file")
    (folder / "s002.json").unlink()
    proc = run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert not (out / "s002.json").exists()
    fresh = tmp_path / "fresh"
    assert run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--out", fresh).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([p.name for p in fresh.iterdir()] + ["notes.txt"])
    for p in fresh.iterdir():
        assert (out / p.name).read_bytes() == p.read_bytes(), p.name


def test_a_rerun_takes_the_old_index_away_first(tmp_path):
    """Until a run finishes there is no index, so a run that dies never passes for a result."""
    from grader import batch

    folder = tmp_path / "class"
    make_class(folder, n=3)
    out = tmp_path / "res"
    assert run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--out", out).returncode == 0
    entries, _ = batch.discover(folder)
    batch.ReportFolder.make(out, entries)
    assert not (out / "_batch.json").exists()
    assert (out / "s001.json").is_file()  # kept, to be overwritten
