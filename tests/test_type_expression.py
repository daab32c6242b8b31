"""The `expression` and `matrix_expression` answer types through the AnswerType interface."""

import subprocess
import sys

import pytest

from grader.types import Invalid, PartContext, get_type

EXPR = get_type("expression")
MATRIX = get_type("matrix_expression")

KAPPA = {"kappa": {"aliases": ["κ", "\\kappa", "k"], "domain": [1, 100]}}
LAMBDA = {"lambda": {"aliases": ["λ", "\\lambda", "lam"], "domain": "positive"},
          "eta": {"aliases": ["η", "\\eta", "lr"], "domain": "positive"}}
EIGS = {"lambda_min": {"domain": "positive"}, "lambda_max": {"domain": "positive"}}


def ctx(variables, part="2.3.2", hidden=False, answer=None, **options):
    opts = {"rtol": 1e-6, "atol": 1e-10, "samples": 8, "symbolic": True, "hints": True}
    opts.update(options, variables=variables)
    return PartContext(part, opts, answer=answer or {}, hidden=hidden)


def grade(kind, c, student, reference):
    return kind.compare(kind.parse(student, c), kind.expected(reference, c), c)


@pytest.mark.parametrize("variables, student, reference", [
    (KAPPA, "(k-1)/(k+1)", "(kappa-1)/(kappa+1)"),
    (KAPPA, "\\frac{\\kappa-1}{\\kappa+1}", "(kappa-1)/(kappa+1)"),
    (KAPPA, "1 - 2/(kappa+1)", "(kappa-1)/(kappa+1)"),
    (KAPPA, "1 - \\frac{2}{κ+1}", "(kappa-1)/(kappa+1)"),
    (EIGS, "2/(lambda_min+lambda_max)", "2/(lambda_min + lambda_max)"),
    (EIGS, "\\frac{2}{\\lambda_{\\min}+\\lambda_{\\max}}", "2/(lambda_min + lambda_max)"),
    (LAMBDA, "lambda/(2 eta)", "lambda / (2*eta)"),
    (LAMBDA, "\\tilde{\\lambda} = \\frac{\\lambda}{2\\eta}", "lambda / (2*eta)"),
    (LAMBDA, "lam/2/lr", "lambda / (2*eta)"),
    ({"M": {"domain": "positive_integer"}}, "M/2 + 1", "M/2 + 1"),
    ({"M": {"domain": "positive_integer"}}, "\\frac{M+2}{2}", "M/2 + 1"),
])
def test_right_answers_score_full(variables, student, reference):
    verdict = grade(EXPR, ctx(variables), student, reference)
    assert verdict.fraction == 1.0
    assert verdict.message.endswith("is correct")


def test_wrong_answer_and_mistake_matching():
    c = ctx(KAPPA)
    momentum = "(sqrt(kappa)-1)/(sqrt(kappa)+1)"
    student = EXPR.parse("\\frac{\\sqrt{\\kappa}-1}{\\sqrt{\\kappa}+1}", c)
    verdict = EXPR.compare(student, EXPR.expected("(kappa-1)/(kappa+1)", c), c)
    assert verdict.fraction == 0.0
    assert verdict.message == "(sqrt(kappa) - 1)/(sqrt(kappa) + 1) is not equivalent to the expected answer"
    # the engine's mistakes loop: compare against the mistake's expected value
    assert EXPR.compare(student, EXPR.expected(momentum, c), c).fraction == 1.0


def test_hidden_parts_give_no_hint():
    reference = "(kappa-1)/(kappa+1)"
    assert "constant factor of about 2" in grade(EXPR, ctx(KAPPA), "2(k-1)/(k+1)", reference).message
    hidden = grade(EXPR, ctx(KAPPA, hidden=True), "2(k-1)/(k+1)", reference)
    assert hidden.fraction == 0 and "factor" not in hidden.message


def test_tier_tolerance():
    loose = ctx(KAPPA, rtol=0.01, symbolic=False)
    strict = ctx(KAPPA, symbolic=False)
    assert grade(EXPR, strict, "1.001*kappa", "kappa").fraction == 0.0
    assert grade(EXPR, loose, "1.001*kappa", "kappa").fraction == 1.0


@pytest.mark.parametrize("raw, message", [
    ("x + 1", "unknown symbol 'x' at position 1; this part's variables are kappa"),
    ("kappa'", "a transpose in kappa.T: only matrix formulas use it"),
    ("kappa @ kappa", "'@' is a matrix product"),
    ("(kappa", "expected ')' to close the '(' at position 1"),
    ("9**9**9**9", "too large"),
    ("__import__('os').system('ls')", "unexpected '_' at position 1"),
    ("k" * 3000, "the formula is too long (3000 characters; at most 2000)"),
    (None, "expected a formula written as text"),
    (["k"], "expected a formula written as text"),
    ({"k": 1}, "expected a formula written as text"),
    (True, "expected a formula written as text"),
    (float("nan"), "expected a formula, got the number nan"),
    ("", "the formula is empty"),
])
def test_invalid_answers_are_rejected_with_a_reason(raw, message):
    with pytest.raises(Invalid) as info:
        EXPR.parse(raw, ctx(KAPPA))
    assert message in str(info.value)


def test_numbers_are_formulas_and_show_to_data_round_trip():
    c = ctx(KAPPA)
    assert grade(EXPR, c, 0.5, "1/2").fraction == 1.0
    value = EXPR.parse("\\frac{\\kappa - 1}{\\kappa + 1}", c)
    assert EXPR.show(value, c) == "(kappa - 1)/(kappa + 1)"
    data = EXPR.to_data(value, c)
    assert data == "(kappa - 1)/(kappa + 1)"
    assert EXPR.parse(data, c) == value


def test_solver_output_may_be_a_string_or_a_number():
    c = ctx(KAPPA)
    assert EXPR.expected("kappa**2", c).text == "kappa^2"
    assert EXPR.expected(3, c).text == "3"
    with pytest.raises(Invalid, match="the reference formula 'kappa \\+ y' is invalid: unknown symbol 'y'"):
        EXPR.expected("kappa + y", c)


def test_describe_names_variables_and_syntax():
    text = EXPR.describe(ctx(LAMBDA))
    assert "lambda (also λ, \\lambda, lam); eta (also η, \\eta, lr)" in text
    assert "LaTeX" in text


def test_check_spec():
    assert EXPR.check_spec(ctx(KAPPA, answer={"value": "(kappa-1)/(kappa+1)"})) == []
    assert EXPR.check_spec(PartContext("p", {})) == [
        "an expression part needs `variables` (every symbol a student may use)"]
    problems = EXPR.check_spec(ctx({"x": {"domain": "positiv"}}))
    assert "variable 'x': domain 'positiv' is not one of real, positive" in problems[0]
    problems = EXPR.check_spec(ctx(KAPPA, answer={"value": "kappa + y"}))
    assert "unknown symbol 'y'" in problems[0]
    problems = EXPR.check_spec(ctx(KAPPA, answer={"value": "log(-kappa)"}))
    assert "undefined on most of the declared domains" in problems[0]
    assert "rtol 0.5 would accept formulas 50% off" in EXPR.check_spec(ctx(KAPPA, rtol=0.5))


def test_same_inputs_same_verdict_bytes():
    c = ctx(KAPPA)
    runs = [grade(EXPR, c, "2(k-1)/(k+1) + k", "(kappa-1)/(kappa+1)") for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]


# -- matrix_expression ---------------------------------------------------------------------
MVARS = {
    "X": {"shape": ["n", "d"]},
    "t": {"shape": ["n"]},
    "w0": {"shape": ["d"], "aliases": ["w_0", "w_{0}"]},
    "eta": {"domain": "positive", "aliases": ["η", "\\eta"]},
    "a": {"define": "X @ w0 - t"},
}
GD = "w0 - (2*eta/n) * X.T @ (X @ w0 - t)"


def mctx(part="2.2.1", answer=None, **options):
    opts = {"dims": {"n": [2, 6], "d": [2, 6]}, "variables": MVARS, "rtol": 1e-6, "atol": 1e-9,
            "samples": 4, "orientation": "any", "hints": True}
    opts.update(options)
    return PartContext(part, opts, answer=answer or {})


@pytest.mark.parametrize("student", [
    "w_0 - \\frac{2\\eta}{n} X^\\top (X w_0 - t)",
    "w0 - 2*eta/n * X.T @ a",
    "w0 - (2η/n) X'(Xw0 - t)",
])
def test_matrix_right_answers(student):
    c = mctx()
    verdict = MATRIX.compare(MATRIX.parse(student, c), MATRIX.expected(GD, c), c)
    assert verdict.fraction == 1.0, verdict.message


def test_matrix_wrong_answers_and_shape_messages():
    c = mctx()
    ref = MATRIX.expected(GD, c)
    verdict = MATRIX.compare(MATRIX.parse("w0 - eta/n X'a", c), ref, c)
    assert verdict == MATRIX.compare(MATRIX.parse("w0 - eta/n X'a", c), ref, c)
    assert verdict.fraction == 0.0 and "not equivalent to the expected answer" in verdict.message
    verdict = MATRIX.compare(MATRIX.parse("X'X", c), ref, c)
    assert verdict.message == "X.T*X: wrong shape: your formula is d×d, but the answer is d×1"
    with pytest.raises(Invalid, match=r"cannot multiply X \(n×d\) by a \(n×1\) in 2\*eta/n\*X @ a"):
        MATRIX.parse("w0 - 2*eta/n * X @ a", c)
    with pytest.raises(Invalid, match="unknown symbol 'w' at position 1; this part's variables are X, t, w0, eta, a"):
        MATRIX.parse("w - X't", c)


def test_matrix_to_data_round_trip_and_describe():
    c = mctx()
    value = MATRIX.parse("w_0 - \\frac{2\\eta}{n} X^\\top a", c)
    assert MATRIX.to_data(value, c) == "w0 - 2*eta/n*X.T*a"
    assert MATRIX.parse(MATRIX.to_data(value, c), c) == value
    text = MATRIX.describe(c)
    assert "X (n×d); t (n); w0 (d, also w_0, w_{0}); eta (scalar, also η, \\eta); a (= X @ w0 - t)" in text


def test_matrix_check_spec():
    assert MATRIX.check_spec(mctx(answer={"value": GD})) == []
    problems = MATRIX.check_spec(mctx(answer={"value": "X @ t"}))
    assert "cannot multiply X (n×d) by t (n×1)" in problems[0]
    bad = PartContext("p", {"variables": {"X": {"shape": ["n", "m"]}}, "dims": {"n": [2, 4]}})
    assert "shape entry 'm' is neither a declared dimension" in MATRIX.check_spec(bad)[0]


def test_no_sympy_unless_a_formula_needs_an_exact_proof():
    code = (
        "import sys\n"
        "from grader.types import get_type, PartContext\n"
        "get_type('number')\n"
        "assert 'sympy' not in sys.modules, 'number type imported sympy'\n"
        "E = get_type('expression')\n"
        "c = PartContext('p', {'variables': {'x': {}}})\n"
        "E.parse('x^2 + 1', c); E.describe(c); E.check_spec(c)\n"
        "assert 'sympy' not in sys.modules, 'parsing imported sympy'\n"
        "assert E.compare(E.parse('x^2', c), E.expected('x*x', c), c).fraction == 1\n"
        "assert E.compare(E.parse('x^3', c), E.expected('x*x', c), c).fraction == 0\n"
        "assert 'sympy' not in sys.modules, 'numbers alone decide these'\n"
        "v = E.compare(E.parse('sqrt(x)^2', c), E.expected('x', c), c)\n"  # NaN at x < 0
        "assert v.fraction == 1 and 'sympy' in sys.modules, v.message\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


SPEC = """\
id: speed-demo
total: 6
parts:
  - id: "1"
    points: 3
    type: expression
    variables:
      kappa: {domain: [1, 100], aliases: ['\\kappa', k]}
    answer: {value: "(kappa - 1)/(kappa + 1)"}
    mistakes:
      - {value: "(sqrt(kappa) - 1)/(sqrt(kappa) + 1)", credit: 0.5, feedback: "That is the rate of momentum."}
  - id: "2"
    points: 3
    type: matrix_expression
    dims: {n: [2, 4]}
    variables:
      A: {shape: [n, n], structure: spd}
      x: {shape: [n]}
      eta: {domain: positive}
    answer: {value: "x - eta*A@x"}
"""

GRADE = (
    "import json, sys\n"
    "from grader.cli import main\n"
    "code = main(['grade', sys.argv[1], sys.argv[2], '--format', 'json'])\n"
    "print('SYMPY' if 'sympy' in sys.modules else 'NO-SYMPY')\n"
)


def grade_cold(tmp_path, answers):
    """Grade ``answers`` against SPEC in a fresh interpreter: (report, whether sympy was loaded)."""
    import json

    (tmp_path / "speed-demo").mkdir(exist_ok=True)
    (tmp_path / "speed-demo" / "problem.yaml").write_text(SPEC, encoding="utf-8")
    sub = tmp_path / "s.json"
    sub.write_text(json.dumps({"answers": answers}), encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", GRADE, str(tmp_path / "speed-demo"), str(sub)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out, _, flag = result.stdout.rstrip().rpartition("\n")
    return json.loads(out), flag == "SYMPY"


def part_results(report):
    return {p["id"]: (p["score"], p["feedback"]) for p in report["parts"]}


def test_cold_grading_rejects_a_wrong_formula_without_sympy(tmp_path):
    report, sympy_loaded = grade_cold(tmp_path, {"1": "(kappa - 1)/kappa", "2": "x - A@x"})
    assert not sympy_loaded
    scores = part_results(report)
    assert scores["1"][0] == 0 and "not equivalent to the expected answer" in scores["1"][1]
    assert scores["2"][0] == 0 and "not equivalent" in scores["2"][1]


def test_cold_grading_accepts_other_forms_and_matches_mistakes(tmp_path):
    report, sympy_loaded = grade_cold(tmp_path, {"1": "1 - \\frac{2}{k+1}", "2": "(I - eta A) x"})
    assert not sympy_loaded  # the values agree everywhere: nothing for sympy to add
    scores = part_results(report)
    assert scores["1"][0] == 3 and "is correct" in scores["1"][1]
    assert scores["2"][0] == 3
    report, _ = grade_cold(tmp_path, {"1": "\\frac{\\sqrt{\\kappa}-1}{\\sqrt{\\kappa}+1}"})
    score, feedback = part_results(report)["1"]
    assert score == 1.5 and "momentum" in feedback


def test_formula_key_with_its_fields_remembered_is_the_generic_key():
    """formula_key remembers a dataclass's field names: the key must stay what reading the fields
    each time gives (the text for the tree, every other field as it is), and None for non-formulas."""
    import dataclasses

    from grader.expr import read, scalar_table
    from grader.types.expression import formula_key

    table = scalar_table({"x": {}, "y": {}})
    for text in ["x + y", "2x", "x/y", "x^2 - y"]:
        formula = read(text, table)
        for value in (formula, dataclasses.replace(formula, notes=("a note",))):
            generic = tuple(value.text if f.name == "node" else getattr(value, f.name)
                            for f in dataclasses.fields(value))
            assert formula_key(value) == formula_key(value) == generic
    assert formula_key("x + y") is None and formula_key(3.0) is None
