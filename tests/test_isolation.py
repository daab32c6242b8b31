"""One part never sinks another: a failure while grading one part (a bug of ours, a solver that
misbehaves, a time-out) marks that part `error`, says it is not the student's fault, and every
other part is graded as usual, in `grade`, `--batch`, on Gradescope and in `check`."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import DEMO, run_cli

# The demo's reference answers (part 1's expected value depends on the default variant).
GOOD = {"1": 26, "2": [0.8, 0.4], "3": [32, 128, 26, 26], "4": ["stride", "dilation", "kernel size"],
        "5": "B", "6": ["B", "D"], "7": "O(t)", "9.a": 6, "9.b": 12, "10": 24}

# Loaded at interpreter start (PYTHONPATH) by every process the commands run, Gradescope's
# run_autograder included: grading the part named in GRADER_TEST_FAULT raises, as a bug would.
FAULT = textwrap.dedent("""
    import os

    _part = os.environ.get("GRADER_TEST_FAULT")
    if _part:
        import grader.engine as _engine

        _real = _engine._best_mark

        def _best_mark(part, *args, **kwargs):
            if part.id == _part:
                raise AttributeError("'float' object has no attribute 'shape' (injected)")
            return _real(part, *args, **kwargs)

        _engine._best_mark = _best_mark
""")


@pytest.fixture
def fault(tmp_path, monkeypatch):
    """Make grading part `pid` crash in every grader process started from now on."""
    folder = tmp_path / "fault"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(FAULT, encoding="utf-8")

    def inject(pid: str) -> None:
        monkeypatch.setenv("PYTHONPATH", str(folder))
        monkeypatch.setenv("GRADER_TEST_FAULT", pid)

    return inject


def _assert_part_error(feedback: str) -> None:
    assert feedback.startswith("not graded: the grader failed on this part")
    assert "not your fault" in feedback and "other parts were graded" in feedback


# ---------------------------------------------------------------- in the engine

@pytest.fixture
def fresh_memo():
    import grader.engine as engine

    return engine


@pytest.mark.parametrize("exc, cause", [
    (AttributeError("'float' object has no attribute 'shape'"),
     "internal error: AttributeError: 'float' object has no attribute 'shape'"),
    (RecursionError("maximum recursion depth exceeded"), "ran out of stack"),
    (MemoryError(), "ran out of memory"),
])
def test_a_failing_part_is_an_error_and_the_others_are_graded(fresh_memo, monkeypatch, grade_answers, exc, cause):
    real = fresh_memo._best_mark

    def broken(part, *args, **kwargs):
        if part.id == "3":
            raise exc
        return real(part, *args, **kwargs)

    from grader.session import GradingSession

    session = GradingSession()  # one session: what it remembers must not include the error
    monkeypatch.setattr(fresh_memo, "_best_mark", broken)
    parts, report = grade_answers(GOOD, session=session)
    assert parts["3"].status == "error" and parts["3"].score == 0 and parts["3"].max_score == 1
    _assert_part_error(parts["3"].feedback)
    assert cause in parts["3"].feedback
    assert parts["3"].answer == [32, 128, 26, 26]  # kept, for a regrade
    others = [p for pid, p in parts.items() if pid not in ("3", "8")]
    assert all(p.status == "correct" for p in others), [(p.id, p.status) for p in others]
    assert report.score == 11 and report.fatal is None
    assert len(report.failures) == 1 and report.failures[0].startswith("part 3: Traceback")
    assert "failures" not in report.to_dict()  # tracebacks are for the instructor's log only
    # an error is not remembered: once fixed, the same answer is graded
    monkeypatch.setattr(fresh_memo, "_best_mark", real)
    parts, report = grade_answers(GOOD, session=session)
    assert parts["3"].status == "correct" and not report.failures


def test_a_failing_part_carries_nothing_forward(fresh_memo, monkeypatch, grade_answers):
    real = fresh_memo._best_mark
    monkeypatch.setattr(fresh_memo, "_best_mark",
                        lambda part, *a, **k: (_ for _ in ()).throw(ValueError("boom")) if part.id == "9.a"
                        else real(part, *a, **k))
    parts, _ = grade_answers({"9.a": 7, "9.b": 14})
    assert parts["9.a"].status == "error"
    # 9.b would be credited for carrying 9.a's 7 forward; an ungraded 9.a carries nothing
    assert parts["9.b"].status == "incorrect" and parts["9.b"].via == ""


def test_a_hidden_part_error_does_not_quote_the_exception(fresh_memo, monkeypatch, grade_answers):
    real = fresh_memo._best_mark
    monkeypatch.setattr(fresh_memo, "_best_mark",
                        lambda part, *a, **k: (_ for _ in ()).throw(ValueError("expected 24")) if part.id == "10"
                        else real(part, *a, **k))
    parts, _ = grade_answers({"10": 25})
    assert parts["10"].status == "error" and "24" not in parts["10"].feedback
    assert "internal error: ValueError" in parts["10"].feedback


def test_a_time_out_inside_a_part_is_that_parts_error(fresh_memo, monkeypatch, grade_answers):
    from grader.timelimit import TimeLimit

    real = fresh_memo._best_mark
    monkeypatch.setattr(fresh_memo, "_best_mark",
                        lambda part, *a, **k: (_ for _ in ()).throw(TimeLimit("took longer than 5 s"))
                        if part.id == "2" else real(part, *a, **k))
    parts, report = grade_answers(GOOD)
    assert parts["2"].status == "error" and "took too long" in parts["2"].feedback
    assert parts["1"].status == "correct" and report.score == 10


def test_a_solver_that_exits_fails_its_part_only(tmp_path, fresh_memo):
    from grader.engine import grade
    from grader.spec import load_problem
    from grader.submission import Submission

    folder = tmp_path / "exits"
    folder.mkdir()
    (folder / "solver.py").write_text("import sys\ndef quits():\n    sys.exit(3)\ndef two():\n    return 2\n")
    (folder / "problem.yaml").write_text(
        "id: exits\nparts:\n  - {id: a, points: 1, type: number, answer: {solver: quits}}\n"
        "  - {id: b, points: 1, type: number, answer: {solver: two}}\n")
    report = grade(load_problem(folder), Submission(source="t", answers={"a": 1, "b": 2}))
    a, b = report.parts
    assert a.status == "error" and "SystemExit" in a.feedback
    _assert_part_error(a.feedback)
    assert b.status == "correct" and report.score == 1


def test_the_batch_time_limit_still_stops_the_whole_student(fresh_memo, monkeypatch, grade_answers):
    """A student's batch slot is over: that is not one part's failure to be swallowed."""
    import time

    from grader.timelimit import TimeLimit, time_limit

    real = fresh_memo._best_mark

    def slow(part, *a, **k):
        if part.id == "2":
            time.sleep(5)
        return real(part, *a, **k)

    monkeypatch.setattr(fresh_memo, "_best_mark", slow)
    with pytest.raises(TimeLimit):
        with time_limit(0.3):
            grade_answers(GOOD)


# ---------------------------------------------------------------- the real crash (csc413-hw2)

def test_the_csc413_matrix_formula_that_crashed_is_graded(write_json):
    """`(I - \\lambda I) w_0`: c I times a scalar is still an identity of unknown size."""
    sub = write_json({"2.3.1.b": "(I - \\lambda I) w_0 - \\frac{2\\eta}{n} X^\\top a",
                      "2.3.1.a": "(I - 2\\eta\\tilde{\\lambda} I) w_0 - \\frac{2\\eta}{n} X^\\top a",
                      "2.3.2": "lambda/(2*eta)"})
    proc = run_cli("grade", "csc413-hw2", sub, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    parts = {p["id"]: p for p in json.loads(proc.stdout)["parts"]}
    assert parts["2.3.1.b"]["status"] == "correct", parts["2.3.1.b"]
    assert parts["2.3.1.a"]["status"] == "correct", parts["2.3.1.a"]
    assert parts["2.3.2"]["status"] == "correct"
    wrong = write_json({"2.3.1.b": "(I - \\eta\\lambda I) w_0 - \\frac{2\\eta}{n} X^\\top a"}, "wrong.json")
    parts = {p["id"]: p for p in json.loads(run_cli("grade", "csc413-hw2", wrong, "--format", "json").stdout)["parts"]}
    assert parts["2.3.1.b"]["status"] == "incorrect" and parts["2.3.1.b"]["via"] == "mistake"


def test_scaled_identities_evaluate_as_identities():
    from grader.expr import matrix_space, read

    space = matrix_space({"w": {"shape": ["d"]}, "A": {"shape": ["d", "d"]}, "c": {"domain": "positive"}},
                         {"d": [2, 5]})

    def same(student, reference):
        s, r = read(student, space.table), read(reference, space.table)
        return space.compare(s.node, r.node, seed_text="t", rtol=1e-9, atol=1e-12, samples=4).equal

    assert same("(I - c I) w", "(1 - c) * w")
    assert same("(c I) A - A c", "0 * A")
    assert same("(I c - I) w + w", "c w")
    assert same("(2 I / c - I) A", "(2/c - 1) * A")
    assert same("-(c I) A", "-c A")
    assert not same("(I - c I) w", "(1 + c) * w")
    # a scalar division by zero is a formula undefined there, not a ZeroDivisionError
    s, r = read("w / (c - c)", space.table), read("w", space.table)
    outcome = space.compare(s.node, r.node, seed_text="t", rtol=1e-9, atol=1e-12, samples=4)
    assert not outcome.equal and "your formula is undefined" in outcome.message
    s = read("1 / (d - d)", space.table)
    assert "undefined" in space.compare(s.node, read("c", space.table).node, seed_text="t", rtol=1e-9,
                                        atol=1e-12, samples=4).message


# ---------------------------------------------------------------- every command, end to end

def test_grade_reports_the_failed_part_and_grades_the_rest(fault, write_json):
    fault("3")
    sub = write_json({"answers": GOOD})
    # GOOD answers the default variant (a file's stem is otherwise the student id)
    proc = run_cli("grade", DEMO, sub, "--format", "json", "--default-variant")
    assert proc.returncode == 0, proc.stderr  # the submission was graded (contract: 1 = not at all)
    report = json.loads(proc.stdout)
    parts = {p["id"]: p for p in report["parts"]}
    assert parts["3"]["status"] == "error"
    _assert_part_error(parts["3"]["feedback"])
    assert all(p["status"] == "correct" for pid, p in parts.items() if pid not in ("3", "8"))
    assert report["score"] == 11 and report["fatal"] is None and "failures" not in report
    assert "part 3: Traceback" in proc.stderr and "injected" in proc.stderr
    assert "1 part(s) not graded because the grader failed on them" in proc.stderr
    table = run_cli("grade", DEMO, sub, "--default-variant")
    assert table.returncode == 0 and "error" in table.stdout and "11 / 13" in table.stdout


def test_batch_keeps_the_student_row_with_the_other_scores(fault, tmp_path):
    from grader.gradebook import read_gradebook

    fault("2")
    subs = tmp_path / "class"
    subs.mkdir()
    (subs / "ann.json").write_text(json.dumps({"answers": GOOD}), encoding="utf-8")
    (subs / "bob.json").write_text(json.dumps({"answers": {**GOOD, "1": 14}}), encoding="utf-8")
    (subs / "cem.json").write_text(json.dumps({"answers": {k: v for k, v in GOOD.items() if k != "2"}}),
                                   encoding="utf-8")
    out = tmp_path / "results"
    proc = run_cli("grade", DEMO, subs, "--batch", "--jobs", "2", "--out", out, "--no-progress")
    assert proc.returncode == 0, proc.stderr
    rows = {r["student"]: r for r in read_gradebook(out / "gradebook.csv")}
    assert set(rows) == {"ann", "bob", "cem"}
    for sid in ("ann", "bob"):
        row = rows[sid]
        assert row["status"] == "graded" and row["2"] == ""  # not graded: blank, not 0
        assert row["3"] == "1" and row["9.b"] == "1"
        assert row["note"].startswith("part 2 not graded: the grader failed on this part")
        parts = [k for k in row if k not in ("student", "total", "status", "note")]
        assert float(row["total"]) == sum(float(row[k] or 0) for k in parts)  # the graded parts' sum
    assert float(rows["ann"]["total"]) > 8  # each student has their own variant of parts 1 and 10
    assert rows["cem"]["2"] == "0" and rows["cem"]["note"] == ""  # a blank answer is still just missing
    assert "2 part(s) of 2 graded student(s) not graded because the grader failed on them" in proc.stderr
    assert "part 2 (2)" in proc.stderr
    report = json.loads((out / "ann.json").read_text(encoding="utf-8"))
    assert {p["id"]: p["status"] for p in report["parts"]}["2"] == "error"
    index = json.loads((out / "_batch.json").read_text(encoding="utf-8"))
    assert [s["status"] for s in index["students"]] == ["graded"] * 3


def test_gradescope_results_keep_the_other_parts_scores(fault, tmp_path):
    from test_gradescope import DEMO as GS_DEMO, answers, build, by_number, metadata, run_autograder, unpack

    root = unpack(build(GS_DEMO, tmp_path / "autograder.zip"), tmp_path / "autograder")
    fault("4")
    data = run_autograder(root, {"answers.json": answers()}, metadata(email="alice@example.edu"))
    tests = by_number(data)
    assert tests["4"]["score"] == 0 and tests["4"]["status"] == "failed"
    _assert_part_error(tests["4"]["output"])
    assert tests["1"]["score"] == 1 and tests["2"]["score"] == 2 and tests["6"]["score"] == 2
    assert data["score"] == 11  # 13, minus the hand-graded part 8 and the failed part 4
    assert "The autograder failed on part(s) 4: not your fault" in data["output"]
    assert "GRADER FAILURE on part 4: Traceback" in data["_stdout"]  # stdout: instructors only


def test_check_shows_the_failed_part_and_checks_the_rest(fault, write_json, tmp_path):
    from test_bundle import make, self_check_demo

    sub = write_json({"answers": GOOD})
    fault("5")
    proc = run_cli("check", DEMO, sub, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    tests = {t["number"]: t for t in json.loads(proc.stdout)["gradescope"]["tests"]}
    _assert_part_error(tests["5"]["output"])
    assert tests["5"]["score"] == 0 and tests["6"]["score"] == 2 and tests["2"]["score"] == 2
    # on a students' bundle: the self-checkable part 1 fails, the rest is still checked
    bundle = tmp_path / "bundle"
    make(self_check_demo(tmp_path), bundle)
    fault("1")
    proc = run_cli("check", bundle, sub, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    lines = {line["id"]: line for line in json.loads(proc.stdout)["lines"]}
    assert lines["1"]["status"] == "error"
    _assert_part_error(lines["1"]["message"])
    assert lines["2"]["status"] == "well-formed" and lines["11"]["status"] == "missing"


# ---------------------------------------------------------------- bounded time per answer

HOSTILE = "log(-1-x^2) + (x+y+z+w+1)^12 * (x-y+z-w+2)^12"  # undefined everywhere; sympy's expand
                                                          # of it runs for minutes


@pytest.fixture
def many_mistakes(tmp_path):
    from grader.spec import load_problem

    folder = tmp_path / "many"
    folder.mkdir()
    mistakes = "\n".join(f'      - {{value: "x + y + {k}", credit: 0.1, feedback: "mistake {k}"}}'
                         for k in range(1, 41))
    (folder / "problem.yaml").write_text(
        "id: many\nparts:\n"
        "  - id: f\n    points: 1\n    type: expression\n"
        "    variables: {x: {}, y: {}, z: {}, w: {}}\n    answer: {value: \"x + y\"}\n"
        "    tiers: [{credit: 0.5, rtol: 0.01, feedback: close}, {credit: 0.25, rtol: 0.1, feedback: rough}]\n"
        f"    mistakes:\n{mistakes}\n"
        "  - id: g\n    points: 1\n    type: expression\n    variables: {x: {}}\n    answer: {value: \"2*x\"}\n",
        encoding="utf-8")
    return load_problem(folder)


def test_sympy_time_is_budgeted_per_answer_not_per_mistake(many_mistakes, monkeypatch, fresh_memo):
    """41 comparisons (the answer, 40 mistakes) and 2 tiers share one answer's budget: sympy is
    started once, cut off, and the numbers decide for the other comparisons."""
    from grader.engine import grade
    from grader.expr import equivalence as EQ
    from grader.submission import Submission

    started = []
    real = EQ._sympy_zero
    monkeypatch.setattr(EQ, "_sympy_zero", lambda *a, **k: started.append(a[0]) or real(*a, **k))
    report = grade(many_mistakes, Submission(source="t", answers={"f": HOSTILE, "g": "x + x"}))
    f, g = report.parts
    assert f.status == "incorrect" and f.score == 0
    assert "is not equivalent to the expected answer: your formula is undefined at x = " in f.feedback
    assert g.status == "correct" and not report.failures
    assert len(started) == 1, f"sympy was started {len(started)} times for one answer"
    # the next answer gets a budget of its own
    report = grade(many_mistakes, Submission(source="t", answers={"f": HOSTILE + " + 0*x"}))
    assert report.parts[0].status == "incorrect" and len(started) == 2


def test_a_settled_proof_is_not_redone_for_each_tier(monkeypatch, fresh_memo):
    """sympy proves (x+1)^2 = x^2+2x+1 once; tiers re-compare the same two formulas."""
    from grader.expr import equivalence as EQ
    from grader.expr import scalar_table
    from grader.expr.parser import parse

    table = scalar_table({"x": {}})
    student, reference = parse("(x+1)^2", table), parse("x^2+2x+1", table)
    started = []
    real = EQ._sympy_zero
    monkeypatch.setattr(EQ, "_sympy_zero", lambda *a, **k: started.append(1) or real(*a, **k))
    assert EQ.symbolic_equal(student, reference, table, thorough=False)
    assert EQ.symbolic_equal(student, reference, table, thorough=False)
    assert len(started) == 1
