"""Code parts end to end: scores and the feedback students see, and the .py loader."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from grader.engine import grade
from grader.loaders import load_submission
from grader.sandbox import session as sandbox
from grader.spec import load_problem
from grader.types import PartContext, get_type

PROBLEM = Path(__file__).resolve().parent / "problems" / "code-demo"


@pytest.fixture(scope="module", autouse=True)
def hide_problem():
    saved = (sandbox._DEFAULTS["config"], list(sandbox._DEFAULTS["hide"]))
    sandbox.configure(hide=[PROBLEM], submission_timeout=20.0)
    yield
    sandbox._DEFAULTS["config"], sandbox._DEFAULTS["hide"] = saved


def grade_file(path: Path, problem: Path = PROBLEM, student: str | None = None) -> dict:
    sub = load_submission(path, student)
    try:
        return grade(load_problem(problem), sub).to_dict()
    finally:
        sub.close()


def part(report: dict, pid: str) -> dict:
    return next(p for p in report["parts"] if p["id"] == pid)


def write(tmp_path: Path, source: str, name: str = "submission.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_full_credit_example_scores_everything():
    report = grade_file(PROBLEM / "full_credit.py")
    assert report["score"] == 4
    assert part(report, "1")["feedback"] == "all 5 test case(s) passed"


def test_buggy_example_gets_partial_credit_with_the_first_failing_public_case():
    report = grade_file(PROBLEM / "buggy.py")
    first = part(report, "1")
    assert first["score"] == pytest.approx(0.6)  # 3 of 5 equally weighted cases
    assert first["feedback"] == (
        "1 of 3 public case(s) passed; all 2 hidden case(s) passed. First failing case: "
        "conv_output_shape(input_hw=[28, 28], kernel=5, stride=1, padding=2): "
        "expected [28, 28], got [24, 24]")
    second = part(report, "2")
    assert "receptive_field(layers=[[3, 2], [3, 2], [3, 1]]): expected 15, got 7" in second["feedback"]
    assert "hidden case(s) failed" in second["feedback"]
    assert part(report, "3")["score"] == 0
    assert part(report, "4")["status"] == "missing"
    assert report["score"] == pytest.approx(0.6 + part(report, "2")["score"])


def test_hidden_cases_are_counted_never_shown(tmp_path):
    path = write(tmp_path, """
        def conv_output_shape(input_hw, kernel, stride=1, padding=0):
            if list(input_hw) in ([7, 9], [10, 10]):
                raise ValueError("secret args " + repr(input_hw))
            return [(n + 2 * padding - kernel) // stride + 1 for n in input_hw]
    """)
    first = part(grade_file(path), "1")
    assert first["score"] == pytest.approx(0.6)
    assert first["feedback"] == "all 3 public case(s) passed; 2 of 2 hidden case(s) failed"
    assert "secret" not in json.dumps(first) and "[7, 9]" not in json.dumps(first)


def test_missing_function_and_missing_python_file(tmp_path):
    path = write(tmp_path, "def something_else():\n    return 1\n")
    report = grade_file(path)
    assert part(report, "2")["feedback"] == "function receptive_field(layers) not found in submission.py"
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"4": 42}))
    report = grade_file(answers)
    assert report["score"] == 1
    assert part(report, "1")["feedback"] == ("part 1 needs a function conv_output_shape(input_hw, kernel, "
                                             "stride, padding) in a .py file; none was submitted")


def test_python_answers_are_merged_and_recorded(tmp_path):
    folder = tmp_path / "student-7"
    folder.mkdir()
    write(folder, "ANSWERS = {'4': 42}\n", name="answers.py")
    write(folder, (PROBLEM / "full_credit.py").read_text().replace('ANSWERS = {"4": 42}', ""),
          name="code.py")
    sub = load_submission(folder, "student-7")
    try:
        assert sub.answers == {"4": 42} and sub.answer_files == {"4": "answers.py"}
        assert len(sub.python_files) == 2
        report = grade(load_problem(PROBLEM), sub).to_dict()
    finally:
        sub.close()
    assert report["score"] == 4


@pytest.mark.parametrize("source, message", [
    ("ANSWERS = 42\n", "ANSWERS must be a dict mapping part ids to values, got int"),
    ("ANSWERS = {'4': {1, 2}}\n", "ANSWERS holds an object of type set"),
    ("ANSWERS = {'4': 1}\nraise ValueError('oops')\n", "failed to import: raised ValueError: oops "
                                                        "(submission.py, line 2, in <module>"),
    ("def f(:\n", "has a syntax error: raised SyntaxError"),
])
def test_loader_messages(tmp_path, source, message):
    sub = load_submission(write(tmp_path, source))
    try:
        text = " ".join(sub.messages) + " " + str(sub.fatal)
    finally:
        sub.close()
    assert message in text


def test_generated_cases_are_seeded_and_within_their_draws():
    kind = get_type("code")
    problem = load_problem(PROBLEM)
    spec = problem.part("2")

    def cases(seed):
        ctx = spec.context(str(problem.spec_file), seed=seed)
        return [c.args for c in kind._cases(ctx) if c.hidden]

    assert cases(1) == cases(1) == cases(2)  # the same for everyone (per_student: false)
    assert all(1 <= len(layers) <= 5 and all(1 <= k <= 7 and 1 <= s <= 3 for k, s in layers)
               for (layers,) in cases(3))


def test_describe_and_spec_checks():
    kind = get_type("code")
    problem = load_problem(PROBLEM)
    ctx = problem.part("1").context(str(problem.spec_file))
    text = kind.describe(ctx)
    assert text.startswith("a function conv_output_shape(input_hw, kernel, stride, padding)")
    assert "[7, 9]" not in text and "[32, 32]" in text
    assert kind.check_spec(ctx) == []
    bad = PartContext(part_id="9", options={"function": "1x", "cases": [{"argz": []}],
                                            "compare": {"type": "shape", "rtol": 1}})
    problems = " | ".join(kind.check_spec(bad))
    assert "need `function:`" in problems
    assert "case #1 must be a mapping" in problems
    assert "unknown shape option(s) rtol" in problems


def test_hidden_part_never_shows_expected_values(tmp_path):
    folder = tmp_path / "code-extra"
    folder.mkdir()
    (folder / "solver.py").write_text("def double(x):\n    return 2 * x\n")
    (folder / "problem.yaml").write_text(textwrap.dedent("""
        id: code-extra
        title: extra
        parts:
          - id: "a"
            points: 2
            type: code
            visibility: hidden
            function: double
            args: [x]
            answer: {solver: double}
            cases:
              - {args: [21]}
              - {args: [5], weight: 3}
          - id: "b"
            points: 1
            type: code
            function: double
            args: [x]
            answer: {solver: double}
            compare: {type: number, rtol: 0.01}
            cases:
              - {args: [1], expected: 2.01}
    """))
    path = write(tmp_path, "def double(x):\n    return 2 * x + (x == 5)\n")
    sandbox.configure(hide=[folder])
    report = grade_file(path, folder)
    first = part(report, "a")
    assert first["score"] == pytest.approx(2 * 1 / 4)  # only the weight-1 case passed
    assert first["feedback"] == "1 of 2 hidden case(s) failed"
    assert part(report, "b")["score"] == 1  # a literal expected value, within 1%


def test_generated_cases_are_the_same_for_every_student_unless_per_student(tmp_path):
    """The same buggy code earns the same score whoever hands it in."""
    buggy = PROBLEM / "buggy.py"
    scores = {part(grade_file(buggy, student=s), "2")["score"] for s in ("ann", "bob", "cy", "dee")}
    assert len(scores) == 1
    kind = get_type("code")
    gen = {"count": 3, "args": {"x": {"draw": "randint", "low": 0, "high": 10**6}}}
    ctx_a = PartContext(part_id="p", options={}, seed=1)
    ctx_b = PartContext(part_id="p", options={}, seed=2)
    assert [c.args for c in kind._generated(gen, ctx_a)] == [c.args for c in kind._generated(gen, ctx_b)]
    gen["per_student"] = True
    assert [c.args for c in kind._generated(gen, ctx_a)] != [c.args for c in kind._generated(gen, ctx_b)]
