"""Partial credit, anticipated mistakes, carried-forward errors and feedback, end to end."""

from __future__ import annotations

import pytest


def test_full_marks_for_the_reference(grade_answers):
    parts, report = grade_answers({"1": 26, "2": [0.8, 0.4], "3": [32, 128, 26, 26],
                                   "4": ["stride", "dilation", "kernel size"], "5": "B", "6": ["B", "D"],
                                   "7": "O(t)", "8": "proof", "9.a": 6, "9.b": 12, "10": 24})
    assert report.score == 12 and report.max_score == 13 and report.manual_points == 1
    assert parts["8"].status == "manual" and parts["8"].rubric


def test_tier_gives_partial_credit_with_its_feedback(grade_answers):
    parts, _ = grade_answers({"2": [0.81, 0.4]})
    assert parts["2"].score == 1 and parts["2"].via == "tier" and "Close" in parts["2"].feedback
    parts, _ = grade_answers({"2": [0.9, 0.4]})
    assert parts["2"].score == 0


def test_anticipated_mistake_by_solver_variant(grade_answers):
    parts, _ = grade_answers({"1": 14})
    assert parts["1"].score == 0.5 and parts["1"].via == "mistake" and parts["1"].feedback.startswith("You used stride 2")


def test_error_carried_forward_and_degenerate_values_carry_nothing(grade_answers):
    parts, _ = grade_answers({"9.a": 7, "9.b": 14})
    assert parts["9.a"].score == 0 and parts["9.b"].score == 1 and parts["9.b"].via == "carry_forward"
    assert "9.a" in parts["9.b"].feedback
    parts, _ = grade_answers({"9.a": 0, "9.b": 0})
    assert parts["9.b"].score == 0
    parts, _ = grade_answers({"9.b": 12})
    assert parts["9.b"].score == 1 and parts["9.b"].via == ""
    parts, _ = grade_answers({"9.a": 7, "9.b": 15})
    assert parts["9.b"].score == 0


def test_hidden_part_never_reveals_expected(grade_answers):
    parts, _ = grade_answers({"10": 25})
    assert parts["10"].expected is None and "24" not in parts["10"].feedback


def test_missing_answer_says_what_is_expected(grade_answers):
    parts, _ = grade_answers({})
    assert parts["3"].status == "missing" and "shape" in parts["3"].feedback


def test_variant_per_student_changes_expected(grade_answers, tmp_path):
    from grader.solvers import resolve_params
    from grader.spec import load_problem
    from tests.conftest import DEMO

    size = resolve_params(load_problem(DEMO).params, "demo", "bob")["size"]
    parts, _ = grade_answers({"1": size - 2}, student="bob")
    assert parts["1"].status == "correct"


def test_transform_grades_by_behaviour(tmp_path):
    from grader.engine import grade
    from grader.spec import load_problem
    from grader.submission import Submission

    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "solver.py").write_text(
        "import numpy as np\n"
        "def kernel():\n    return [[0, 1], [2, 3]]\n"
        "def behaviour(k):\n    return (np.asarray(k, float) ** 2).sum(keepdims=True).tolist()\n")
    (folder / "problem.yaml").write_text(
        "id: k\nparts:\n  - {id: a, points: 1, type: array, answer: {solver: kernel}, transform: {solver: behaviour}}\n")
    report = grade(load_problem(folder), Submission(source="t", answers={"a": [[3, 2], [1, 0]]}))
    assert report.parts[0].status == "correct"
    report = grade(load_problem(folder), Submission(source="t", answers={"a": [[3, 2], [1, 1]]}))
    assert report.parts[0].status == "incorrect"


def test_carried_forward_solver_that_hangs_is_cut_off(tmp_path, monkeypatch):
    import time

    from grader import solvers as solvers_module
    from grader.engine import grade
    from grader.spec import load_problem
    from grader.submission import Submission

    monkeypatch.setattr(solvers_module, "STUDENT_VALUE_SECONDS", 0.5)
    import grader.reference as reference_module

    monkeypatch.setattr(reference_module, "STUDENT_VALUE_SECONDS", 0.5)
    folder = tmp_path / "h"
    folder.mkdir()
    (folder / "solver.py").write_text(
        "import time\n"
        "def base():\n    return 2\n"
        "def slow(x):\n    if x != 2:\n        time.sleep(30)\n    return 2 * x\n")
    (folder / "problem.yaml").write_text(
        "id: h\nparts:\n  - {id: a, points: 1, type: number, answer: {solver: base}}\n"
        "  - {id: b, points: 1, type: number, answer: {solver: slow}, uses: {x: a}, carry_forward: {credit: \"2/3\"}}\n")
    start = time.monotonic()
    report = grade(load_problem(folder), Submission(source="t", answers={"a": 3, "b": 6}))
    assert time.monotonic() - start < 5
    assert [p.score for p in report.parts] == [0, 0]


def test_credit_as_fraction_text(tmp_path):
    from grader.spec import load_problem

    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "problem.yaml").write_text(
        "id: c\nparts:\n  - {id: a, points: 3, type: number, answer: {value: 2}, "
        "mistakes: [{value: 3, credit: \"2/3\", feedback: close}]}\n")
    assert load_problem(folder).parts[0].mistakes[0].credit == pytest.approx(2 / 3)


def test_time_limits_nest_and_inner_code_cannot_swallow_the_outer_one():
    import time

    from grader.timelimit import TimeLimit, time_limit

    start = time.monotonic()
    with pytest.raises(TimeLimit):
        with time_limit(0.3):
            with time_limit(5):
                try:
                    time.sleep(3)
                except Exception:  # a solver's broad except must not eat the outer limit
                    pass
    assert time.monotonic() - start < 1.5
    with time_limit(2):
        with pytest.raises(TimeLimit):
            with time_limit(0.2):
                time.sleep(3)
        time.sleep(0.05)  # the outer limit is still armed and has not fired


def test_validate_persists_reference_answers_for_this_exact_solver(tmp_path, write_json):
    from tests.conftest import run_cli

    folder = tmp_path / "cached"
    folder.mkdir()
    log = tmp_path / "calls.log"
    solver = ("def answer():\n"
              f"    open({str(log)!r}, 'a').write('x')\n"
              "    return 42\n")
    (folder / "solver.py").write_text(solver)
    (folder / "problem.yaml").write_text("id: cached\nparts:\n  - {id: a, points: 1, type: number, answer: {solver: answer}}\n")
    assert run_cli("validate", folder).returncode == 0
    assert (folder / ".reference-cache.json").exists()
    calls = len(log.read_text())
    sub = write_json({"a": 42})
    out = run_cli("grade", folder, sub)
    assert "42 is correct" in out.stdout
    assert len(log.read_text()) == calls  # served from the cache, not recomputed
    # (only the returned value: the log's path may hold "42" too, in pytest-42x say)
    (folder / "solver.py").write_text(solver.replace("return 42", "return 43"))
    out = run_cli("grade", folder, sub)
    assert "not correct" in out.stdout and "expected 43" in out.stdout  # a changed solver is never stale


def test_before_the_due_date_feedback_does_not_give_the_answer_away(tmp_path):
    from grader.engine import grade
    from grader.formats.gradescope import results
    from grader.spec import load_problem
    from grader.submission import Submission
    from tests.conftest import DEMO

    problem = load_problem(DEMO)
    answers = {"1": 25, "3": [32, 128, 26, 25], "8": "my proof"}
    student = {p.id: p for p in grade(problem, Submission(source="t", answers=answers), reveal=False).parts}
    assert "expected" not in student["1"].feedback and "26" not in student["1"].feedback
    assert "expected" not in student["3"].feedback
    assert "Rubric" not in student["8"].feedback
    tests = {t["number"]: t for t in results(grade(problem, Submission(source="t", answers=answers),
                                                    reveal=False))["tests"]}
    assert "Expected" not in tests["1"]["output"]
    ta = {p.id: p for p in grade(problem, Submission(source="t", answers=answers)).parts}
    assert "expected 26" in ta["1"].feedback and "Rubric" in ta["8"].feedback


def test_show_expected_always(tmp_path):
    from grader.engine import grade
    from grader.spec import load_problem
    from grader.submission import Submission

    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "problem.yaml").write_text(
        "id: s\ndefaults: {show_expected: always}\nparts:\n  - {id: a, points: 1, type: number, answer: {value: 2}}\n")
    report = grade(load_problem(folder), Submission(source="t", answers={"a": 3}), reveal=False)
    assert "expected 2" in report.parts[0].feedback


CARRY_SOLVER = (
    "def two():\n    return 2\n"
    "def exact(x):  # the reference solver: it refuses what is not the reference\n"
    "    if x != 2:\n        raise RuntimeError('reference only')\n    return 2 * x\n"
    "def fast(x, k=2):\n    if x < 0:\n        raise ValueError('no negative sizes')\n    return k * x\n")
CARRY_SPEC = (
    "id: cf\nparts:\n  - {id: a, points: 1, type: number, answer: {solver: two}}\n"
    "  - {id: b, points: 2, type: number, answer: {solver: exact}, uses: {x: a},\n"
    "     carry_forward: {credit: 0.5, solver: fast}}\n"
    "  - {id: c, points: 1, type: number, answer: {value: 6}, uses: {x: a},\n"
    "     carry_forward: {solver: fast, args: {k: 3}}}\n")


@pytest.fixture
def carry_problem(tmp_path):
    from grader.spec import load_problem

    folder = tmp_path / "cf"
    folder.mkdir()
    (folder / "solver.py").write_text(CARRY_SOLVER)
    (folder / "problem.yaml").write_text(CARRY_SPEC)
    return load_problem(folder)


def _carry_grade(problem, answers):
    from grader.engine import grade
    from grader.submission import Submission

    return {p.id: p for p in grade(problem, Submission(source="t", answers=answers)).parts}


def test_carried_values_go_to_the_carry_forward_solver(carry_problem):
    parts = _carry_grade(carry_problem, {"a": 3, "b": 6, "c": 9})
    assert parts["a"].score == 0
    assert parts["b"].score == 1 and parts["b"].via == "carry_forward" and "part a" in parts["b"].feedback
    assert parts["c"].score == 1 and parts["c"].via == "carry_forward"  # literal answer, own args
    parts = _carry_grade(carry_problem, {"a": 2, "b": 4, "c": 6})
    assert [parts[i].via for i in "abc"] == ["", "", ""] and sum(p.score for p in parts.values()) == 4


def test_carry_forward_solver_wrong_partly_right_and_malformed(carry_problem):
    parts = _carry_grade(carry_problem, {"a": 3, "b": 7, "c": 6})
    assert parts["b"].score == 0 and parts["b"].status == "incorrect"  # right for no one
    assert parts["c"].score == 1 and parts["c"].via == ""  # the reference's answer still counts
    parts = _carry_grade(carry_problem, {"a": 3, "b": 4, "c": 6.5})
    assert parts["b"].score == 2 and parts["c"].score == 0
    parts = _carry_grade(carry_problem, {"a": -1, "b": -2, "c": -3})  # the solver refuses -1
    assert parts["b"].score == 0 and parts["c"].score == 0 and parts["b"].status == "incorrect"
    parts = _carry_grade(carry_problem, {"a": "many", "b": 6})  # nothing readable to carry
    assert parts["a"].status == "invalid" and parts["b"].score == 0


def test_an_answers_context_is_made_once_and_says_what_a_new_one_would():
    """References.answer_context reuses one context per part and concealment: it must read as a
    context made for this student would (their seed, the concealment asked for)."""
    import dataclasses

    from grader.reference import References
    from grader.session import GradingSession
    from grader.spec import load_problem

    problem = load_problem("csc413-hw2")
    refs = References(problem, GradingSession())
    for part in problem.parts[:12]:
        for hidden, seed in [(False, 1), (True, 2), (False, 3), (True, 4)]:
            got = refs.answer_context(part, hidden, seed)
            fresh = refs.context(part, seed=seed)
            fresh.hidden = hidden
            assert all(getattr(got, f.name) == getattr(fresh, f.name) for f in dataclasses.fields(fresh))
        assert refs.answer_context(part, True, 5) is refs.answer_context(part, True, 6)
        assert refs.answer_context(part, False, 5, whole=True) is not refs.answer_context(part, False, 5, whole=True)
