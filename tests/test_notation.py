"""What students really write, in every answer box: one reader for numbers, lists, matrices,
sizes and distributions (grader/expr/values.py), the formula notations added with it, chains
and labels, and credit that follows what the answer means. Right, wrong and malformed input for
each notation, as a student sees it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from grader.types import Invalid, PartContext, get_type

ROOT = Path(__file__).resolve().parents[1]


def ctx(type_name: str, **options) -> PartContext:
    kind = get_type(type_name)
    opts = {name: opt.default for name, opt in kind.options.items()}
    opts.update(options)
    return PartContext(part_id="p", options=opts, extra={"points": 1.0})


def grade(type_name, raw, value, **options):
    kind = get_type(type_name)
    c = ctx(type_name, **options)
    return kind.compare(kind.parse(raw, c), kind.expected(value, c), c)


def invalid(type_name, raw, **options) -> str:
    kind = get_type(type_name)
    with pytest.raises(Invalid) as err:
        kind.parse(raw, ctx(type_name, **options))
    return str(err.value)


# -- numbers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, value", [
    ("\\frac{1}{3}", 1 / 3), ("\\dfrac{2}{3}", 2 / 3), ("\\frac12", 0.5), ("\\sqrt{3}", math.sqrt(3)),
    ("sqrt(3)", math.sqrt(3)), ("√3", math.sqrt(3)), ("1.12 \\times 10^{6}", 1.12e6), ("1.12 × 10^6", 1.12e6),
    ("2 \\cdot 10^{-3}", 2e-3), ("\\pi", math.pi), ("$\\frac{\\pi}{4}$", math.pi / 4), ("\\(2^{-3}\\)", 0.125),
    ("$$0.25$$", 0.25), ("r_d = 15", 15), ("\\eta^* = \\frac{1}{2}", 0.5), ("s = 3.", 3),
    ("\\frac{\\partial \\mathcal{L}_1}{\\partial \\eta} = 0.5", 0.5), ("x = \\frac{1}{2} = 0.5", 0.5),
    ("\\left(\\frac{2}{5}\\right)^2", 0.16), ("e^{-1}", math.exp(-1)), ("\\log_{10}(1000)", 3),
    ("\\binom{5}{2}", 10), ("15 \\text{ pixels}", 15),
])
def test_number_reads_latex_notation(raw, value):
    verdict = grade("number", raw, value)
    assert verdict.fraction == 1, verdict.message


@pytest.mark.parametrize("raw, value", [
    ("\\frac{1}{4}", 1 / 3), ("\\sqrt{2}", math.sqrt(3)), ("1.12 \\times 10^{5}", 1.12e6), ("r_d = 7", 15),
])
def test_number_wrong_in_latex_is_wrong(raw, value):
    assert grade("number", raw, value).fraction == 0


def test_sqrt_written_either_way_earns_the_same():
    for raw in ("\\sqrt{3}", "sqrt(3)", "√3", "3^{1/2}", "$\\sqrt 3$"):
        assert grade("number", raw, 3 ** 0.5).fraction == 1, raw
        assert grade("number", raw, 3).fraction == 0, raw


@pytest.mark.parametrize("raw, words", [
    ("\\frac{1}{", "ends too early"), ("\\int_0^1 x dx", "unsupported LaTeX command '\\int'"),
    ("x + 1", "unknown symbol 'x'"), ("[1, 2]", "list of 2 numbers"), ("\\frac{1}{0}", "division by zero"),
    ("r_d = ", "nothing after"), ("\\sqrt{-1}", "root of a negative"), ("1,957,988", "thousands separators (1957988)"),
    ("1e999", "out of range"),
])
def test_number_malformed_latex_says_what_is_wrong(raw, words):
    assert words in invalid("number", raw)


def test_chain_whose_sides_disagree_is_graded_on_its_last_side_and_says_so():
    verdict = grade("number", "x = \\frac{1}{2} = 0.6", 0.6)
    assert verdict.fraction == 1 and "sides of your chain disagree" in verdict.message
    assert grade("number", "x = 0.6 = \\frac{1}{2}", 0.6).fraction == 0


def test_significant_figures_count_through_labels_and_scientific_notation():
    assert grade("number", "p = 0.33", 1 / 3, min_sigfigs=3).fraction == 0
    assert grade("number", "3.33 \\times 10^{-1}", 1 / 3, min_sigfigs=3, rtol=0.01).fraction == 1


@pytest.mark.parametrize("raw, parameter, value", [
    ("x_{l+1} \\sim \\mathcal{N}(0, 3)", "variance", 3), ("$g_l \\sim \\mathcal{N}(0, 1)$", "variance", 1),
    ("x ~ N(0, 3)", "variance", 3), ("x \\sim \\mathcal{N}(0, 3)", "std", math.sqrt(3)),
    ("x \\sim \\mathcal{N}(2, 3)", "mean", 2), ("3", "variance", 3),
    ("x \\sim \\mathcal{N}(\\mu = 0, \\sigma^2 = 3)", "variance", 3),
])
def test_distribution_notation_gives_the_parameter_the_part_asks_for(raw, parameter, value):
    assert grade("number", raw, value, parameter=parameter).fraction == 1


def test_distribution_notation_wrong_and_malformed():
    assert grade("number", "x_{l+1} \\sim \\mathcal{N}(0, 1)", 3, parameter="variance").fraction == 0
    assert "asks for a number" in invalid("number", "x \\sim \\mathcal{N}(0, 3)")
    assert "two parameters" in invalid("number", "x \\sim \\mathcal{N}(0)", parameter="variance")
    assert "normal distribution" in invalid("number", "x \\sim U(0, 1)", parameter="variance")


def test_uva_declares_the_variance_where_the_key_writes_a_distribution():
    spec = yaml.safe_load((ROOT / "problems/uva-dl1-resit-2022/problem.yaml").read_text())
    parts = {p["id"]: p for p in spec["parts"]}
    assert all(parts[i].get("parameter") == "variance" for i in ("6.1", "6.2", "6.3", "6.4"))


@pytest.mark.parametrize("raw, ok", [("15 \\times 15", True), ("15 × 15", True), ("15x15", True),
                                     ("r_d = 15 \\rightarrow \\text{so, receptive field is } 15 \\times 15", True),
                                     ("15", True), ("7 \\times 7", False)])
def test_square_size_reads_a_side(raw, ok):
    assert (grade("number", raw, 15, integer=True, square_size=True).fraction == 1) is ok


def test_square_size_refuses_a_rectangle_and_a_plain_part_multiplies():
    assert "not square" in invalid("number", "15 \\times 13", integer=True, square_size=True)
    assert grade("number", "15 \\times 15", 225).fraction == 1  # a number part without square_size


# -- arrays -----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, value", [
    ("\\frac{1}{3}[1, 10, 100]", [1 / 3, 10 / 3, 100 / 3]),
    ("\\frac{1}{1.0101}[1, 0.1, 0.01]", [1 / 1.0101, 0.1 / 1.0101, 0.01 / 1.0101]),
    ("[1, 0.1, 0.01]/1.0101", [1 / 1.0101, 0.1 / 1.0101, 0.01 / 1.0101]),
    ("[4/5, 2/5]", [0.8, 0.4]), (["4/5", "\\frac{2}{5}"], [0.8, 0.4]),
    ("\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}", [[1, 2], [3, 4]]),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", [[1, 2], [3, 4]]),
    ("$\\left[\\begin{matrix} 1 & 2 \\\\ 3 & 4 \\end{matrix}\\right]$", [[1, 2], [3, 4]]),
    ("1 2; 3 4", [[1, 2], [3, 4]]), ("[1, 2; 3, 4]", [[1, 2], [3, 4]]),
    ("w_1 = [6, 12]", [6, 12]), ("w_1 = [6, 12]^T", [6, 12]),
    ("\\theta = \\frac{1}{1.11} \\begin{bmatrix} 1 \\\\ 1 \\\\ 1 \\end{bmatrix}", [1 / 1.11] * 3),
    ("\\begin{bmatrix} 1 \\\\ 0.1 \\end{bmatrix} \\cdot \\left( \\frac{1}{2} \\right)", [0.5, 0.05]),
    ("[1 \\ 0.1 \\ 0.01]", [1, 0.1, 0.01]), ([[1], [2], [3]], [1, 2, 3]), ([1, 2, 3], [[1], [2], [3]]),
    ("[\\sqrt{2}, \\pi]", [math.sqrt(2), math.pi]),
    ("solution  $\\Rightarrow \\frac{1}{3} \\begin{bmatrix} 1 \\\\ 1 \\\\ 1 \\end{bmatrix}$", [1 / 3] * 3),
])
def test_array_reads_latex_and_list_notation(raw, value):
    verdict = grade("array", raw, value)
    assert verdict.fraction == 1, verdict.message


def test_array_wrong_values_in_latex_are_wrong():
    assert grade("array", "\\frac{1}{3}[1, 100, 1000]", [1 / 3, 10 / 3, 100 / 3]).fraction == 0
    assert grade("array", "\\begin{bmatrix} 1 & 2 \\\\ 3 & 5 \\end{bmatrix}", [[1, 2], [3, 4]]).fraction == 0
    assert grade("array", [[1, 2, 3]], [[1], [2], [3]], orientation="strict").fraction == 0


@pytest.mark.parametrize("raw, words", [
    ("[1, 2", "not closed"), ("[a, b]", "unknown symbol 'a'"), ("[1,,2]", "empty item"),
    ("\\begin{bmatrix} 1 & \\\\ 3 & 4 \\end{bmatrix}", "empty entry"),
    ("\\begin{vmatrix} 1 & 2 \\\\ 3 & 4 \\end{vmatrix}", "determinant"), ("[1, 2] [3, 4]", "side by side"),
    ("[1, 2] + x", "after the list"),
])
def test_array_malformed_latex_says_what_is_wrong(raw, words):
    assert words in invalid("array", raw)


# -- shapes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["14 \\times 14", "14 × 14", "14x14", "14 x 14", "$14 \\times 14$", "[14, 14]",
                                 "(14, 14)", "\\left[14, 14\\right]", "size = 14 \\times 14", "$[14, 14]$"])
def test_shape_reads_sizes_never_products(raw):
    assert grade("shape", raw, [14, 14]).fraction == 1
    assert grade("shape", raw, [196]).fraction == 0


def test_shape_reads_a_tensor_shape_inside_math_and_prose():
    assert grade("shape", "output shape would be  $[32, 128, 26, 26]$", [32, 128, 26, 26]).fraction == 1
    assert grade("shape", "$10, 24, 32, 32$", [10, 24, 32, 32]).fraction == 1
    assert grade("shape", "$[32, 128, 25, 25]$", [32, 128, 26, 26]).fraction == 0


@pytest.mark.parametrize("raw, words", [("15 x", "dimension 2"), ("1.5 x 2", "dimension 1"), ("", "empty")])
def test_shape_malformed(raw, words):
    assert words in invalid("shape", raw)


# -- sets -------------------------------------------------------------------------------------
def test_set_of_numbers_reads_latex():
    assert grade("set", "$\\{\\frac{1}{2}, \\sqrt{4}\\}$", [0.5, 2], numbers=True).fraction == 1
    assert grade("set", ["\\frac{1}{2}", "2"], [2, 0.5], numbers=True).fraction == 1
    assert grade("set", "{1/2, 3}", [0.5, 2], numbers=True).fraction == 0
    assert "item 2" in invalid("set", "{1, x}", numbers=True)


# -- choice and multi: the labels a sentence names ----------------------------------------------
CHOICE_OPTS = {"options": [{"label": x} for x in "ABCD"]}


@pytest.mark.parametrize("raw, value, fraction", [
    ("Learning Rate A is too high!", "A", 1), ("The answer is (C).", "C", 1), ("Learning Rate A is too high!", "B", 0),
])
def test_choice_reads_the_label_a_sentence_names(raw, value, fraction):
    assert grade("choice", raw, value, **CHOICE_OPTS).fraction == fraction


@pytest.mark.parametrize("raw, words", [
    ("A learning rate that is too high", "not one of the options"), ("Not A", "not one of the options"),
    ("A or B, I think", "names 2 options"),
])
def test_choice_sentence_that_names_no_single_option(raw, words):
    assert words in invalid("choice", raw, **CHOICE_OPTS)


def test_multi_reads_the_labels_a_sentence_names():
    opts = {"options": [{"label": "A", "points": -1}, {"label": "B", "points": -1}, {"label": "C", "points": 1},
                        {"label": "D", "points": 1}], "scoring": "per_option"}
    assert grade("multi", "Solution: C and D", None, **opts).fraction == 1
    assert grade("multi", "Solution: B and D", None, **opts).fraction == 0
    assert "not one of the options" in invalid("multi", "Solution: none of them", **opts)


# -- text: the phrase in the student's sentence ------------------------------------------------
@pytest.mark.parametrize("answer, fraction", [
    ("This is an edge detector", 1), ("edge detector", 1), ("An edge-detector.", 1), ("edge detectors", 1),
    ("It is not an edge detector", 0), ("a blur or an edge detector", 0), ("edge", 0), ("a blur filter", 0),
])
def test_text_phrase_inside_a_sentence(answer, fraction):
    assert grade("text", answer, "edge detector").fraction == fraction


def test_text_exact_match_and_symbols():
    assert grade("text", "This is an edge detector", "edge detector", match="exact").fraction == 0
    assert grade("text", "O(t^2)", "O(t)").fraction == 0  # symbols: only the exact answer matches
    assert grade("text", "a kernel that blurs", "filter", synonyms={"filter": ["kernel"]}).fraction == 1


def test_half_credit_for_edge_detector_reaches_the_sentence(tmp_path):
    from grader.engine import grade as grade_submission
    from grader.spec import load_problem
    from grader.submission import Submission

    problem = load_problem(ROOT / "problems/csc413-hw2")
    marks = {}
    for answer in ("This is an edge detector", "vertical edges", "it detects vertical edges",
                   "horizontal edges", "It is not an edge detector"):
        report = grade_submission(problem, Submission(source="t", answers={"3.1.b": answer}))
        marks[answer] = next(p.score for p in report.parts if p.id == "3.1.b")
    assert marks == {"This is an edge detector": 0.1, "vertical edges": 0, "it detects vertical edges": 0,
                     "horizontal edges": 0.2, "It is not an edge detector": 0}


# -- credit: a closeness tier never rewards a known wrong idea -----------------------------------
def test_unit_vector_is_not_rewarded_for_being_close_to_the_min_norm_solution():
    from grader.engine import grade as grade_submission
    from grader.spec import load_problem
    from grader.submission import Submission

    problem = load_problem(ROOT / "problems/dl-midterm")
    norm = math.sqrt(1.0101)
    cases = {
        "unit": ([1 / norm, 0.1 / norm, 0.01 / norm], 0.0),
        "unit-latex": ("\\frac{x^T}{\\|x\\|} = \\frac{1}{\\sqrt{1.0101}}[1, 0.1, 0.01]", 0.0),
        "rounded": ([0.99, 0.099, 0.0099], 3.0),
        "coarse": ([0.985, 0.0985, 0.00985], 1.5),  # within 2% of the answer: the rounding tier
    }
    for name, (answer, score) in cases.items():
        report = grade_submission(problem, Submission(source="t", answers={"Q7.1": answer}))
        part = next(p for p in report.parts if p.id == "Q7.1")
        assert part.score == score, (name, part.feedback)
    assert "||x||^2" in part.feedback or score


# -- formulas: coverage ------------------------------------------------------------------------
MATRIX_VARS = {
    "X": {"shape": ["n", "d"]}, "w0": {"shape": ["d"], "aliases": ["w_0"]}, "a": {"shape": ["n"]},
    "u": {"shape": ["d"]}, "eta": {"domain": "positive"}, "lambda": {"domain": "positive"},
    "A": {"shape": ["d", "d"]}, "S": {"shape": ["d", "d"], "structure": "spd"},
    "D": {"shape": ["n", "n"], "structure": "diagonal", "domain": "positive"}, "P": {"shape": ["n", "n"], "define": "D @ D"},
}
MATRIX_OPTS = {"variables": MATRIX_VARS, "dims": {"n": [2, 5], "d": [2, 5]}}


@pytest.mark.parametrize("raw, reference", [
    ("(I - \\lambda I) w_0 - \\frac{2\\eta}{n} X^\\top a", "(1 - lambda)*w0 - 2*eta/n * X.T @ a"),
    ("(I - 2\\eta\\lambda I)w_0", "(1 - 2*eta*lambda)*w0"), ("\\lambda I w_0 + w_0", "(1 + lambda)*w0"),
    ("X^{\\rm T} a", "X.T @ a"), ("X^{\\mathrm{T}} a", "X.T @ a"), ("X^Ta", "X.T @ a"), ("X^Ta + X^T a", "2*X.T@a"),
    ("\\mathrm{Tr}(A)", "tr(A)"), ("\\operatorname{Tr}(A^T A)", "norm(A)^2"), ("Tr(A)", "tr(A)"),
    ("\\langle u, w_0 \\rangle", "u.T @ w0"), ("⟨u, w_0⟩", "u.T @ w0"), ("\\langle A, A \\rangle", "norm(A)^2"),
    ("X^\\dagger", "pinv(X)"), ("X^{\\dagger} a", "pinv(X) @ a"), ("X^+ a", "pinv(X) @ a"), ("pinv(X)", "pinv(X)"),
    ("X^† a", "pinv(X) @ a"), ("P^{1/2} X", "D @ X"), ("\\sqrt{P} X", "D @ X"), ("P^{-1/2}", "inv(D)"),
    ("S^{1/2} S^{1/2}", "S"), ("\\sqrt{S}^2", "S"), ("(X^T a)^2", "a.T @ X @ X.T @ a"), ("u^2", "norm(u)^2"),
])
def test_matrix_formula_notations(raw, reference):
    verdict = grade("matrix_expression", raw, reference, **MATRIX_OPTS)
    assert verdict.fraction == 1, verdict.message


@pytest.mark.parametrize("raw, reference", [
    ("(I - \\lambda I) w_0", "w0"), ("X^Ta", "X.T @ a / 2"), ("\\mathrm{Tr}(A)", "tr(A.T @ A)"),
    ("\\langle u, w_0 \\rangle", "2 * u.T @ w0"), ("X^\\dagger a", "X.T @ a"), ("P^{1/2} X", "P @ X"),
    ("\\sqrt{A^T A}", "A"),  # the square root of A^T A is |A|, not A
])
def test_matrix_formula_notations_wrong(raw, reference):
    assert grade("matrix_expression", raw, reference, **MATRIX_OPTS).fraction == 0


@pytest.mark.parametrize("raw, words", [
    ("I_1 X", "'I_1' at position 1 would be a 1×1 identity"), ("X^{1/2}", "only square matrices"),
    ("A^{1/3}", "or a half for a square root"), ("\\sqrt{X}", "needs a square matrix"),
    ("\\langle u, a \\rangle", "inner product needs equal shapes"), ("\\langle u \\rangle", "with a comma"),
    ("\\dagger X", "must follow '^'"),
])
def test_matrix_formula_notations_malformed(raw, words):
    assert words in invalid("matrix_expression", raw, **MATRIX_OPTS)


ROWS_OPTS = {"variables": {"X": {"shape": ["n", "d"], "rows": "x"}, "D": {"shape": ["n", "n"], "structure": "diagonal",
                                                                   "domain": "positive"},
                           "P": {"shape": ["n", "n"], "define": "D @ D", "entries": "p"}},
             "dims": {"n": [2, 4], "d": [5, 7]}}
STACK = "\\begin{bmatrix} %s \\\\ %s \\\\ \\vdots \\\\ %s \\end{bmatrix}"


@pytest.mark.parametrize("raw, reference, right", [
    (STACK % ("\\sqrt{p_1} x_1^T", "\\sqrt{p_2} x_2^T", "\\sqrt{p_n} x_n^T"), "D @ X", True),
    ("\\tilde{X} = " + STACK % ("\\sqrt{p_{1}} x_{1}^\\top", "\\sqrt{p_{2}} x_{2}^\\top", "\\sqrt{p_{n}} x_{n}^\\top"),
     "D @ X", True),
    (STACK % ("x_1^T", "x_2^T", "x_n^T"), "X", True),
    (STACK % ("p_1 x_1^T", "p_2 x_2^T", "p_n x_n^T"), "D @ X", False),
    (STACK % ("2 x_1^T", "2 x_2^T", "2 x_n^T"), "X", False),
])
def test_matrix_written_by_its_rows(raw, reference, right):
    assert (grade("matrix_expression", raw, reference, **ROWS_OPTS).fraction == 1) is right


@pytest.mark.parametrize("raw, words", [
    (STACK % ("\\sqrt{p_1} x_1^T", "\\sqrt{p_3} x_3^T", "\\sqrt{p_n} x_n^T"), "numbered 1, 2, ..., n"),
    (STACK % ("\\sqrt{p_1} x_1^T", "p_2 x_2^T", "\\sqrt{p_n} x_n^T"), "one pattern"),
    (STACK % ("\\sqrt{p_1} x_1", "\\sqrt{p_2} x_2", "\\sqrt{p_n} x_n"), "times x_i^T"),
    ("\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}", "columns"),
])
def test_matrix_written_by_its_rows_malformed(raw, words):
    assert words in invalid("matrix_expression", raw, **ROWS_OPTS)
    assert "not read in this part" in invalid("matrix_expression", raw, **MATRIX_OPTS)


def test_scale_times_identity_does_not_crash_and_non_psd_root_is_undefined():
    # this formula used to raise AttributeError: 'float' object has no attribute 'shape'
    verdict = grade("matrix_expression", "(I - \\lambda I) w_0 - \\frac{2\\eta}{n} X^\\top a",
                    "w0 - 2*eta/n * X.T @ a", **MATRIX_OPTS)
    assert verdict.fraction == 0 and "not equivalent" in verdict.message
    verdict = grade("matrix_expression", "\\sqrt{A} u", "u", **MATRIX_OPTS)
    assert verdict.fraction == 0 and "undefined" in verdict.message


def test_factor_hint_never_says_about_1():
    verdict = grade("matrix_expression", "1.00001 X^T a", "X.T @ a", **MATRIX_OPTS)
    assert "about 1.00001" in verdict.message
    verdict = grade("expression", "1.00001 x", "x", variables={"x": {"domain": "positive"}})
    assert verdict.fraction == 0 and "about 1 " not in verdict.message + " " and "about 1)" not in verdict.message


SCALAR_VARS = {"variables": {"n": {"domain": "positive_integer"}, "k": {"domain": "positive_integer"},
                             "x": {"domain": "positive"}, "b": {"domain": [2, 5]}}}


@pytest.mark.parametrize("raw, reference, right", [
    ("\\binom{n}{k}", "binom(n, k)", True), ("\\binom{n+1}{2}", "n*(n+1)/2", True), ("\\binom{n}{2}", "n^2/2", False),
    ("\\log_{10} x", "log(x)/log(10)", True), ("\\log_{10}(x)", "log10(x)", True), ("\\log_2 x", "log2(x)", True),
    ("\\log_b x", "ln(x)/ln(b)", True), ("\\log_b(x^2)", "2 ln(x)/ln(b)", True), ("\\log_b x", "ln(x)", False),
    ("\\log_{10} x", "ln(x)", False),
])
def test_scalar_formula_notations(raw, reference, right):
    assert (grade("expression", raw, reference, **SCALAR_VARS).fraction == 1) is right


@pytest.mark.parametrize("raw, words", [
    ("\\log_q x", "unknown base 'q'"), ("\\binom{n}", "needs an argument"), ("\\langle x, x \\rangle", "needs vectors"),
    ("x^\\dagger", "pseudo-inverse"),
])
def test_scalar_formula_notations_malformed(raw, words):
    assert words in invalid("expression", raw, **SCALAR_VARS)


@pytest.mark.parametrize("raw, right, note", [
    ("\\eta^* = \\frac{x}{2} = 0.5 x", True, ""),
    ("y = \\frac{x}{2} = \\frac{x}{3}", False, "sides of your chain disagree"),
    ("y = \\frac{x}{3} = \\frac{x}{2}", True, "sides of your chain disagree"),
    ("\\begin{aligned} y &= \\frac{x}{4} \\cdot 2 \\\\ &= \\frac{x}{2} \\end{aligned}", True, ""),
    ("\\therefore y = \\frac{x}{2}", True, ""), ("\\text{so } y = \\frac{x}{2}", True, ""),
    ("y \\leftarrow \\frac{x}{2}", True, ""),
    ("\\frac{\\partial \\mathcal{L}_1}{\\partial \\eta} = \\frac{x}{2}", True, ""),
])
def test_formula_chains_and_labels(raw, right, note):
    verdict = grade("expression", raw, "x/2", **SCALAR_VARS)
    assert (verdict.fraction == 1) is right, verdict.message
    assert note in verdict.message


def test_formula_chain_malformed():
    assert "at most 16 are read" in invalid("expression", "=".join(["x"] * 40), **SCALAR_VARS)
    assert "at most 16 are read" in invalid("number", "=".join(["1"] * 40))
    assert "nothing after" in invalid("expression", "y = \\frac{x}{2} =", **SCALAR_VARS)
    message = invalid("expression", "y = \\frac{x}{2} = \\int x", **SCALAR_VARS)
    assert "the last side of your chain" in message and "\\int" in message
    assert "unsupported LaTeX command" in invalid("expression", "y = \\int x", **SCALAR_VARS)


# -- every formula answer in problems/, in the notations students use ----------------------------
FORMS = yaml.safe_load((Path(__file__).parent / "notation" / "equivalent_forms.yaml").read_text(encoding="utf-8"))
CASES = [(pid, part, form) for pid, parts in FORMS.items() for part, forms in parts.items() for form in forms]


@pytest.fixture(scope="module")
def problems():
    from grader.spec import load_problem

    return {pid: load_problem(ROOT / "problems" / pid) for pid in FORMS}


def test_every_formula_part_has_equivalent_forms(problems):
    for pid, problem in problems.items():
        formula_parts = {p.id for p in problem.parts if p.kind.name in ("expression", "matrix_expression")}
        assert formula_parts <= set(FORMS[pid]), formula_parts - set(FORMS[pid])
        assert all(len(FORMS[pid][p]) >= 4 for p in formula_parts)


@pytest.mark.parametrize("pid, part, form", CASES, ids=[f"{p}:{q}:{i}" for i, (p, q, _) in enumerate(CASES)])
def test_equivalent_forms_score_full_marks(problems, pid, part, form):
    from grader.engine import grade as grade_submission
    from grader.submission import Submission

    report = grade_submission(problems[pid], Submission(source="forms", answers={part: form}))
    result = next(p for p in report.parts if p.id == part)
    assert result.score == result.max_score, f"{form!r}: {result.status}: {result.feedback}"


# -- hostile text: only a clear Invalid, never another exception --------------------------------
def test_random_notation_soup_only_ever_gives_invalid_or_a_value():
    import random

    rng = random.Random(11)
    pieces = list("0123456789.,;[](){}$\\^_=+-*/xe ") + [
        "\\frac", "\\sqrt", "\\begin{bmatrix}", "\\end{bmatrix}", "&", "\\\\", "\\times", "\\sim", "\\mathcal{N}",
        "\\left", "\\right", "\\text{a b}", "\\rightarrow", "1e999", "9^9^9", "\\pi", "~", "×", "\\{", "\\}",
        "\\binom", "\\log_", "\\dagger", "\\langle", "\\rangle", "1e-400", "N(", "\\sim N(0,", "I_1", "X^T"]
    boxes = [("number", {}), ("number", {"parameter": "variance", "square_size": True, "integer": True}),
             ("array", {}), ("shape", {}), ("set", {"numbers": True}),
             ("expression", {"variables": {"x": {}}}),
             ("matrix_expression", {"variables": {"X": {"shape": ["n", "n"]}, "x": {"shape": ["n"]}},
                                    "dims": {"n": [2, 4]}})]
    for _ in range(600):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 25)))
        for name, options in boxes:
            kind, c = get_type(name), ctx(name, **options)
            try:
                got = kind.parse(text, c)
                if name.endswith("expression"):
                    kind.compare(got, kind.expected("x" if name == "expression" else "X @ x", c), c)
            except Invalid:
                pass


# -- tables typed as text (tabs or Markdown pipes, row labels, blank cells) -------------------
ONE_HOT = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]]
TAB_TABLE = "the\t1\t\t\ncat\t\t1\t\nsat\t\t\t1\ncat\t\t1\t\n"
PIPE_TABLE = ("| word | the | cat | sat |\n| --- | --- | --- | --- |\n| the | 1 | 0 | 0 |\n"
              "| cat | 0 | 1 | 0 |\n| sat | 0 | 0 | 1 |\n| cat | 0 | 1 | 0 |\n")


@pytest.mark.parametrize("raw", [TAB_TABLE, PIPE_TABLE, "1\t0\t0\n0\t1\t0\n0\t0\t1\n0\t1\t0"])
def test_a_typed_table_with_labels_and_blank_cells_is_read_as_its_numbers(raw):
    verdict = grade("array", raw, ONE_HOT, blank=0)
    assert verdict.fraction == 1.0, verdict.message


def test_a_typed_table_says_it_set_the_labels_aside_and_read_blanks_as_declared():
    verdict = grade("array", TAB_TABLE, ONE_HOT, blank=0)
    assert "row labels ('the', 'cat', 'sat', 'cat') were set aside" in verdict.message
    assert "8 blank cell(s) read as 0" in verdict.message


def test_a_wrong_typed_table_is_wrong_and_a_partly_right_one_earns_its_rows():
    wrong = "the\t\t1\t\ncat\t1\t\t\nsat\t\t\t1\ncat\t1\t\t\n"
    assert grade("array", wrong, ONE_HOT, blank=0).fraction == 0.0
    half = "the\t1\t\t\ncat\t\t1\t\nsat\t1\t\t\ncat\t\t\t1\n"  # rows 3 and 4 wrong
    verdict = grade("array", half, ONE_HOT, blank=0, partial="per_element")
    assert verdict.fraction == pytest.approx(8 / 12)
    assert "4 of 12 element(s) wrong" in verdict.message


def test_blank_cells_are_an_error_naming_row_and_column_unless_the_part_declares_them():
    message = invalid("array", TAB_TABLE)
    assert "row 1 ('the'), column 2 is blank" in message
    assert "0 where there is nothing" in message


def test_a_malformed_typed_table_names_the_cell():
    message = invalid("array", "the\t1\tx\t0\ncat\t0\t1\t0\n", blank=0)
    assert "row 1 ('the'), column 2: unknown symbol 'x'" in message
    assert "a number is expected here" in message
    words = invalid("array", "a\tb\nc\td\n", blank=0)  # a header, then a label and a word
    assert "row 1 ('c'), column 1: unknown symbol 'd'" in words


def test_the_seed_students_one_hot_table_is_graded_as_drawn():
    from grader import api

    report = api.grade(ROOT / "problems" / "dl-midterm", ROOT / "submissions_example" / "dl-midterm" / "seed-student.json")
    q4 = next(p for p in report.parts if p.id == "Q4")
    assert (q4.score, q4.max_score) == (2.0, 3.0)  # 4 of the 6 rows: "midterm" and the second "exam" left empty
    assert "2 of 6 element(s) wrong" in q4.feedback
