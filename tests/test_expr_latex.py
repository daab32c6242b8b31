"""Norm notation (\\|v\\|_2, ||v||), accents (λ̃, \\tilde{\\lambda}) and hostile LaTeX."""

import builtins
import time

import pytest

from grader.expr import ExprError, SymbolTable, matrix_space, parse, read, to_text
from grader.types import Invalid, PartContext, get_type

SPACE = matrix_space({
    "X": {"shape": ["n", "d"]},
    "t": {"shape": ["n"]},
    "w0": {"shape": ["d"], "aliases": ["w_0"]},
    "eta": {"domain": "positive", "aliases": ["\\eta"]},
    "a": {"define": "X @ w0 - t"},
    "A": {"shape": ["d", "d"]},
}, {"n": [2, 6], "d": [2, 6]})
SCALARS = SymbolTable.build({"x": {}, "lambda_tilde": {"aliases": ["λ̃"]}, "w_hat_0": {}})
# the hw2 loss after one step: (1/n) ||X w1 - t||^2 with X w1 - t = a - (2 eta/n) X X^T a
LOSS = "(1/n) * (a - (2*eta/n) * X @ X.T @ a).T @ (a - (2*eta/n) * X @ X.T @ a)"


def canon(text, table=SPACE.table):
    return to_text(parse(text, table))


def error(text, table=SPACE.table):
    with pytest.raises(ExprError) as info:
        parse(text, table)
    return info.value.message


def judge(student, reference):
    s, r = read(student, SPACE.table), read(reference, SPACE.table)
    return SPACE.compare(s.node, r.node, seed_text="2.2.1.b", rtol=1e-6, atol=1e-9, samples=4)


# -- norms -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("\\|a\\|_2^2", "norm2(a)^2"),
    ("\\|a\\|_{2}^2", "norm2(a)^2"),
    ("\\|a\\|^2_2", "norm2(a)^2"),
    ("\\left\\| a \\right\\|_2^2", "norm2(a)^2"),
    ("\\lVert a \\rVert_2", "norm2(a)"),
    ("‖a‖₂²", "norm2(a)^2"),
    ("‖a‖²₂", "norm2(a)^2"),
    ("||a||_2", "norm2(a)"),
    ("||a||^2", "norm(a)^2"),
    ("\\|a\\|^2", "norm(a)^2"),
    ("|a|", "abs(a)"),
    ("\\|X\\|_F^2", "norm(X)^2"),
    ("\\|X\\|_{\\mathrm{F}}", "norm(X)"),
    ("|a||t|", "abs(a)*abs(t)"),  # two bars meeting are not a norm sign
])
def test_norm_notation_reads(text, expected):
    assert canon(text) == expected


@pytest.mark.parametrize("student", [
    "\\frac{1}{n} \\|a - \\frac{2\\eta}{n} X X^T a\\|_2^2",
    "\\frac{1}{n} \\left\\| X w_0 - t - \\frac{2\\eta}{n} X X^T a \\right\\|_2^2",
    "1/n ||a - 2 eta/n X X' a||^2",
    "1/n ||a - 2 eta/n X X' a||_2^2",
    "\\frac1n \\lVert a - \\frac{2\\eta}{n} X X^\\top a \\rVert^2_{2}",
])
def test_norm_answers_are_right(student):
    outcome = judge(student, LOSS)
    assert outcome.equal, outcome.message


def test_norm_answers_are_wrong_when_they_should_be():
    assert not judge("\\frac{1}{n} \\|a - \\eta X X^T a\\|_2^2", LOSS).equal
    assert not judge("\\frac{1}{n} \\|a - \\frac{2\\eta}{n} X X^T a\\|_2", LOSS).equal  # not squared
    # for a matrix, _2 is the spectral norm, _F (and a bare norm) the Frobenius norm
    assert judge("\\|X\\|_F^2", "tr(X.T @ X)").equal
    assert judge("||X||^2", "tr(X.T @ X)").equal
    assert not judge("\\|X\\|_2^2", "tr(X.T @ X)").equal
    # a vector's 2-norm is its length whichever way it is written
    assert judge("\\|X^T a\\|_2", "sqrt(a.T @ X @ X.T @ a)").equal


@pytest.mark.parametrize("text, message", [
    ("\\|a\\|_1", "only the 2-norm is supported here (\\|v\\|_2, or \\|A\\|_F for a matrix's Frobenius norm), "
                  "not the norm '_1' at position 6"),
    ("\\|a\\|_\\infty", "not the norm '_\\infty' at position 6"),
    ("||a||_{p}", "not the norm '_p'"),
    ("\\|a\\|_", "'_' at position 6 needs a subscript after it"),
    ("\\|a\\|_{}", "empty subscript"),
    ("(a)_2", "a subscript must follow a name"),
    ("|_2 a|", "unexpected '_2' at position 2"),
    ("\\|a\\|\\|_2", "unexpected '_2' at position 8"),
    ("a + \\infty", "infinity is not allowed (at position 5)"),
])
def test_malformed_norms_get_a_precise_message(text, message):
    assert message in error(text)


def test_scalar_parts_read_norm_bars_as_abs():
    assert canon("||x||", SCALARS) == "abs(x)"
    assert canon("|x|_2 + \\|x\\|", SCALARS) == "abs(x) + abs(x)"
    assert canon("||x| - |x||", SCALARS) == "abs(abs(x) - abs(x))"
    assert "the Frobenius norm '_F' at position 4 applies to matrices" in error("|x|_F", SCALARS)


def test_norm_shapes_and_round_trip():
    node = parse("\\|X^T a\\|_2^2 + ||X||", SPACE.table)
    assert SPACE.shape(node) == ()
    assert parse(to_text(node), SPACE.table) == node
    with pytest.raises(ExprError, match="the size of I in norm2\\(I\\) cannot be inferred"):
        SPACE.shape(parse("\\|I\\|_2", SPACE.table))


def test_matrix_type_grades_norm_answers():
    matrix = get_type("matrix_expression")
    c = PartContext("2.2.1.b", {"dims": {"n": [2, 6], "d": [2, 6]}, "variables": {
        "X": {"shape": ["n", "d"]}, "w0": {"shape": ["d"]}, "t": {"shape": ["n"]},
        "eta": {"domain": "positive"}, "a": {"define": "X @ w0 - t"}}, "rtol": 1e-6, "atol": 1e-9,
        "samples": 4, "orientation": "any", "hints": True}, answer={})
    ref = matrix.expected(LOSS, c)
    right = matrix.compare(matrix.parse("\\frac{1}{n}\\|a - \\frac{2\\eta}{n} X X^T a\\|_2^2", c), ref, c)
    assert right.fraction == 1.0, right.message
    wrong = matrix.compare(matrix.parse("\\|a - \\frac{2\\eta}{n} X X^T a\\|_2^2", c), ref, c)
    assert wrong.fraction == 0.0 and "not equivalent" in wrong.message
    with pytest.raises(Invalid, match="only the 2-norm is supported here"):
        matrix.parse("\\frac{1}{n}\\|a\\|_1^2", c)


# -- accents ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("λ̃", "lambda_tilde"),            # λ + U+0303 combining tilde
    ("\\tilde{\\lambda}", "lambda_tilde"),
    ("\\tilde\\lambda", "lambda_tilde"),
    ("\\widetilde{\\lambda}", "lambda_tilde"),
    ("2λ̃x", "2*lambda_tilde*x"),         # a letter after an accent starts a new name
    ("\\hat{w}_0", "w_hat_0"),           # accents go on the base, before the subscript
    ("\\hat{w_0}", "w_hat_0"),
    ("\\hat{w_{0}}", "w_hat_0"),
    ("ŵ_0", "w_hat_0"),                  # precomposed U+0175
    ("ŵ₀", "w_hat_0"),                   # w + U+0302 + subscript zero
])
def test_accents_read_as_decorated_names(text, expected):
    assert canon(text, SCALARS) == expected


def test_accented_aliases_are_accepted_in_specs():
    table = SymbolTable.build({"lambda_tilde": {"aliases": ["λ̃", "\\tilde{\\lambda}", "lam_tilde"]},
                               "w_hat": {"aliases": ["ŵ"]}})
    assert table.problems == []
    assert canon("λ̃ + \\tilde{\\lambda} + lam_tilde + ŵ", table) == \
        "lambda_tilde + lambda_tilde + lambda_tilde + w_hat"
    clash = SymbolTable.build({"lambda_tilde": {}, "mu": {"aliases": ["λ̃"]}})
    assert "'lambda_tilde' is already a name of variable 'lambda_tilde'" in clash.problems[0]


@pytest.mark.parametrize("text, message", [
    ("λ́", "unsupported accent U+0301 (combining acute accent) at position 2"),
    ("é + 1", "unsupported accented letter 'é' at position 1"),
    ("\u0303x", "the accent U+0303 (combining tilde) at position 1 must follow a letter"),
    ("x + \u0303", "must follow a letter"),
    ("x" + "\u0303" * 50, "too many accents at position 4"),
    ("λ̃_", "'_' at position 3 needs a subscript"),
    ("\\tilde{x + 1}", "'\\tilde' must decorate a single name"),
    ("λ̃", "unknown symbol 'lambda_tilde' at position 1"),
])
def test_malformed_accents_get_a_precise_message(text, message):
    table = SymbolTable.build({"x": {}}) if text == "λ̃" else SCALARS
    assert message in error(text, table)


# -- hostile LaTeX ---------------------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("\\frac{" * 5000 + "x" + "}{2}" * 5000, "the formula is too long (50001 characters; at most 2000)"),
    ("\\frac{" * 100 + "x" + "}{2}" * 100, "nested too deeply"),
    ("\\hat{" * 300 + "x" + "}" * 300, "too long"),
    ("\\|" * 200 + "x" + "\\|" * 200, "nested too deeply"),
    ("x^{9^{9^{9}}}", "the exponent in 9^(9^9) is too large"),
    ("\\sqrt[0]{x}", "'\\sqrt[0]' at position 1 has no meaning"),
    ("\\begin{bmatrix}" + "1 & " * 250_000 + "\\end{bmatrix}", "the formula is too long"),
    ("\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}",
     "LaTeX environments ('\\begin' at position 1) are not supported"),
    ("x \\\\ x", "a line break '\\\\' at position 3: write the formula on one line"),
    ("\\newcommand{\\x}{y} x", "unsupported LaTeX command '\\newcommand' (at position 1)"),
    ("\\def\\x{y} x", "unsupported LaTeX command '\\def' (at position 1)"),
    ("\\input{/etc/passwd}", "unsupported LaTeX command '\\input' (at position 1)"),
    ("x + \\include{/etc/passwd}", "unsupported LaTeX command '\\include' (at position 5)"),
    ("\\immediate\\write18{rm -rf /}", "unsupported LaTeX command '\\immediate'"),
    ("\\catcode`\\^=11 x", "unsupported LaTeX command '\\catcode' (at position 1)"),
    ("\\url{http://x}", "unsupported LaTeX command '\\url' (at position 1)"),
    ("x + \\foo", "unsupported LaTeX command '\\foo' (at position 5)"),
    ("x" * 1500 + "y", "unknown symbol '" + "x" * 37 + "...'"),
])
def test_hostile_latex_is_refused_quickly_and_never_reads_files(text, message, monkeypatch):
    def no_files(*args, **kwargs):
        raise AssertionError(f"the parser opened a file: {args!r}")

    monkeypatch.setattr(builtins, "open", no_files)
    start = time.perf_counter()
    got = error(text, SCALARS)
    assert time.perf_counter() - start < 0.5
    assert message in got


def test_extreme_roots_are_read_and_a_trailing_line_break_is_ignored():
    start = time.perf_counter()
    assert canon("\\mathbf{" * 150 + "x" + "}" * 150, SCALARS) == "x"
    assert time.perf_counter() - start < 0.5
    assert canon("\\sqrt[100000]{x}", SCALARS) == "x^(1/100000)"
    assert canon("\\frac{x}{2} \\\\", SCALARS) == "x/2"
