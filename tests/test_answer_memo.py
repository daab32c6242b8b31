"""A class writes one answer many ways: what reads the same is parsed and graded once, and
what does not read the same (or does not read at all) never borrows another answer's result."""

from __future__ import annotations

import pytest

from grader.expr import ExprError, read, scalar_table

TABLE = scalar_table({"eta": {"aliases": ["\\eta"]}, "n": {"domain": "positive"}, "x": {}})


@pytest.mark.parametrize("variant", [
    "\\frac{2\\eta}{n} x",
    "  \\frac{2\\eta}{n}   x ",
    "\\dfrac{2\\eta}{n} x",
    "\\tfrac{2\\eta}{n}\\,x",
    "$\\frac{2\\eta}{n} x$",
    "\\left(\\frac{2\\eta}{n}\\right) x",
])
def test_spellings_that_scan_alike_share_one_parse(variant):
    first = read("\\frac{2\\eta}{n} x", TABLE)
    got = read(variant, TABLE)
    assert got.node == first.node and got.text == first.text


def test_a_spelling_that_reads_differently_is_parsed_on_its_own():
    read("2 3 x", TABLE)
    assert read("23 x", TABLE).text != read("2 3 x", TABLE).text  # a space separates numbers
    assert read("\\frac{2\\eta}{n}x", TABLE).text == read("\\frac{2\\eta}{n} x", TABLE).text


def test_errors_are_never_borrowed_and_keep_their_own_positions():
    read("eta + x", TABLE)
    with pytest.raises(ExprError) as first:
        read("eta +", TABLE)
    with pytest.raises(ExprError) as spaced:
        read("   eta    +", TABLE)
    assert first.value.message != "" and spaced.value.message != ""
    with pytest.raises(ExprError):
        read("eta \\\\ + x", TABLE)  # a LaTeX line break: refused, although "eta + x" was read


def test_the_same_formula_in_two_notations_gets_the_same_grade(tmp_path):
    from grader.engine import grade
    from grader.spec import load_problem
    from grader.submission import Submission

    problem = load_problem("csc413-hw2")
    right = {"2.2.1.a": "w_0 - \\frac{2\\eta}{n} X^\\top a"}
    again = {"2.2.1.a": "\\mathbf{w}_0-\\dfrac{2 \\eta}{n}\\,X^T\\left(X w_0 - t\\right)"}
    wrong = {"2.2.1.a": "2 w_0 - \\frac{4\\eta}{n} X^\\top a"}
    one = grade(problem, Submission(source="a", answers=right)).parts
    two = grade(problem, Submission(source="b", answers=again)).parts
    bad = grade(problem, Submission(source="c", answers=wrong)).parts
    pick = lambda parts: next(p for p in parts if p.id == "2.2.1.a")  # noqa: E731
    assert pick(one).status == pick(two).status == "correct"
    assert pick(bad).status == "incorrect" and "factor of about 2" in pick(bad).feedback


def test_memo_keys_of_plain_answers_keep_types_and_writing():
    """An answer's memo key (reference.canonical) tells apart what a type or a spelling could
    grade differently, and is the same for the same answer read again."""
    from grader.reference import canonical
    from grader.types.numeric import WrittenFloat

    noted = WrittenFloat("0.5")
    noted.notes = ["read as a decimal"]
    values = [1, True, 1.0, "1", [1], [True], [1.0], ["1"], [[1]], [1, [2]], [[1], 2], [], [[]], {"1": 1},
              WrittenFloat("0.10"), WrittenFloat("0.1"), [WrittenFloat("0.10")], [WrittenFloat("0.1")],
              WrittenFloat("0.5"), noted, None, float("inf"), (1,), [(1,)], -0.0, 0.0]
    keys = [canonical(v) for v in values]
    for i, key in enumerate(keys):
        assert [j for j, other in enumerate(keys) if other == key] == [i], values[i]
    again = [[0, "-1", [WrittenFloat("2.50"), 3]], WrittenFloat("1e-3")]
    assert canonical(again) == canonical([[0, "-1", [WrittenFloat("2.50"), 3]], WrittenFloat("1e-3")])
