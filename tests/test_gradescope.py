"""End to end: build the Gradescope zip, unpack it as Gradescope does, run its run_autograder
on example submissions, and check results.json against Gradescope's documented format."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from conftest import DEMO, ROOT

# Gradescope's results.json (autograder specifications, "Output format").
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_name_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "extra_data": {"type": "object"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
                    "extra_data": {"type": "object"},
                },
                "additionalProperties": False,
            },
        },
        "leaderboard": {
            "type": "array",
            "items": {"type": "object", "required": ["name", "value"],
                      "properties": {"name": {"type": "string"}, "order": {"enum": ["asc", "desc"]}}},
        },
    },
    "additionalProperties": False,
}

REFERENCE = {"1": 26, "2": [0.8, 0.4], "3": [32, 128, 26, 26], "4": ["stride", "dilation", "kernel size"],
             "5": "B", "6": ["B", "D"], "7": "O(t)", "8": "updates stay in the span", "9.a": 6, "9.b": 12,
             "10": 24}

INSTRUCTOR_TESTS = '''
import unittest
from gradescope_utils.autograder_utils.decorators import weight, number, visibility, partial_credit
from helpers import add, mul


class TestArithmetic(unittest.TestCase):
    @weight(2)
    @number("T1")
    def test_add(self):
        """add adds"""
        self.assertEqual(add(2, 3), 5)

    @weight(3)
    def test_mul(self):
        """mul multiplies"""
        self.assertEqual(mul(2, 3), 6)

    @weight(1)
    @unittest.skip("not this term")
    def test_skipped(self):
        """skipped test"""

    @weight(4)
    def test_subtests(self):
        """subtests"""
        for a in range(3):
            with self.subTest(a=a):
                self.assertEqual(mul(a, a), a * a)

    @weight(1)
    @unittest.expectedFailure
    def test_known_bug(self):
        """expected failure"""
        self.assertEqual(1, 2)

    @partial_credit(2)
    @visibility("after_due_date")
    def test_partial(self, set_score=None):
        """partial credit"""
        set_score(0.5)


class TestFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("fixture exploded")

    @weight(5)
    def test_never_runs(self):
        """behind a broken setUpClass"""
'''

SLOW_TESTS = '''
import unittest
from gradescope_utils.autograder_utils.decorators import weight
from helpers import add


class TestSlow(unittest.TestCase):
    @weight(1)
    def test_a_fast(self):
        """fast"""
        self.assertEqual(add(1, 1), 2)

    @weight(6)
    def test_b_hangs(self):
        """hangs"""
        import time
        time.sleep(60)
'''

HELPERS = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b  # a bug\n"


def build(problem: Path, out: Path, *extra: str) -> Path:
    proc = subprocess.run([sys.executable, "-m", "grader", "gradescope", str(problem), "-o", str(out), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def unpack(zip_path: Path, root: Path) -> Path:
    """A folder laid out like Gradescope's /autograder."""
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, root / "source")
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(root / "source" / info.filename, mode)
    return root


def metadata(email="alice@example.edu", due="2099-01-01T23:59:00.000000-05:00", **extra) -> dict:
    data = {"id": 1, "created_at": "2024-02-01T10:00:00.123456-05:00",
            "assignment": {"due_date": due, "late_due_date": None, "title": "demo", "total_points": "13.0"},
            "users": [{"email": email, "id": 4242, "name": "Alice"}], "submission_method": "upload"}
    data.update(extra)
    return data


def run_autograder(root: Path, files: dict[str, str] | None = None, meta: dict | None = None,
                   python: str | None = None) -> dict:
    sub = root / "submission"
    shutil.rmtree(sub)
    sub.mkdir()
    for name, text in (files or {}).items():
        (sub / name).write_text(text, encoding="utf-8")
    meta_file = root / "submission_metadata.json"
    if meta is None:
        meta_file.unlink(missing_ok=True)
    else:
        meta_file.write_text(json.dumps(meta), encoding="utf-8")
    results = root / "results" / "results.json"
    results.unlink(missing_ok=True)
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": python or sys.executable}
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd="/", env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    jsonschema.validate(data, RESULTS_SCHEMA)
    data["_stdout"] = proc.stdout
    return data


def size_of(email: str) -> int:
    from grader.solvers import resolve_params

    return resolve_params({"size": {"draw": "randint", "low": 20, "high": 40}}, "demo", email)["size"]


def answers(email: str | None = "alice@example.edu", **changes) -> str:
    """The reference answers of `email`'s variant (parts 1 and 10 depend on the drawn size)."""
    data = dict(REFERENCE)
    if email:
        data.update({"1": size_of(email) - 2, "10": size_of(email) - 4})
    data.update(changes)
    return json.dumps({"answers": data})


def by_number(data: dict) -> dict:
    return {t.get("number"): t for t in data["tests"]}


@pytest.fixture(scope="module")
def demo_zip(tmp_path_factory) -> Path:
    return build(DEMO, tmp_path_factory.mktemp("zip") / "autograder.zip")


@pytest.fixture
def gs(demo_zip, tmp_path) -> Path:
    return unpack(demo_zip, tmp_path / "autograder")


def test_zip_holds_scripts_grader_and_problem(demo_zip, tmp_path):
    with zipfile.ZipFile(demo_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        install = zf.read("install.sh").decode()
        pins = zf.read("requirements.txt").decode()
    for name in ("setup.sh", "run_autograder", "install.sh", "pyproject.toml", "requirements.txt",
                 "gradescope.json", "grader/engine.py", "grader/gradescope/run.py",
                 "problems/demo/problem.yaml", "problems/demo/solver.py"):
        assert name in names, name
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    # setup.sh installs pinned versions and calls the repository's installer, which creates the user
    assert "PIP_CONSTRAINT" in setup and "requirements.txt" in setup and "install.sh" in setup
    assert "useradd" in install and "grader-student" in install
    pinned = [line for line in pins.splitlines() if line and not line.startswith("#")]
    assert pinned and all("==" in line for line in pinned)
    assert any(line.startswith("numpy==2.2.") for line in pinned)  # numpy 2.3+ dropped Python 3.10
    # both scripts are valid bash
    (tmp_path / "s").mkdir()
    with zipfile.ZipFile(demo_zip) as zf:
        zf.extractall(tmp_path / "s")
    for script in ("setup.sh", "run_autograder", "install.sh"):
        proc = subprocess.run(["bash", "-n", str(tmp_path / "s" / script)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_zip_is_reproducible(demo_zip, tmp_path):
    again = build(DEMO, tmp_path / "again.zip")
    assert again.read_bytes() == demo_zip.read_bytes()


def test_full_credit_submission(gs):
    data = run_autograder(gs, {"answers.json": answers()}, metadata(email="alice@example.edu"))
    tests = by_number(data)
    # one test per automatically graded part, in order; the hand-graded part 8 is a manual
    # question on Gradescope, not a "0 / 1" test
    assert [t["number"] for t in data["tests"]] == [k for k in REFERENCE if k != "8"]
    assert all(t["score"] == t["max_score"] for t in tests.values()), data
    assert data["score"] == 12.0 and sum(t["max_score"] for t in data["tests"]) == 12.0
    assert tests["10"]["visibility"] == "hidden"
    assert "graded by hand" in data["output"]
    # the grader that ran is the one inside the zip, not the checkout's
    assert f"from {(gs / 'source' / 'grader').resolve()}" in data["_stdout"]


def test_variant_follows_the_metadata_email(gs):
    assert size_of("alice@example.edu") != size_of("bob@example.edu")
    for email in ("alice@example.edu", "bob@example.edu"):
        data = run_autograder(gs, {"answers.json": answers(email)}, metadata(email=email))
        assert by_number(data)["1"]["score"] == 1.0, (email, by_number(data)["1"])
    # Alice's answers are wrong for Bob's variant
    data = run_autograder(gs, {"answers.json": answers("alice@example.edu")}, metadata(email="bob@example.edu"))
    assert by_number(data)["1"]["score"] == 0.0
    # before the due date the answer is nowhere in results.json (Gradescope hands it back to
    # the student's next submission in previous_submissions[].results)
    assert "expected" not in by_number(data)["1"]["output"]
    assert "answers" not in by_number(data)
    assert f": {size_of('bob@example.edu') - 2}" not in json.dumps(data)
    late = run_autograder(gs, {"answers.json": answers("alice@example.edu")},
                          metadata(email="bob@example.edu", due="2020-01-01T00:00:00.000000-05:00"))
    assert str(size_of("bob@example.edu") - 2) in by_number(late)["1"]["output"]
    # the same student whatever the case of the address; a group uses its first address
    meta = metadata()
    meta["users"] = [{"email": "zed@example.edu", "id": 1}, {"email": "ALICE@Example.edu", "id": 2}]
    data = run_autograder(gs, {"answers.json": answers("alice@example.edu")}, meta)
    assert by_number(data)["1"]["score"] == 1.0


def test_unreadable_submission_still_gets_results(gs):
    data = run_autograder(gs, {"answers.json": '{"answers": {"1": 26,'}, metadata())
    assert data["score"] == 0
    assert "could not be read" in data["output"] and "invalid JSON" in data["output"]
    assert len(data["tests"]) == len(REFERENCE) - 1 and all(t["score"] == 0 for t in data["tests"])
    empty = run_autograder(gs, {}, None)  # nothing submitted, no metadata
    assert empty["score"] == 0 and "no .json, .py or .ipynb file" in empty["output"]


def test_grader_crash_still_writes_valid_results(gs):
    (gs / "source" / "problems" / "demo" / "problem.yaml").write_text("id: demo\nparts: [", encoding="utf-8")
    data = run_autograder(gs, {"answers.json": answers()}, metadata())
    assert data["score"] == 0 and "internal error" in data["output"]
    assert "invalid YAML" in data["output"]


def test_missing_interpreter_still_writes_valid_results(gs):
    data = run_autograder(gs, {"answers.json": answers()}, metadata(), python="/nonexistent/python")
    assert data["score"] == 0 and data["tests"] == []
    assert "internal error" in data["output"]


def _visibility_problem(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    text = (folder / "problem.yaml").read_text(encoding="utf-8")
    text = text.replace('  - id: "7"\n    points: 1\n',
                        '  - id: "7"\n    points: 1\n    visibility: after_due_date\n'
                        '    solution: "Each step costs O(1), t steps: O(t)."\n')
    text = text.replace('  - id: "9.a"\n    points: 1\n',
                        '  - id: "9.a"\n    points: 1\n    solution: "Twice 3 is 6."\n')
    (folder / "problem.yaml").write_text(text, encoding="utf-8")
    return folder


def test_visibility_and_due_date(tmp_path):
    problem = _visibility_problem(tmp_path)
    root = unpack(build(problem, tmp_path / "v.zip"), tmp_path / "autograder")
    before = run_autograder(root, {"answers.json": answers(**{"7": "O(t^2)", "9.a": 5})},
                            metadata(due="2099-01-01T00:00:00.000000-05:00"))
    tests = by_number(before)
    assert tests["7"]["visibility"] == "after_due_date"
    # no solution before the deadline, not even in an after_due_date test: student code reads
    # earlier results in submission_metadata.json
    assert "Each step costs" not in tests["7"]["output"]
    assert "Twice 3" not in tests["9.a"]["output"]
    assert "after the due date" in before["output"]
    # the student-facing summary counts only what the student is shown
    assert "Scored now: 10 / 11 points" in before["output"]  # 9.a wrong; 7 later; 8 by hand
    after = run_autograder(root, {"answers.json": answers(**{"7": "O(t^2)", "9.a": 5})},
                           metadata(due="2020-01-01T00:00:00.000000-05:00"))
    assert "Twice 3 is 6." in by_number(after)["9.a"]["output"]
    assert "Each step costs" in by_number(after)["7"]["output"]


def test_instructor_unittests_are_all_kept(tmp_path):
    problem = tmp_path / "demo"
    shutil.copytree(DEMO, problem)
    (problem / "tests").mkdir()
    (problem / "tests" / "test_arith.py").write_text(INSTRUCTOR_TESTS, encoding="utf-8")
    root = unpack(build(problem, tmp_path / "u.zip"), tmp_path / "autograder")
    before = run_autograder(root, {"answers.json": answers(), "helpers.py": HELPERS},
                            metadata(email="alice@example.edu"))
    # before the due date a test says how it ended, never the assertion's message
    early = {t["name"]: t for t in before["tests"] if "extra_data" in t}
    assert "5 != 6" not in early["mul multiplies"]["output"]
    assert "Failed: AssertionError" in early["mul multiplies"]["output"]
    assert "shown after the due date" in early["mul multiplies"]["output"]
    assert "(a=1)" not in early["subtests"]["output"]
    data = run_autograder(root, {"answers.json": answers(), "helpers.py": HELPERS},
                          metadata(email="alice@example.edu", due="2020-01-01T00:00:00.000000-05:00"))
    assert [t["score"] for t in data["tests"]] == [t["score"] for t in before["tests"]]
    assert "5 != 6" in {t["name"]: t for t in data["tests"]}["mul multiplies"]["output"]
    unit = {t["name"]: t for t in data["tests"] if "extra_data" in t}
    status = {name: t["extra_data"]["unittest_status"] for name, t in unit.items()}
    assert status == {
        "add adds": "passed", "mul multiplies": "failed", "skipped test": "skipped",
        "subtests": "subtest_failed", "expected failure": "expected_failure", "partial credit": "partial",
        "behind a broken setUpClass": "not_run",
    }
    points = {name: (t["score"], t["max_score"]) for name, t in unit.items()}
    assert points == {"add adds": (2, 2), "mul multiplies": (0, 3), "skipped test": (0, 1), "subtests": (0, 4),
                      "expected failure": (1, 1), "partial credit": (0.5, 2),
                      "behind a broken setUpClass": (0, 5)}
    assert "fixture exploded" in unit["behind a broken setUpClass"]["output"]
    assert "Skipped: not this term" in unit["skipped test"]["output"]
    assert "(a=1)" in unit["subtests"]["output"]
    assert unit["partial credit"]["visibility"] == "after_due_date"
    assert unit["add adds"]["number"] == "T1"
    assert data["score"] == pytest.approx(12.0 + 2 + 1 + 0.5)


def test_instructor_unittests_time_limit(tmp_path):
    problem = tmp_path / "demo"
    shutil.copytree(DEMO, problem)
    (problem / "tests").mkdir()
    (problem / "tests" / "test_slow.py").write_text(SLOW_TESTS, encoding="utf-8")
    root = unpack(build(problem, tmp_path / "t.zip", "--unittest-timeout", "3"), tmp_path / "autograder")
    data = run_autograder(root, {"answers.json": answers(), "helpers.py": HELPERS}, metadata())
    unit = {t["name"]: t for t in data["tests"] if "extra_data" in t}
    assert unit["fast"]["score"] == 1
    assert unit["hangs"]["extra_data"]["unittest_status"] == "not_run"
    assert unit["hangs"]["max_score"] == 6 and "time limit of 3 s" in unit["hangs"]["output"]
    assert "stopped after 3 s" in data["output"]


def test_missing_student_module_keeps_test_points(tmp_path):
    problem = tmp_path / "demo"
    shutil.copytree(DEMO, problem)
    (problem / "tests").mkdir()
    (problem / "tests" / "test_arith.py").write_text(INSTRUCTOR_TESTS, encoding="utf-8")
    root = unpack(build(problem, tmp_path / "m.zip"), tmp_path / "autograder")
    data = run_autograder(root, {"answers.json": answers()}, metadata())  # no helpers.py
    unit = [t for t in data["tests"] if "extra_data" in t]
    assert sum(t["max_score"] for t in unit) == 2 + 3 + 1 + 4 + 1 + 2 + 5
    assert all(t["score"] == 0 and t["extra_data"]["unittest_status"] == "not_run" for t in unit)
    assert "No module named 'helpers'" in unit[0]["output"]


def test_manual_questions_outline_beside_the_zip(demo_zip, tmp_path):
    """Hand-graded parts become Gradescope manual questions: the instructor gets their outline
    (in the spec's order, with points and rubric items); a problem without any gets none."""
    outline = demo_zip.with_name("autograder-manual-questions.md")
    text = outline.read_text(encoding="utf-8")
    assert "Autograder points: 12." in text  # 13 minus the hand-graded part 8
    assert "## 1. 8 " in text and "(1 point)" in text
    assert "- +0.5: States that updates stay in the span of X" in text
    code_demo = build(ROOT / "tests" / "problems" / "code-demo", tmp_path / "code.zip")
    assert not code_demo.with_name("code-manual-questions.md").exists()


FORGED_VERDICTS = '''
import unittest


def _claim_a_pass(self, result=None):
    result.startTest(self)
    result.addSuccess(self)
    result.stopTest(self)


unittest.TestCase.run = _claim_a_pass  # every instructor test "passes" without running


def add(a, b):
    return 0


def mul(a, b):
    return 0
'''


@pytest.mark.xfail(strict=True, reason=(
    "known limitation: instructor tests run in the student's process, as in gradescope-utils, so "
    "student code can forge their verdicts (design of the fix: the sandbox engineer's #14 report)"))
def test_student_code_cannot_forge_instructor_test_verdicts(tmp_path):
    """A submission that patches unittest to report every test as passed must score what the
    same wrong code scores without the patch."""
    from grader.gradescope.unittests import run_instructor_tests

    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_arith.py").write_text(INSTRUCTOR_TESTS, encoding="utf-8")
    scores = {}
    for name, source in (("honest", FORGED_VERDICTS.replace("unittest.TestCase.run =", "_ =")),
                         ("forged", FORGED_VERDICTS)):
        work = tmp_path / name
        work.mkdir()
        (work / "helpers.py").write_text(source, encoding="utf-8")
        run = run_instructor_tests(tests, work, timeout=60)
        scores[name] = {t["name"]: t["score"] for t in run.tests}
    assert scores["forged"] == scores["honest"]
