"""The formula parser: what it reads (plain, LaTeX, Unicode), what it prints, what it refuses."""

import time

import pytest

from grader.expr import ExprError, SymbolTable, parse, to_text

VARS = {
    "kappa": {"aliases": ["κ", "\\kappa", "k"], "domain": [1, 100]},
    "lambda": {"aliases": ["λ", "lam"], "domain": "positive"},
    "lambda_min": {"domain": "positive"},
    "lambda_max": {"domain": "positive"},
    "eta": {"aliases": ["η", "lr"], "domain": "positive"},
    "M": {"domain": "positive_integer"},
    "x": {},
}
TABLE = SymbolTable.build(VARS)
MATRIX = SymbolTable.build(
    {"X": {"shape": ["n", "d"]}, "a": {"shape": ["n"]}, "A": {"shape": ["d", "d"]},
     "x_t": {"shape": ["d"]}, "eta": {"aliases": ["\\eta"], "domain": "positive"}, "T": {}},
    dims={"n": [2, 5], "d": [2, 5]}, matrix=True)


def canon(text, table=TABLE):
    return to_text(parse(text, table))


def error(text, table=TABLE):
    with pytest.raises(ExprError) as info:
        parse(text, table)
    return info.value.message


@pytest.mark.parametrize("text, expected", [
    # the formulas, plain and LaTeX
    ("2/(lambda_min+lambda_max)", "2/(lambda_min + lambda_max)"),
    ("\\frac{2}{\\lambda_{\\min}+\\lambda_{\\max}}", "2/(lambda_min + lambda_max)"),
    ("\\dfrac{2}{\\lambda_\\min + \\lambda_\\max}", "2/(lambda_min + lambda_max)"),
    ("2/(λ_min+λ_max)", "2/(lambda_min + lambda_max)"),
    ("(k-1)/(k+1)", "(kappa - 1)/(kappa + 1)"),
    ("\\frac{\\kappa-1}{\\kappa+1}", "(kappa - 1)/(kappa + 1)"),
    ("\\left( \\kappa - 1 \\right) / \\left( \\kappa + 1 \\right)", "(kappa - 1)/(kappa + 1)"),
    ("(κ−1)/(κ+1)", "(kappa - 1)/(kappa + 1)"),
    ("lambda/(2 eta)", "lambda/(2*eta)"),
    ("\\tilde{\\lambda} = \\frac{\\lambda}{2\\eta}", "lambda/(2*eta)"),
    ("λ/(2η)", "lambda/(2*eta)"),
    ("M/2 + 1", "M/2 + 1"),
    ("\\frac{M}{2}+1", "M/2 + 1"),
    # syntax details
    ("kappa**2", "kappa^2"),
    ("kappa^{2}", "kappa^2"),
    ("κ²", "kappa^2"),
    ("-x^2", "-x^2"),
    ("2^-1", "2^(-1)"),
    ("2x", "2*x"),
    ("2(x+1)", "2*(x + 1)"),
    ("(x+1)(x-1)", "(x + 1)*(x - 1)"),
    ("x(x+1)", "x*(x + 1)"),
    ("1/2x", "1/2*x"),
    ("lambdaeta", "lambda*eta"),
    ("λη", "lambda*eta"),
    ("lr*lam", "eta*lambda"),
    ("\\sqrt{\\kappa}", "sqrt(kappa)"),
    ("\\sqrt[3]{x}", "x^(1/3)"),
    ("\\frac12 x", "1/2*x"),
    ("\\sin^2 x + \\cos(x)^2", "sin(x)^2 + cos(x)^2"),
    ("\\ln x + \\log(x)", "log(x) + log(x)"),
    ("e^{-x}", "e^(-x)"),
    ("\\exp(-x) \\cdot 2", "exp(-x)*2"),
    ("2 \\times \\pi x", "2*pi*x"),
    ("|x-1|", "abs(x - 1)"),
    ("\\left| x \\right|", "abs(x)"),
    ("$\\frac{x}{2}$", "x/2"),
    ("\\eta^* = 2/(lambda_min + lambda_max)", "2/(lambda_min + lambda_max)"),
    ("0.5 x + 1e-3", "0.5*x + 1e-3"),
    ("\\mathrm{e}^{x}", "e^x"),
    ("sigmoid(x) max(x, 1)", "sigmoid(x)*max(x, 1)"),
])
def test_reads_plain_latex_and_unicode(text, expected):
    assert canon(text) == expected


def test_canonical_text_reads_back_to_the_same_tree():
    for text in ["\\frac{\\kappa-1}{\\kappa+1}", "-(x-1)^-2/x", "x/(x*(x+1))", "2^x^2",
                 "(-x)^2", "x - (x - 1)", "sqrt(x)/exp(-x)^2", "1/2*x"]:
        tree = parse(text, TABLE)
        assert parse(to_text(tree), TABLE) == tree


@pytest.mark.parametrize("text, expected", [
    ("n/2 * a'XX'a/(a'XX'XX'a)", "n/2*a.T*X*X.T*a/(a.T*X*X.T*X*X.T*a)"),
    ("\\frac{n}{2}\\frac{a^\\top X X^\\top a}{a^\\top X X^\\top X X^\\top a}",
     "n/2*(a.T*X*X.T*a/(a.T*X*X.T*X*X.T*a))"),
    ("(I - \\eta A) x_t", "(I - eta*A)*x_t"),
    ("(I_d - eta A) x_{t}", "(I_d - eta*A)*x_t"),
    ("X.T @ a", "X.T @ a"),
    ("X^{\\top} a", "X.T*a"),
    ("Xᵀa", "X.T*a"),
    ("inv(A) \\|x_t\\|^2", "inv(A)*norm(x_t)^2"),
    ("A^{-1}", "A^(-1)"),
    ("X^T", "X^T"),  # T is declared here, so ^T is a power; .T and ' still transpose
])
def test_matrix_syntax(text, expected):
    assert canon(text, MATRIX) == expected


@pytest.mark.parametrize("text, message", [
    ("y + 1", "unknown symbol 'y' at position 1; this part's variables are kappa, lambda, lambda_min"),
    ("foo(x)", "unknown function 'foo' at position 1"),
    ("(x + 1", "expected ')' to close the '(' at position 1"),
    ("x + 1)", "unbalanced ')' at position 6"),
    ("x +", "the formula ends too early"),
    ("x * * 2", "unexpected '*' at position 5"),
    ("", "the formula is empty"),
    ("x ; y", "unexpected character ';' at position 3"),
    ("x = y = 1", "only one '=' is allowed"),
    ("x + 1 = 2", "an '=' may only follow the name"),
    ("\\int x dx", "unsupported LaTeX command '\\int'"),
    ("x ∞", "infinity is not allowed"),
    ("sqrt(x, 2)", "sqrt(...) takes one argument, got 2"),
    ("max(x)", "max(...) needs at least two arguments"),
    ("x.y", "'.' at position 2 is only allowed in numbers and in '.T'"),
    ("\\frac{x}", "'\\frac' needs an argument"),
    ("()", "empty '()' at position 1"),
    ("1.2.3 x", "'1.2.3' is not a number: a number has at most one decimal point (at position 1)"),
    ("2 x + 1..5", "'1..5' is not a number"),
    ("x - 1.5e3.2", "'1.5e3.2' is not a number"),
    # a point before a superscript digit (a digit to str.isdigit, not a number's digit) was a crash
    ("x.²", "'.' at position 2 is only allowed in numbers and in '.T'"),
    (".¹", "unexpected '.' at position 1"),
])
def test_malformed_input_gets_a_precise_message(text, message):
    assert message in error(text)


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "unexpected '_' at position 1"),
    ("lambda x: x", "unexpected character ':'"),
    ("x.__class__", "unexpected '_' at position 3"),
    ("().__class__.__bases__[0].__subclasses__()", "unexpected '_' at position 4"),
    ("exec('1')", "unknown function 'exec'"),
    ("eval", "unknown symbol 'eval'"),
    ("open", "unknown symbol 'open'"),
    ('"x"', "unexpected character '\"'"),
    ("x; import os", "unexpected character ';'"),
    ("9**9**9**9", "too large"),
    ("2^(10^5)", "too large"),
    ("x^(10^5)", "the exponent in x^(10^5) is too large"),
    ("10^400", "too large"),
    ("exp(exp(100))", "too large"),
    ("1e400", "out of range"),
    ("9" * 400, "out of range"),
])
def test_hostile_input_is_refused(text, message):
    assert message in error(text)


def test_huge_and_deep_inputs_are_refused_quickly():
    start = time.perf_counter()
    assert "too long (1000000 characters" in error("x" * 1_000_000)
    assert "too long" in error("(" * 10_000 + "x" + ")" * 10_000)
    assert "nested too deeply" in error("(" * 200 + "x" + ")" * 200)
    assert "nested too deeply" in error("-" * 200 + "x")
    assert "nested too deeply" in error("x^" * 200 + "x")
    assert "too long (more than" in error("+".join(["x"] * 900))
    assert time.perf_counter() - start < 2.0


def test_long_flat_formula_within_limits_parses():
    text = "+".join(["x"] * 290)
    assert to_text(parse(text, TABLE)).count("x") == 290


def test_aliases_and_canonical_names_from_the_spec():
    table = SymbolTable.build({"w_0": {"aliases": ["w0"]}, "\\lambda_{\\max}": {}})
    assert table.problems == []
    assert to_text(parse("w_{0} + w0 + w₀ + λ_max + \\lambda_{\\text{max}}", table)) == \
        "w_0 + w_0 + w_0 + lambda_max + lambda_max"


def test_spec_problems_are_collected():
    table = SymbolTable.build({"w": {"domain": [2, 1]}, "x": {}, "y": {"aliases": ["x"]}, "z": {"dom": 1},
                               "a b": {}})
    text = "\n".join(table.problems)
    assert "low end must be below the high end" in text
    assert "'x' is already a name of variable 'x'" in text
    assert "unknown setting(s) dom" in text
    assert "variable 'a b'" in text


def test_e_and_pi_are_constants_unless_declared():
    assert canon("e^x + pi") == "e^x + pi"
    table = SymbolTable.build({"e": {}, "x": {}})
    assert to_text(parse("e x", table)) == "e*x"


def _scanned_by_the_general_step(text):
    """What the scanner gives when every token is read by its general (character by character) step."""
    from grader.expr import tokens as T

    out, i = [], 0
    while i < len(text):
        if len(out) > T.MAX_TOKENS:
            raise ExprError(f"the formula is too long (more than {T.MAX_TOKENS} symbols)")
        i = T._step(text, i, out)
    return out + [("end", "", len(text), len(text))]


@pytest.mark.parametrize("text", [
    "(1 - \\lambda) w_0 - \\frac{2\\eta}{n} X^\\top (X w_0 - t)",
    "w_1 = w_0 - 2*eta/n * X.T @ (X @ w0 - t)",
    "(1 + λ)*w0 − 2η/n·Xᵀ(Xw₀ − t)",  # Unicode between ASCII tokens
    "wλ + w_λ + x² + ŵ + w\u0302_1 + 1.5e+٣ + .٣ + 12٣",  # a name or number that goes on in Unicode
    "\\|v\\|_2^2 + \\{a\\} \\, \\; \\left( b \\right) $c$ \\(d\\)",
    "a \\\\ b", "x\\", "\\begin{bmatrix}1\\end{bmatrix}", "x; y", "x ! y", "a\x01b", "3 ** 2", "1.",
    " ".join(["a+"] * 300) + "1e٣",  # the token limit, reached where a number goes on in Unicode
    "+".join(["x"] * 300) + "λ",
    # the plain scanner's pieces (one findall): numbers ending in a dot, powers, escapes, spacing
    "1.e5 + 2. + .5. + 3.T + x**2 *** y", "\\{a\\} \\| b \\|_2 \\frac12 \\T \\,\\;\\:\\!\\ c \\(d\\) \\[e\\]  ",
    "$x$ \t\r\n$$", "w_{0}^T x_ 1 - T_1 + X^Ta", "a\\", "\\", "\\beginx + \\endy", "x \\% y", "x\fy",
    " ".join(["a"] * 600), " ".join(["a"] * 601), "a" * 2000,
])
def test_the_fast_scanner_reads_as_the_general_step(text):
    from grader.expr.tokens import scan

    def outcome(read):
        try:
            return [tuple(t) for t in read(text)]
        except ExprError as e:
            return (e.message, e.pos)

    assert outcome(scan) == outcome(_scanned_by_the_general_step)


def test_only_texts_the_decimal_point_pattern_finds_can_run_numbers_together():
    """tokenize looks for '1.2.3' only where _POINT_AFTER_NUMBER matches: the full check never
    refuses a text it skips."""
    import random

    from grader.expr import parser as P
    from grader.expr.tokens import scan

    alphabet = list("0123456789.. .xTe+-_{}^") + ["₂", "₀", "²", "⁻", "٣", "۵", "λ", "\\|", "‖", "1e3", "\\frac", "ᵀ"]
    rng = random.Random(3)
    refused = 0
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        try:
            tokens = scan(text)
        except ExprError:
            continue
        try:
            P._one_decimal_point(text, tokens)
        except ExprError:
            refused += 1
            assert P._POINT_AFTER_NUMBER.search(text), text
    assert refused > 100


def _split_top_by_characters(text, pattern):
    """split_top as it was written first: a walk over every character (the reference)."""
    import re

    if pattern.search(text) is None:
        return [text]
    can = {m.start() for m in re.compile(f"(?=(?:{pattern.pattern}))", pattern.flags).finditer(text)}
    out, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and text.startswith(("\\{", "\\}"), i):
            i += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and i in can:
            m = pattern.match(text, i)
            if m and m.end() > i:
                out.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    out.append(text[start:])
    return out


def test_split_top_walks_brackets_as_the_character_walk_did():
    import random
    import re

    from grader.expr import values as V

    patterns = [V._CHAIN, V._SIM, V._STEP, V._FORMULA_CHAIN, V._TIMES, V._COMMA, V._SEMICOLON,
                re.compile(r"\(="), re.compile(r"x\{"), re.compile(r"\\\{|x"), re.compile(r"a*"),
                re.compile(r"\\?[{}()]"), re.compile(r"=\(|\)=")]  # places at brackets: never separators
    alphabet = list("ab1 2x,;=~:()[]{}\\") + ["\\{", "\\}", "\\to", "\\sim", ":=", "\\times", "→", "&", "\\\\",
                                           "\\\\{"]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        for pattern in patterns:
            assert V.split_top(text, pattern) == _split_top_by_characters(text, pattern), (text, pattern.pattern)


def test_token_keys_cut_texts_as_tuples_of_kind_and_text_did():
    """Two texts share a key exactly when their tokens have the same kinds and texts (and the same
    plain-or-not for names that start with T and go on: X^Ta is X^T a only when Ta is written plainly)."""
    from grader.expr.parser import token_key, tokenize

    texts = ["w_0 - t", "\\mathbf{w}_0 - t", "w_{0}-t", "w_0 - T", "X^Ta", "X^\\mathrm{Ta}", "X^T a", "x", "\\text{x}",
             "T_1", "T _1", "\\mathrm{T}", "T", "aT", "a T", "\\mathrm{aT}",
             "\\frac{a}{b}", "frac(a)(b)", "a b", "ab", "1 2", "12", "\\|v\\|_2", "|v|_2", "‖v‖₂"]

    def old_key(tokens):
        return tuple((kind, text, end - pos == len(text)) if kind == "name" and text[:1] == "T" and text != "T"
                     else (kind, text) for kind, text, pos, end in tokens)

    tokens = {text: tokenize(text) for text in texts}
    for a in texts:
        for b in texts:
            same_new = token_key(tokens[a]) == token_key(tokens[b])
            assert same_new == (old_key(tokens[a]) == old_key(tokens[b])), (a, b)
