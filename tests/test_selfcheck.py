"""Students' self-check: presence and form of every part, grading only what the instructor made
self-checkable, and on a full problem exactly what Gradescope shows before the deadline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEMO, ROOT, run_cli
from test_bundle import CODE_DEMO, make, self_check_demo
from test_gradescope import _visibility_problem, answers, metadata

GOOD = {"1": 26, "2": [0.8, 0.4], "3": [32, 128, 26, 26], "4": "stride, dilation, kernel size", "5": "B",
        "6": ["B", "D"], "7": "O(t)", "8": "because", "9.a": 6, "9.b": 12, "10": 24}


def check(target: Path, submission: Path, *extra: str) -> tuple[int, dict]:
    proc = run_cli("check", target, submission, "--format", "json", *extra)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def lines(report: dict) -> dict:
    return {line["id"]: line for line in report["lines"]}


@pytest.fixture(scope="module")
def demo_bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "demo"
    make(DEMO, out)
    return out


def test_every_part_checked_for_presence_and_form(demo_bundle, write_json):
    answers_ = dict(GOOD)
    answers_.update({"1": "twenty-six", "2": [[0.8, 0.4], [0.1, 0.2]], "3": [32, 128], "5": "Z", "q99": 1})
    del answers_["6"]
    code, report = check(demo_bundle, write_json({"answers": answers_}))
    assert code == 0
    got = lines(report)
    assert list(got) == list(GOOD)
    assert got["1"]["status"] == "invalid" and "expected a number" in got["1"]["message"]
    assert got["2"]["status"] == "invalid" and "expected shape 2, got 2x2" in got["2"]["message"]
    assert got["3"]["status"] == "invalid" and "expected 4 dimensions, got 2" in got["3"]["message"]
    assert got["5"]["status"] == "invalid" and "A, B, C, D" in got["5"]["message"]
    assert got["6"]["status"] == "missing" and "option labels from: A, B, C, D" in got["6"]["message"]
    assert got["8"]["status"] == "manual"
    # well-formed but not self-checkable: no score, and it says who decides
    assert got["4"]["status"] == "well-formed" and got["4"]["score"] is None
    assert "decided by the real grader" in got["4"]["message"]
    assert any("q99" in m for m in report["messages"])


def test_nothing_is_graded_without_self_checkable_parts(demo_bundle, write_json):
    wrong = dict(GOOD, **{"1": 27, "9.a": 7})
    _, report = check(demo_bundle, write_json({"answers": wrong}))
    assert all(line["score"] is None for line in report["lines"])
    assert lines(report)["1"]["status"] == "well-formed"  # a wrong value is not revealed as wrong
    text = run_cli("check", demo_bundle, write_json({"answers": wrong})).stdout
    assert "decided only by the real grader: parts 1, 2, 3" in text


def test_formula_may_use_only_declared_variables(tmp_path, write_json):
    out = tmp_path / "bundle"
    make(ROOT / "problems" / "csc413-hw2", out)
    _, report = check(out, write_json({"2.3.2": "zeta * eta", "2.2.1.a": "w0 - eta * X.T @ (X @ w0 - t)"}))
    got = lines(report)
    assert got["2.3.2"]["status"] == "invalid" and "zeta" in got["2.3.2"]["message"]
    assert got["2.2.1.a"]["status"] == "well-formed"


def test_self_checkable_parts_are_graded(tmp_path, write_json):
    out = tmp_path / "bundle"
    make(self_check_demo(tmp_path), out)
    _, report = check(out, write_json({"1": 26, "11": 770}))
    got = lines(report)
    assert (got["1"]["status"], got["1"]["score"], got["1"]["final"]) == ("correct", 1.0, True)
    assert got["11"]["status"] == "incorrect" and got["11"]["score"] == 0
    _, report = check(out, write_json({"1": 14, "11": 771}))
    got = lines(report)
    assert got["1"]["score"] == 0.5 and "You used stride 2." in got["1"]["message"]
    assert got["11"]["status"] == "correct"
    assert got["2"]["status"] == "missing" and got["2"]["score"] is None


def test_code_parts_run_their_public_cases(tmp_path):
    out = tmp_path / "bundle"
    make(CODE_DEMO, out)
    _, report = check(out, CODE_DEMO / "full_credit.py")
    got = lines(report)
    for pid in ("1", "2", "3"):
        assert got[pid]["status"] == "correct", got[pid]
        assert "public cases: all" in got[pid]["message"] and "hidden cases" in got[pid]["message"]
        assert got[pid]["final"] is False
    assert got["4"]["status"] == "well-formed"  # ANSWERS["4"] = 42 read from the module
    _, report = check(out, CODE_DEMO / "buggy.py")
    assert lines(report)["1"]["status"] in ("partial", "incorrect")
    assert "First failing case: conv_output_shape(" in lines(report)["1"]["message"]
    empty = tmp_path / "nothing.py"
    empty.write_text("X = 1\n")
    _, report = check(out, empty)
    assert lines(report)["2"]["status"] == "missing" and "receptive_field" in lines(report)["2"]["message"]


def test_unreadable_submission(demo_bundle, write_json):
    code, report = check(demo_bundle, write_json('{"answers": {"1": 26,'))
    assert code == 1 and "invalid JSON" in report["fatal"]
    assert all(line["status"] == "not checked" for line in report["lines"])


def test_full_problem_shows_what_gradescope_shows_before_the_deadline(tmp_path):
    """`grader check PROBLEM` == the student's view of run_autograder's results.json."""
    from grader.selfcheck import student_view

    problem = _visibility_problem(tmp_path)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "answers.json").write_text(answers(None, **{"7": "O(t^2)", "9.a": 5}), encoding="utf-8")
    _, report = check(problem, sub)
    view = report["gradescope"]
    numbers = [t["number"] for t in view["tests"]]
    assert "10" not in numbers  # hidden: absent
    late = next(t for t in view["tests"] if t["number"] == "7")
    assert "score" not in late and "after the due date" in late["output"]  # no score before the deadline
    assert "Each step costs" not in json.dumps(view)
    # the same submission through Gradescope's runtime, due date in the future
    root = tmp_path / "autograder"
    (root / "results").mkdir(parents=True)
    os.symlink(sub, root / "submission")
    (root / "submission_metadata.json").write_text(json.dumps(metadata(email=None) | {"users": []}))
    proc = subprocess.run([sys.executable, "-m", "grader.gradescope.run", "--root", str(root),
                           "--problem", str(problem)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert student_view(results) == view


def test_table_output_is_plain(demo_bundle, write_json):
    proc = run_cli("check", demo_bundle, write_json({"answers": GOOD}))
    assert proc.returncode == 0
    assert "Self-check of" in proc.stdout and "0 part(s) missing or malformed" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("pid", ["csc413-hw2", "uva-dl1-resit-2022", "dl-midterm"])
def test_self_check_grades_like_the_real_grader(pid, tmp_path):
    """Every part made self-checkable: the bundle's check gives the real grader's marks."""
    import shutil

    import yaml

    from grader.engine import grade_path
    from grader.errors import SpecError

    source = ROOT / "problems" / pid
    example = ROOT / "submissions_example" / pid / "typical-mistakes.json"
    if not example.exists():
        pytest.skip(f"no typical-mistakes.json for {pid}")
    folder = tmp_path / pid
    shutil.copytree(source, folder)
    spec = yaml.safe_load((folder / "problem.yaml").read_text(encoding="utf-8"))
    for part in spec["parts"]:
        part["self_check"] = True
    (folder / "problem.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    try:
        real = {p.id: p for p in grade_path(folder, example).parts}
    except SpecError as exc:
        pytest.skip(f"{pid} does not load: {exc}")
    out = tmp_path / "bundle"
    make(folder, out)
    _, report = check(out, example)
    compared = 0
    for line in report["lines"]:
        part = real[line["id"]]
        if line["score"] is None:  # manual parts
            continue
        if part.via == "carry_forward":
            continue  # carried-forward credit is the real grader's alone
        assert line["score"] == pytest.approx(part.score), (line, part)
        compared += 1
    assert compared >= 10, compared
    assert any(line["status"] != "correct" and line["score"] is not None for line in report["lines"])
