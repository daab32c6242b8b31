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


def test_memo_keys_made_without_pickle_group_values_as_their_pickles_do():
    """canonical() keys short lists of texts and numbers by a tuple, not a pickle: two values get
    the same key exactly when their pickles are the same (what any grading could see)."""
    import itertools
    import pickle

    from grader.reference import canonical
    from grader.types.numeric import WrittenFloat

    def scalars():
        noted = WrittenFloat("2")
        noted.notes = ["x"]
        return [0, 1, -1, True, False, None, 0.0, -0.0, 1.0, 2.0, float("inf"), float("-inf"), "1", "", "0.1",
                "2", WrittenFloat("0.1"), WrittenFloat("0.10"), WrittenFloat("1e-1"), WrittenFloat("2"),
                float("nan"), -float("nan"), WrittenFloat("nan"),
                WrittenFloat("-0.0"), WrittenFloat("0.0"), WrittenFloat("1e999"), noted, 10**40, (1,), {"a": 1}]

    values = scalars() + [[]] + [[a] for a in scalars()] + [[[]], [[], []]]
    values += [list(pair) for pair in itertools.product(scalars()[:20], repeat=2)]
    values += [[[a, b]] for a, b in itertools.product(scalars()[:12], repeat=2)] + [[[1, [2]]], [[[1]]]]
    values += [list(range(16)), list(range(17)), [list(range(16))] * 2, [[WrittenFloat("1.5")] * 3] * 3]
    fresh = pickle.loads(pickle.dumps(values))  # the same values again, as other objects
    keys = [canonical(v) for v in values]
    again = [canonical(v) for v in fresh]
    pickles = [pickle.dumps(v, protocol=5) for v in fresh]
    assert keys == again
    for i, j in itertools.combinations(range(len(values)), 2):
        assert (keys[i] == keys[j]) == (pickles[i] == pickles[j]), (values[i], values[j])
    assert sum(type(k) is not bytes for k in keys) > len(keys) * 3 // 4  # most made without pickle
