"""Matrix formulas: symbolic shape checks with named sub-expressions, numpy evaluation."""

import pytest

from grader.expr import ExprError, matrix_space, read

VARIABLES = {
    "X": {"shape": ["n", "d"]},
    "t": {"shape": ["n"]},
    "w0": {"shape": ["d"], "aliases": ["w_0", "w_{0}"]},
    "eta": {"domain": "positive", "aliases": ["η", "\\eta"]},
    "a": {"define": "X @ w0 - t"},
    "A": {"shape": ["d", "d"], "structure": "spd"},
    "x_t": {"shape": ["d"]},
}
DIMS = {"n": [2, 6], "d": [2, 6]}
SPACE = matrix_space(VARIABLES, DIMS)


def judge(student, reference, part="2.2.1", **kw):
    kw.setdefault("rtol", 1e-6)
    kw.setdefault("atol", 1e-9)
    kw.setdefault("samples", 4)
    s, r = read(student, SPACE.table), read(reference, SPACE.table)
    return SPACE.compare(s.node, r.node, seed_text=part, **kw)


def shape_error(text):
    with pytest.raises(ExprError) as info:
        SPACE.shape(read(text, SPACE.table).node)
    return info.value.message


GD = "w0 - (2*eta/n) * X.T @ (X @ w0 - t)"
ETA = "n/2 * a.T @ X @ X.T @ a / (a.T @ X @ X.T @ X @ X.T @ a)"


@pytest.mark.parametrize("student, reference", [
    ("w_0 - \\frac{2\\eta}{n} X^\\top (X w_0 - t)", GD),
    ("w0 - 2 eta/n X'a", GD),
    ("w0 - 2*eta*X.T@a/n", GD),
    ("w0 - (2η/n) Xᵀ (X w₀ - t)", GD),
    ("(I - 2 eta/n X'X) w0 + 2 eta/n X't", GD),
    ("n/2*a'XX'a/(a'XX'XX'a)", ETA),
    ("\\frac{n}{2}\\frac{a^\\top X X^\\top a}{a^\\top X X^\\top X X^\\top a}", ETA),
    ("n/2 * \\|X^T a\\|^2 / \\|X X^T a\\|^2", ETA),
    ("n norm(X'a)^2 / (2 norm(XX'a)^2)", ETA),
    ("(I - \\eta A) x_t", "(I - eta*A) @ x_t"),
    ("x_t - eta A x_t", "(I - eta*A) @ x_t"),
    ("(I_d - eta A)' x_t", "(I - eta*A) @ x_t"),  # A is symmetric
    ("tr(X'X)", "norm(X)^2"),
    ("inv(A) A w0", "w0"),
    ("A^{-1} A^2 w0", "A @ w0"),
    ("d", "tr(I_d)"),
])
def test_equivalent_matrix_formulas(student, reference):
    outcome = judge(student, reference)
    assert outcome.equal, outcome.message


def test_row_vector_accepted_unless_orientation_is_strict():
    assert judge(f"({GD})'", GD).equal
    outcome = judge(f"({GD})'", GD, orientation="strict")
    assert not outcome.equal
    assert outcome.message == "wrong shape: your formula is 1×d, but the answer is d×1"


@pytest.mark.parametrize("student, reference, message", [
    ("w0 - eta/n X'a", GD, "not equivalent to the expected answer"),
    ("2 w0 - 4 eta/n X'a", GD, "not equivalent to the expected answer (it is off by a constant factor of about 2)"),
    ("w0 + 2 eta/n X'a", GD, "not equivalent to the expected answer"),
    ("X'a", GD, "not equivalent"),
    ("a a^T", ETA, "wrong shape: your formula is n×n, but the answer is a scalar"),
    ("-n/2*a'XX'a/(a'XX'XX'a)", ETA, "differs from the answer by its sign"),
])
def test_wrong_matrix_formulas(student, reference, message):
    outcome = judge(student, reference)
    assert not outcome.equal
    assert message in outcome.message


@pytest.mark.parametrize("text, message", [
    ("X @ t", "cannot multiply X (n×d) by t (n×1) in X @ t: the inner dimensions d and n differ; "
              "did you mean X.T times t?"),
    ("2*eta/n * X @ a", "cannot multiply X (n×d) by a (n×1)"),
    ("X X", "cannot multiply X (n×d) by X (n×d)"),
    ("t w0", "cannot multiply t (n×1) by w0 (d×1)"),
    ("X + X'", "cannot add X (n×d) and X.T (d×n) in X + X.T"),
    ("w0 + 1", "cannot add a scalar and a matrix in w0 + 1: 1 is a scalar but w0 is d×1"),
    ("1 - eta A", "cannot add a scalar and a matrix"),
    ("w0 / X", "cannot divide by X, which is n×d: use inv(...)"),
    ("X^2", "only square matrices have powers: X in X^2 is n×d"),
    ("A^eta", "a matrix power needs a whole-number exponent"),
    ("A^{1/3}", "a matrix power needs a whole-number exponent"),
    ("inv(X)", "inv(...) needs a square matrix, but X is n×d"),
    ("exp(X)", "exp(...) applies to scalars, but X is n×d"),
    ("I", "the size of I cannot be inferred"),
    ("tr(I)", "the size of I in tr(I) cannot be inferred"),
    ("I + X", "cannot add I to X in I + X: X is n×d, not square"),
])
def test_shape_errors_name_the_subexpression(text, message):
    assert message in shape_error(text)


def test_same_dimensions_drawn_still_catch_shape_errors():
    space = matrix_space({"X": {"shape": ["n", "d"]}}, {"n": [3, 3], "d": [3, 3]})
    with pytest.raises(ExprError, match="inner dimensions d and n differ"):
        space.shape(read("X X", space.table).node)


def test_dimensions_vary_between_instances_and_are_deterministic():
    import random

    from grader.expr.equivalence import seed_for

    rng = random.Random(seed_for("x"))
    shapes = {SPACE.instance(rng)["X"].shape for _ in range(10)}
    assert len(shapes) > 3
    rng1, rng2 = random.Random(1), random.Random(1)
    a, b = SPACE.instance(rng1), SPACE.instance(rng2)
    assert (a["X"] == b["X"]).all() and a["eta"] == b["eta"]
    assert judge("w0 - eta/n X'a", GD) == judge("w0 - eta/n X'a", GD)


def test_singular_student_formula_is_wrong_not_a_crash():
    outcome = judge("inv(X'X - X'X) w0", "w0")
    assert not outcome.equal and "undefined" in outcome.message


def test_spec_problems_of_matrix_parts():
    space = matrix_space({"X": {"shape": ["n", "k"]}, "B": {"shape": ["n", "n"], "structure": "spd"},
                          "C": {"shape": ["n", 3], "structure": "symmetric"},
                          "z": {"define": "X X"}, "q": {"define": "q + 1"}}, {"n": [2, 4], "d": [0, 3]})
    text = "\n".join(space.table.problems)
    assert "dimension 'd': range [0, 3]" in text
    assert "shape entry 'k' is neither a declared dimension" in text
    assert "structure symmetric needs a square shape" in text
    assert "define 'q + 1': the definition of q refers to itself" in text
    assert "unknown symbol 'X'" in text or "cannot multiply" in text


def test_declared_shapes_looked_up_at_once_are_what_sym_says():
    """ShapeChecker keeps the declared variables' shapes in a dict (infer's fast path): each must
    be the shape sym() works out, and a shorthand (`define`) is never among them."""
    checker = SPACE.checker
    assert "a" not in checker.declared
    for name in SPACE.table.vars:
        if name not in SPACE.defines:
            assert checker.declared[name] == checker.sym(name)
    assert SPACE.shape(read("a", SPACE.table).node) == ("n", "1")
