"""Every basic answer type: right, wrong, partly right and malformed input, as a student sees it."""

from __future__ import annotations

import math

import pytest

from grader.types import Invalid, PartContext, get_type


def ctx(type_name: str, points: float = 1.0, hidden: bool = False, **options) -> PartContext:
    kind = get_type(type_name)
    opts = {name: opt.default for name, opt in kind.options.items()}
    opts.update(options)
    return PartContext(part_id="p", options=opts, hidden=hidden, extra={"points": points})


def grade(type_name, raw, value, points=1.0, **options):
    kind = get_type(type_name)
    c = ctx(type_name, points, **options)
    return kind.compare(kind.parse(raw, c), kind.expected(value, c), c)


# number -------------------------------------------------------------------------------------

def test_number_right_within_tolerance_and_fraction_text():
    assert grade("number", 0.80000001, 0.8).fraction == 1
    assert grade("number", "4/5", 0.8).fraction == 1
    assert grade("number", "pi/4", math.pi / 4, constants=True).fraction == 1


def test_number_wrong_shows_expected_and_tolerance():
    v = grade("number", 0.75, 0.8)
    assert v.fraction == 0 and "expected 0.8" in v.message and "within" in v.message


def test_number_hidden_part_never_shows_expected():
    kind = get_type("number")
    c = ctx("number", hidden=True)
    v = kind.compare(kind.parse(0.75, c), kind.expected(0.8, c), c)
    assert v.fraction == 0 and "0.8" not in v.message


def test_number_integers_exact_unless_told():
    assert grade("number", 26.0, 26).fraction == 1
    assert grade("number", 26.0000001, 26).fraction == 0
    assert grade("number", 26.0000001, 26, rtol=1e-6).fraction == 1


def test_number_sigfigs_and_too_coarse_message():
    assert grade("number", 0.447, 0.4472136, sigfigs=3).fraction == 1
    assert grade("number", 0.45, 0.4472136, sigfigs=3).fraction == 0
    coarse = grade("number", 0.45, 0.4472136)
    assert coarse.fraction == 0 and "too coarse" in coarse.message


def test_number_min_sigfigs_written():
    from grader.types.numeric import WrittenFloat

    kind = get_type("number")
    c = ctx("number", min_sigfigs=3, rtol=0.01)
    assert kind.compare(kind.parse(WrittenFloat("0.450"), c), 0.4472, c).fraction == 1
    v = kind.compare(kind.parse(WrittenFloat("0.45"), c), 0.4472, c)
    assert v.fraction == 0 and "at least 3" in v.message


def test_number_decimals():
    assert grade("number", 3.14, math.pi, decimals=2).fraction == 1
    assert grade("number", 3.15, math.pi, decimals=2).fraction == 0


@pytest.mark.parametrize("raw, words", [
    (float("nan"), "NaN"), (float("inf"), "infinite"), ("abc", "unknown symbol 'abc'"), ([1, 2], "list"),
    (True, "boolean"), ({"a": 1}, "object"), ("1/0", "division by zero"), ("9^9^9^9", "exponent"),
    ("x" * 1500, "characters"), (None, "null"), ("__import__('os')", "unexpected"),
])
def test_number_malformed_input_is_invalid_with_reason(raw, words):
    kind = get_type("number")
    with pytest.raises(Invalid) as err:
        kind.parse(raw, ctx("number", constants=True))
    assert words in str(err.value)


def test_number_constants_refused_when_the_part_says_so():
    with pytest.raises(Invalid, match="not accepted"):
        get_type("number").parse("pi/4", ctx("number", constants=False))
    with pytest.raises(Invalid, match="not accepted"):
        get_type("number").parse("\\sqrt{3}", ctx("number", constants=False))
    assert get_type("number").parse("pi/4", ctx("number")) == pytest.approx(0.785398163)


def test_number_integer_part_rejects_fractional_answer():
    with pytest.raises(Invalid, match="integer"):
        get_type("number").parse(2.5, ctx("number", integer=True))


# array --------------------------------------------------------------------------------------

def test_array_right_wrong_partial():
    assert grade("array", [[1, 2], [3, 4]], [[1, 2], [3, 4]]).fraction == 1
    v = grade("array", [[1, 2], [3, 5]], [[1, 2], [3, 4]])
    assert v.fraction == 0 and "[1][1]" in v.message and "expected 4" in v.message
    assert grade("array", [[1, 2], [3, 5]], [[1, 2], [3, 4]], partial="per_element").fraction == 0.75


@pytest.mark.parametrize("side", [2, 17])  # 4 elements, and 289: past the plain-float comparison's size
def test_array_feedback_is_the_same_for_small_and_large_arrays(side):
    """A small array is compared as Python floats, a large one with numpy: the same rule,
    the same message (the count, the first wrong element in row-major order, both values)."""
    want = [[float(i * side + j) / 7 for j in range(side)] for i in range(side)]
    got = [row[:] for row in want]
    got[1][0], got[-1][-1] = 0.5, -3.25
    v = grade("array", got, want, rtol=1e-6, atol=0)
    assert v.fraction == 0
    assert v.message == (f"2 of {side * side} element(s) wrong (within 1e-06 relative); first at [1][0]: "
                         f"got 0.5, expected {want[1][0]:.10g}")
    assert grade("array", got, want, partial="per_element").fraction == (side * side - 2) / (side * side)
    near = [[x * (1 + 1e-7) for x in row] for row in want]
    assert grade("array", near, want).fraction == 1
    with pytest.raises(Invalid):
        get_type("array").parse([[1.0] * side, [1.0] * (side + 1)], ctx("array"))


def test_array_shape_checked_first():
    v = grade("array", [1, 2, 3], [[1, 2], [3, 4]])
    assert v.fraction == 0 and "expected shape 2x2, got 3" in v.message


def test_array_up_to_sign_and_scale():
    assert grade("array", [-1, -2], [1, 2], up_to="sign").fraction == 1
    assert grade("array", [2, 4], [1, 2], up_to="sign").fraction == 0
    assert grade("array", [2, 4], [1, 2], up_to="scale").fraction == 1
    assert grade("array", [0, 0], [1, 2], up_to="scale").fraction == 0


def test_array_text_forms():
    assert grade("array", "[[1, 2], [3, 4]]", [[1, 2], [3, 4]]).fraction == 1
    assert grade("array", "1 2; 3 4", [[1, 2], [3, 4]]).fraction == 1


@pytest.mark.parametrize("raw, words", [
    ([[1, 2], [3]], "rows differ"), ([1, "x"], "element [1]"), ([1, float("nan")], "NaN"),
    ("hello", "unknown symbol 'hello'"), ({"a": 1}, "object"), ([[[[[[[[[[1]]]]]]]]]], "deep"),
])
def test_array_malformed(raw, words):
    with pytest.raises(Invalid) as err:
        get_type("array").parse(raw, ctx("array"))
    assert words in str(err.value)


def test_array_element_texts_read_once_per_session_grade_the_same():
    """Element texts ('$2$', '= 3', '1/4', a malformed "1,5") are remembered by the grading
    session's cache: a second student writing them gets the same array and the same message."""
    from grader.expr.memo import ExprCache

    kind = get_type("array")
    c = ctx("array")
    c.expr_cache = ExprCache()
    for _ in range(2):  # the second time, every element text comes from the cache
        got = kind.parse([["$2$", "= 3"], ["1/4", " 5 "]], c)
        assert got.tolist() == [[2.0, 3.0], [0.25, 5.0]]
        with pytest.raises(Invalid) as err:
            kind.parse([["$2$", "1,5"]], c)
        assert str(err.value).startswith("element [0][1]: expected a number, got the text '1,5'")
    assert ("array element", "1,5") in c.expr_cache.readings
    with pytest.raises(Invalid) as err:  # the same text at another place is named there
        kind.parse([[1, 2], [3, "1,5"]], c)
    assert str(err.value).startswith("element [1][1]: ")


def test_text_readings_are_remembered_per_options_not_shared_across_them():
    """A session remembers how it read an answer's text (its forms and words): the same text
    graded again gets the same verdict, and a part that reads text differently (case, synonyms)
    never gets another part's reading."""
    from grader.expr.memo import ExprCache

    kind = get_type("text")
    cache = ExprCache()
    plain, strict = ctx("text"), ctx("text", case_sensitive=True)
    synonyms = ctx("text", synonyms={"filter": ["kernel"]})
    for c in (plain, strict, synonyms):
        c.expr_cache = cache
    for _ in range(2):
        assert kind.compare(kind.parse("Max Pooling", plain), ["max pooling"], plain).fraction == 1
        assert kind.compare(kind.parse("Max Pooling", strict), ["max pooling"], strict).fraction == 0
        said = kind.compare(kind.parse("It is an edge kernel", synonyms), ["edge filter"], synonyms)
        assert said.fraction == 1 and said.loose
        unsaid = kind.compare(kind.parse("It is an edge kernel", plain), ["edge filter"], plain)
        assert unsaid.fraction == 0 and "expected 'edge filter'" in unsaid.message
    assert any(key[0] == "text forms" for key in cache.readings)


@pytest.mark.parametrize("type_name", ["number", "expression", "matrix_expression"])
def test_a_point_before_a_superscript_digit_is_invalid_not_a_crash(type_name):
    """'x.²' crashed the scanner (AttributeError: the part was marked as the grader's error)."""
    c = ctx(type_name, variables={"x": {}} if type_name != "number" else None)
    with pytest.raises(Invalid) as err:
        get_type(type_name).parse("x.²" if type_name != "number" else ".²", c)
    assert "'.' at position" in str(err.value)


@pytest.mark.parametrize("raw", ["1.2.3", "-1.0.0", "0..5"])
def test_a_number_with_two_decimal_points_is_refused_not_read_as_a_product(raw):
    """'1.2.3' was read as 1.2 * .3 = 0.36, '-1.0.0' as -0: numbers nobody wrote."""
    with pytest.raises(Invalid) as err:
        get_type("number").parse(raw, ctx("number"))
    assert "is not a number: a number has at most one decimal point" in str(err.value)
    with pytest.raises(Invalid) as err:
        get_type("array").parse([[1, raw]], ctx("array"))
    assert str(err.value).startswith("element [0][1]: expected a number, got the text")
    assert grade("number", "1.25", 1.25).fraction == 1 and grade("number", "1.", 1).fraction == 1


# shape --------------------------------------------------------------------------------------

def test_shape_right_wrong_partial_and_text():
    assert grade("shape", "32 x 128 x 26 x 26", [32, 128, 26, 26]).fraction == 1
    assert grade("shape", "(32, 128, 26, 26)", [32, 128, 26, 26]).fraction == 1
    v = grade("shape", [32, 128, 25, 25], [32, 128, 26, 26], partial="per_dimension", names=["N", "C", "H", "W"])
    assert v.fraction == 0.5 and "H is 25, expected 26" in v.message
    assert grade("shape", [32, 128, 26], [32, 128, 26, 26]).fraction == 0


@pytest.mark.parametrize("raw", [[32, -1], [1.5], "a x b", {"n": 1}, [True]])
def test_shape_malformed(raw):
    with pytest.raises(Invalid):
        get_type("shape").parse(raw, ctx("shape"))


# set ----------------------------------------------------------------------------------------

def test_set_unordered_case_insensitive_and_jaccard():
    assert grade("set", ["Dilation", "stride"], ["stride", "dilation"]).fraction == 1
    assert grade("set", "stride, dilation", ["stride", "dilation"]).fraction == 1
    v = grade("set", ["stride", "padding"], ["stride", "dilation"], partial="jaccard")
    assert v.fraction == pytest.approx(1 / 3) and "padding" in v.message
    assert grade("set", ["stride"], ["stride", "dilation"]).fraction == 0


def test_set_numbers_with_tolerance_and_malformed():
    assert grade("set", [2.0000001, 1], [1, 2], numbers=True).fraction == 1
    with pytest.raises(Invalid):
        get_type("set").parse([[1]], ctx("set"))
    with pytest.raises(Invalid):
        get_type("set").parse(["a", "x"], ctx("set", numbers=True))


# choice -------------------------------------------------------------------------------------

OPTS = [{"label": "A", "text": "Convolutional layer", "points": 0},
        {"label": "B", "text": "BatchNorm layer", "points": 2},
        {"label": "C", "text": "Linear activation", "points": 2, "feedback": "Also right."},
        {"label": "D", "text": "Max pooling", "points": -2}]


def test_choice_two_fully_right_options_and_text_matching():
    assert grade("choice", "B", None, points=2, options=OPTS).fraction == 1
    v = grade("choice", "c", None, points=2, options=OPTS)
    assert v.fraction == 1 and "Also right." in v.message
    assert grade("choice", "batchnorm layer", None, points=2, options=OPTS).fraction == 1
    assert grade("choice", "(B)", None, points=2, options=OPTS).fraction == 1


def test_choice_wrong_and_negative_floored():
    assert grade("choice", "A", None, points=2, options=OPTS).fraction == 0
    v = grade("choice", "D", None, points=2, options=OPTS)
    assert v.fraction == 0 and "floored at 0" in v.message


def test_choice_partial_by_option_points():
    opts = [{"label": "A", "points": 3}, {"label": "B", "points": 1}]
    assert grade("choice", "B", None, points=3, options=opts).fraction == pytest.approx(1 / 3)


@pytest.mark.parametrize("raw, words", [("E", "not one of"), (["A", "B"], "one option"), ({"x": 1}, "object"),
                                         (None, "null")])
def test_choice_malformed(raw, words):
    with pytest.raises(Invalid) as err:
        get_type("choice").parse(raw, ctx("choice", options=OPTS))
    assert words in str(err.value)


FIX_OPTS = [{"label": "A", "text": "Call optim.zero_grad() in every iteration before loss.backward()", "correct": True,
             "accept": ["zero grad before backward", "zero grad before loss backward"]},
            {"label": "B", "text": "Call optim.zero_grad() between loss.backward() and optim.step()"}]


@pytest.mark.parametrize("raw", ["place `optim.zero_grad()` before backward pass.",
                                 "Call zero_grad() before loss.backward() in the loop"])
def test_choice_option_said_in_the_students_words(raw):
    v = grade("choice", raw, None, options=FIX_OPTS)
    assert v.fraction == 1 and v.message.startswith("A is correct")


@pytest.mark.parametrize("raw", ["place optim.zero_grad() after the backward pass",
                                 "do not place optim.zero_grad() before backward",
                                 "zero_grad before backward or between backward and step"])
def test_choice_words_that_do_not_say_the_option_choose_nothing(raw):
    with pytest.raises(Invalid) as err:
        get_type("choice").parse(raw, ctx("choice", options=FIX_OPTS))
    assert "is not one of the options (A, B)" in str(err.value)


def test_choice_accept_phrases_are_words():
    bad = [{"label": "A", "accept": ["zero_grad()"]}, {"label": "B", "accept": "zero grad"}]
    problems = get_type("choice").check_spec(ctx("choice", options=bad))
    assert sum("accept must be a list of phrases of words" in p for p in problems) == 2


# multi --------------------------------------------------------------------------------------

MOPTS = [{"label": "A", "points": -1}, {"label": "B", "points": 1},
         {"label": "C", "points": -1}, {"label": "D", "points": 1}]


def test_multi_per_option_points_as_the_exam_scores_them():
    assert grade("multi", ["B", "D"], None, points=2, options=MOPTS).fraction == 1
    assert grade("multi", ["B"], None, points=2, options=MOPTS).fraction == 0.5
    assert grade("multi", ["B", "A"], None, points=2, options=MOPTS).fraction == 0
    v = grade("multi", ["A", "C"], None, points=2, options=MOPTS)
    assert v.fraction == 0 and "floored at 0" in v.message
    assert grade("multi", "B, D", None, points=2, options=MOPTS).fraction == 1
    assert grade("multi", "BD", None, points=2, options=MOPTS).fraction == 1


FLAGS = [{"label": x, "correct": x in "AB"} for x in "ABCDE"]


@pytest.mark.parametrize("scheme, picks, want", [
    ("all_or_nothing", ["A", "B"], 1), ("all_or_nothing", ["A"], 0),
    ("net_correct", ["A", "C"], 0), ("net_correct", ["A"], 0.5), ("net_correct", ["A", "B", "C"], 0.5),
    ("coverage", ["A"], 0.5), ("coverage", ["A", "C"], 0.25), ("coverage", ["A", "B"], 1),
    ("each_answer", ["A"], 0.8), ("each_answer", ["A", "C"], 0.6), ("each_answer", [], 0.6),
])
def test_multi_platform_schemes(scheme, picks, want):
    assert grade("multi", picks, None, options=FLAGS, scoring=scheme).fraction == pytest.approx(want)


def test_multi_malformed():
    with pytest.raises(Invalid, match="not one of"):
        get_type("multi").parse(["A", "Z"], ctx("multi", options=FLAGS))
    with pytest.raises(Invalid):
        get_type("multi").parse([["A"]], ctx("multi", options=FLAGS))


# text ---------------------------------------------------------------------------------------

def test_text_normalized_accept_and_regex():
    assert grade("text", "  o(T) ", "O(t)").fraction == 1
    assert grade("text", "O( t )", "O(t)", ignore_spaces=True).fraction == 1
    assert grade("text", "linear in t", "O(t)", accept=["linear in t"]).fraction == 1
    assert grade("text", "O(n)", "O(t)").fraction == 0
    assert grade("text", "big-O of t", None, regex=r"(big-?)?o\s*(of)?\s*\(?t\)?").fraction == 1


@pytest.mark.parametrize("raw", [None, ["O(t)"], "", "x" * 20000, {"a": 1}])
def test_text_malformed(raw):
    with pytest.raises(Invalid):
        get_type("text").parse(raw, ctx("text"))


# manual -------------------------------------------------------------------------------------

def test_manual_awards_nothing_and_lists_rubric():
    c = ctx("manual", rubric=[{"item": "States the span argument", "points": 1}])
    kind = get_type("manual")
    v = kind.compare(kind.parse("a proof", c), None, c)
    assert v.fraction == 0 and "States the span argument (1 pt)" in v.message


@pytest.mark.parametrize("text, value", [("1.2*10^-3", 0.0012), ("2^10", 1024), ("(1+2)/4", 0.75)])
def test_number_arithmetic_of_literals(text, value):
    assert grade("number", text, value).fraction == 1


@pytest.mark.parametrize("text, words", [("0,8", "decimal point"), ("50%", "without '%'"), ("26 px", "unknown symbol 'px'")])
def test_number_common_notations_get_specific_messages(text, words):
    with pytest.raises(Invalid) as err:
        get_type("number").parse(text, ctx("number"))
    assert words in str(err.value)
