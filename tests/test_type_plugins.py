"""A new answer type is one class and one registration: the engine, reports and bundles learn
what it is from what it declares, never from its name."""

from __future__ import annotations

import json

import pytest

from grader.types import AnswerType, Invalid, Verdict, capabilities
from grader.types.base import REGISTRY, register

SPEC = """\
id: plugin-demo
title: A problem using answer types defined in a test
parts:
  - id: "1"
    points: 2
    type: parity
    answer: {value: 4}
  - id: "2"
    points: 3
    type: essay
"""


class Parity(AnswerType):
    """Is the number even or odd? An answer is "even", "odd" or an integer."""

    name = "parity"
    summary = '"even" or "odd"'

    def parse(self, raw, ctx):
        if isinstance(raw, int) and not isinstance(raw, bool):
            return "even" if raw % 2 == 0 else "odd"
        if isinstance(raw, str) and raw.strip().lower() in ("even", "odd"):
            return raw.strip().lower()
        raise Invalid(f'expected "even" or "odd", got {raw!r}')

    def compare(self, got, expected, ctx):
        return Verdict(1.0 if got == expected else 0.0, f"{got} is {'right' if got == expected else 'wrong'}")


class Essay(AnswerType):
    """Prose read by a person: declared by_hand, so the engine scores it like a manual part."""

    name = "essay"
    summary = "a short essay"
    needs_answer = False
    by_hand = True
    self_checkable = False
    prose = True
    sheet = "by_hand"

    def parse(self, raw, ctx):
        return str(raw)

    def expected(self, value, ctx):
        return None

    def compare(self, got, expected, ctx):
        return Verdict(0.0, "recorded for a person to read")


@pytest.fixture
def plugins(tmp_path):
    for cls in (Parity, Essay):
        register(cls)
    folder = tmp_path / "plugin-demo"
    folder.mkdir()
    (folder / "problem.yaml").write_text(SPEC, encoding="utf-8")
    (folder / "solver.py").write_text("", encoding="utf-8")
    yield folder
    for cls in (Parity, Essay):
        REGISTRY.pop(cls.name, None)


def _grade(folder, answers):
    from grader.engine import grade
    from grader.spec import load_problem
    from grader.submission import Submission

    return grade(load_problem(folder), Submission(source="test", answers=answers))


def test_a_type_registered_in_a_test_grades_a_spec(plugins):
    right = _grade(plugins, {"1": "Even", "2": "Because it is."})
    assert [(p.status, p.score) for p in right.parts] == [("correct", 2.0), ("manual", 0.0)]
    assert right.manual_points == 3.0  # the essay is graded by hand: it declared so
    wrong = _grade(plugins, {"1": 7})
    assert [(p.status, p.feedback) for p in wrong.parts] == [
        ("incorrect", "odd is wrong"), ("missing", "no answer given (manual part)")]
    malformed = _grade(plugins, {"1": "four"})
    assert malformed.parts[0].status == "invalid"
    assert "expected \"even\" or \"odd\", got 'four'" in malformed.parts[0].feedback


def test_what_a_type_declares_reaches_gradescope_and_the_bundle(plugins, tmp_path):
    from grader.bundle import make_bundle, self_checkable
    from grader.formats.gradescope import results
    from grader.spec import load_problem

    report = _grade(plugins, {"1": 4, "2": "text"})
    assert [t["number"] for t in results(report)["tests"]] == ["1"]  # no test for a by-hand part
    problem = load_problem(plugins)
    assert [self_checkable(p) for p in problem.parts] == [False, False]  # 2 points, not practice
    make_bundle(plugins, tmp_path / "bundle")
    sheet = (tmp_path / "bundle" / "answers.md").read_text(encoding="utf-8")
    assert "Graded by hand: write your answer and working here" in sheet
    template = json.loads((tmp_path / "bundle" / "answers.json").read_text(encoding="utf-8"))
    assert template == {"answers": {"1": None, "2": None}}


def test_a_type_cannot_declare_one_thing_and_do_another():
    class Sneaky(AnswerType):
        name = "sneaky"

        def grade_submission(self, submission, ctx):  # graded from the submission, undeclared
            return None

    with pytest.raises(TypeError, match="whole_submission must be True"):
        register(Sneaky)
    assert "sneaky" not in REGISTRY


def test_an_unknown_type_name_gets_the_defaults():
    kind = capabilities("from-a-newer-grader")
    assert (kind.by_hand, kind.whole_submission, kind.self_checkable, kind.judges_value) == (False, False, True, True)
    assert capabilities("manual").by_hand and capabilities("code").whole_submission
