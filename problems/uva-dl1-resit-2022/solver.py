"""Reference solvers for the UvA Deep Learning 1 resit 2022/23 (seed 003_064c90fcb075f0e0.txt).

Three computable chains:

* Exercise 2 (quadratic layer): the parameter count of one quadratic layer with N outputs,
  counted from its pieces (a symmetric M x M matrix, a vector, a scalar per output), and the
  variants that reproduce the anticipated miscounts.
* Exercise 6 (Transformer / LayerNorm): variances propagated through Post-LN and Pre-LN
  layers, forward and backward, under the exam's independence assumptions.
* Exercise 9 (optimization of f(x) = x^T A x / 2): the gradient-descent step, its rate, the
  optimal learning rate, the optimal rate in kappa and the momentum step count.

Formula answers are returned as plain-syntax strings for the `expression` answer types.
Carried-forward student formulas (from `uses:`) arrive as the expression type's canonical
plain text; it is read by a small whitelist parser here, never by eval or sympify, and the
carry_forward solvers (rate_in_kappa, momentum_steps_from_rate) work on it with floats only.
"""

from __future__ import annotations

import ast
import copy
import math

# --------------------------------------------------------------------------------------
# Exercise 2: parameters of the quadratic layer y_i = lam x^T A_i x + x^T b_i + c_i
# --------------------------------------------------------------------------------------


def _symbols(M, N):
    """Sympy symbols for names, numbers as they are: the same count works for both."""
    import sympy

    def as_sym(v):
        return sympy.Symbol(v, positive=True, integer=True) if isinstance(v, str) else v

    return as_sym(M), as_sym(N)


def params_per_output(M, a_entries="symmetric", bias=True):
    """Trainable numbers of one output unit: its matrix A, its vector b, its scalar c.

    a_entries: "symmetric" (upper triangle with diagonal, M(M+1)/2), "full" (M^2, the
    anticipated miscount) or "strict" (upper triangle without the diagonal, M(M-1)/2).
    """
    a = {
        "symmetric": M * (M + 1) / 2,
        "full": M * M,
        "strict": M * (M - 1) / 2,
    }[a_entries]
    return a + M + (1 if bias else 0)


def quadratic_model_params(M="M", N="N", a_entries="symmetric", bias=True, outputs=True):
    """Parameters of the model: one quadratic layer M -> N, then a softmax (no parameters).

    With names for M and N this returns the formula as text; with numbers, the integer.
    """
    m, n = _symbols(M, N)
    count = params_per_output(m, a_entries, bias) * (n if outputs else 1)
    if isinstance(M, str) or isinstance(N, str):
        import sympy

        return str(sympy.factor(sympy.nsimplify(count)))
    return int(round(count))


def params_full_matrix(M="M", N="N"):
    """Mistake: A counted as a full M x M matrix (M^2) although it is symmetric."""
    return quadratic_model_params(M, N, a_entries="full")


def params_no_bias(M="M", N="N"):
    """Mistake: the scalars c_i forgotten."""
    return quadratic_model_params(M, N, bias=False)


def params_no_diagonal(M="M", N="N"):
    """Mistake: the symmetric matrix counted without its diagonal, M(M-1)/2."""
    return quadratic_model_params(M, N, a_entries="strict")


def params_one_output(M="M", N="N"):
    """Mistake: the count of one output unit, not multiplied by the N outputs."""
    return quadratic_model_params(M, N, outputs=False)


def params_ratio(M="M"):
    """P_Q / P_L per output unit: (M(M+1)/2 + M + 1) / (M + 1) = M/2 + 1."""
    import sympy

    m, _ = _symbols(M, 1)
    return str(sympy.simplify(params_per_output(m) / (m + 1)))


# --------------------------------------------------------------------------------------
# Exercise 6: variances through Post-LN (a) and Pre-LN (b) Transformer layers
# --------------------------------------------------------------------------------------
# Each layer has two sub-layers (MHA, then FFN). The blocks keep the variance of what enters
# them, forward and backward, and their outputs (gradients) are independent of their inputs,
# so variances of sums add. LayerNorm outputs variance 1 and, with the gradients through its
# statistics neglected, divides the gradient by the standard deviation of its input, i.e.
# the gradient's variance by the variance of its input.

SUBLAYERS = 2  # MHA and FFN


def post_ln_forward_var(x_var=1.0, sublayers=SUBLAYERS):
    """(a) x <- LN(x + F(x)): whatever comes in, a LayerNorm comes out last."""
    var = x_var
    for _ in range(sublayers):
        var = 1.0  # LN(x + F(x))
    return var


def pre_ln_forward_var(x_var=1.0, sublayers=SUBLAYERS):
    """(b) x <- x + F(LN(x)): each sub-layer adds a variance-1 branch to the stream."""
    var = x_var
    for _ in range(sublayers):
        var = var + 1.0
    return var


def _forward_vars(x_var, sublayers, step):
    """Variance of the input of each sub-layer, first to last."""
    out, var = [], x_var
    for _ in range(sublayers):
        out.append(var)
        var = step(var)
    return out


def post_ln_grad_var(g_var=1.0, x_var=1.0, sublayers=SUBLAYERS, ln_scaling=True):
    """(a) backward: the LN divides by Var(x + F(x)) = 2 Var(x), the two paths add it back."""
    inputs = _forward_vars(x_var, sublayers, lambda v: 1.0)
    g = g_var
    for v in reversed(inputs):
        g_sum = g / (2.0 * v) if ln_scaling else g  # through LN(x + F(x))
        g = g_sum + g_sum  # identity path + block path
    return g


def pre_ln_grad_var(g_var=1.0, x_var=1.0, sublayers=SUBLAYERS, ln_scaling=True,
                    stop_after=None):
    """(b) backward: identity path keeps g, block path is g scaled by 1/Var(x) by the LN.

    stop_after: number of sub-layers to go through (anticipated mistake: only one).
    """
    inputs = _forward_vars(x_var, sublayers, lambda v: v + 1.0)
    g = g_var
    for k, v in enumerate(reversed(inputs)):
        if stop_after is not None and k >= stop_after:
            break
        g = g + (g / v if ln_scaling else g)
    return g


def pre_ln_forward_one_sublayer(x_var=1.0):
    """Mistake: only one residual branch added (variance 2)."""
    return pre_ln_forward_var(x_var, sublayers=1)


def pre_ln_forward_std(x_var=1.0):
    """Mistake: the standard deviation sqrt(3) given where N(0, .) takes the variance."""
    return math.sqrt(pre_ln_forward_var(x_var))


def pre_ln_grad_no_ln(g_var=1.0, x_var=1.0):
    """Mistake: the LayerNorms' division by the input's std forgotten (1 -> 2 -> 4)."""
    return pre_ln_grad_var(g_var, x_var, ln_scaling=False)


def pre_ln_grad_one_sublayer(g_var=1.0, x_var=1.0):
    """Mistake: only the FFN sub-layer gone through (3/2)."""
    return pre_ln_grad_var(g_var, x_var, stop_after=1)


def post_ln_grad_no_ln(g_var=1.0, x_var=1.0):
    """Mistake: in (a), the blocks double the variance but the LNs are not seen to halve it."""
    return post_ln_grad_var(g_var, x_var, ln_scaling=False)


# --------------------------------------------------------------------------------------
# Exercise 9: gradient descent on f(x) = 1/2 x^T A x (A symmetric positive definite)
# --------------------------------------------------------------------------------------

GRADIENT = "A @ x"  # grad of x^T A x / 2 for symmetric A (checked numerically in the tests)


def gd_step(gradient=GRADIENT):
    """x_{t+1} = x_t - eta * grad f(x_t) = (I - eta A) x_t."""
    return f"x - eta*({gradient})"


def gd_step_ascent(gradient=GRADIENT):
    """Mistake: the sign of the step flipped (gradient ascent)."""
    return f"x + eta*({gradient})"


def gd_step_no_half(gradient=GRADIENT):
    """Mistake: the gradient of x^T A x (2 A x) used, the 1/2 of f forgotten."""
    return f"x - 2*eta*({gradient})"


def gd_rate():
    """max_i |1 - eta lambda_i|: |1 - eta l| is convex in l, so the max is at an end."""
    return "max(abs(1 - eta*lambda_min), abs(1 - eta*lambda_max))"


def gd_rate_small_end_only():
    """The seed's last line, max_i |1 - eta lambda_min|: right only for eta <= 2/(lmin+lmax)."""
    return "abs(1 - eta*lambda_min)"


def optimal_lr():
    """Minimize the rate: both ends balance, 1 - eta lmin = eta lmax - 1."""
    import sympy

    eta, lmin, lmax = sympy.symbols("eta lambda_min lambda_max", positive=True)
    (sol,) = sympy.solve(sympy.Eq(1 - eta * lmin, eta * lmax - 1), eta)
    return str(sol)


def optimal_rate(eta_star):
    """The rate at the learning rate eta_star (a formula in lambda_min, lambda_max), in kappa.

    eta_star is the reference 2/(lmin + lmax) or, carried forward, the student's formula.
    With lmin = s and lmax = s kappa the rate must not depend on the scale s; a formula
    that does cannot be written in kappa and is not carried forward (ValueError).
    """
    import sympy

    kappa = sympy.Symbol("kappa", positive=True)
    u = sympy.Symbol("u", positive=True)  # kappa - 1 > 0, so the Abs can be resolved
    s = sympy.Symbol("s", positive=True)
    lmin, lmax = sympy.symbols("lambda_min lambda_max", positive=True)
    eta = to_sympy(eta_star, {"lambda_min": lmin, "lambda_max": lmax})
    if eta.free_symbols - {lmin, lmax}:
        raise ValueError("the learning rate may use only lambda_min and lambda_max")
    eta = eta.subs({lmin: s, lmax: s * (1 + u)})
    rate = sympy.Max(sympy.Abs(1 - eta * s), sympy.Abs(1 - eta * s * (1 + u)))
    rate = sympy.simplify(rate)
    if s in rate.free_symbols:
        raise ValueError("the rate depends on the scale of the eigenvalues, not on kappa only")
    return str(sympy.simplify(rate.subs(u, kappa - 1)))


def momentum_rate(kappa):
    """(sqrt(kappa) - 1) / (sqrt(kappa) + 1), given in the question."""
    import sympy

    root = sympy.sqrt(sympy.nsimplify(kappa))
    return (root - 1) / (root + 1)


def momentum_steps(gd_rate_kappa, kappa=4):
    """Steps m of momentum with rate_m^m = rate_gd^n: m = n log(rate_gd) / log(rate_m).

    gd_rate_kappa: the gradient-descent rate as a formula in kappa (part 9.4's answer).
    """
    import sympy

    k = sympy.Symbol("kappa", positive=True)
    n = sympy.Symbol("n", positive=True)
    r_gd = sympy.nsimplify(to_sympy(gd_rate_kappa, {"kappa": k}).subs(k, sympy.nsimplify(kappa)))
    if r_gd.free_symbols or not (0 < float(r_gd) < 1):
        raise ValueError("the gradient-descent rate must be a number in (0, 1) at kappa = 4")
    steps = n * sympy.log(r_gd) / sympy.log(momentum_rate(kappa))
    return str(sympy.simplify(steps))


def momentum_steps_coefficient(kappa=4):
    """The number m/n (about 0.465 for kappa = 4), for the tests and the feedback."""
    r_gd = (kappa - 1) / (kappa + 1)
    r_m = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    return math.log(r_gd) / math.log(r_m)


def momentum_steps_kappa_not_sqrt(kappa=4):
    """Mistake: the momentum rate taken with kappa instead of sqrt(kappa): same rate, m = n."""
    return "n"


def momentum_steps_rate_ratio(kappa=4):
    """Mistake: the ratio of the rates instead of the ratio of their logarithms."""
    r_gd = (kappa - 1) / (kappa + 1)
    r_m = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    import sympy

    return str(sympy.nsimplify(r_m / r_gd) * sympy.Symbol("n"))


def momentum_steps_inverted(kappa=4):
    """Mistake: the logarithms swapped, m = n log(rate_m) / log(rate_gd) (about 2.15 n)."""
    import sympy

    n = sympy.Symbol("n", positive=True)
    r_gd = sympy.Rational(kappa - 1, kappa + 1)
    return str(n * sympy.log(momentum_rate(kappa)) / sympy.log(r_gd))


# --------------------------------------------------------------------------------------
# Carried-forward errors without sympy
# --------------------------------------------------------------------------------------
# A class brings hundreds of distinct wrong answers to 9.3 and 9.4, and each is fed to the
# solver that recomputes 9.4 or 9.5 from it. optimal_rate and momentum_steps (above) give the
# pretty reference once (`grader validate` caches it); the two below give the same answers
# with floats and text only, so a grading worker never imports sympy nor waits on simplify.

_KAPPAS = (1.5, 2.0, 3.7, 8.0, 21.0, 55.0, 100.0)  # inside 9.4's domain of kappa, [1, 100]
_SCALES = (0.013, 0.4, 1.0, 2.9, 71.0)  # lambda_min; lambda_max = kappa * lambda_min
_SAME_RATE = 1e-7  # relative: rates this close at every scale are taken as scale-free


def rate_in_kappa(eta_star):
    """optimal_rate without sympy: the rate max(|1 - eta lmin|, |1 - eta lmax|) at the learning
    rate eta_star, as a formula in kappa.

    With lmin = s and lmax = s kappa, the rate must not depend on s (checked at several s and
    kappa; else ValueError, as optimal_rate). Then s = 1 gives it: eta_star with lambda_min ->
    1 and lambda_max -> kappa, put into the two ends of the rate.
    """
    eta = read_formula(eta_star, ("lambda_min", "lambda_max"))
    defined = 0
    for kappa in _KAPPAS:
        rates = [_rate_or_none(eta, s, kappa) for s in _SCALES]
        if all(r is None for r in rates):
            continue  # undefined at this kappa whatever the scale: nothing to compare
        if None in rates or not all(math.isclose(r, rates[0], rel_tol=_SAME_RATE, abs_tol=1e-12)
                                    for r in rates):
            raise ValueError("the rate depends on the scale of the eigenvalues, not on kappa only")
        defined += 1
    if defined < 3:
        raise ValueError("the learning rate is undefined for most condition numbers")
    at_unit = _substitute(eta, {"lambda_min": ast.Constant(1), "lambda_max": ast.Name("kappa", ast.Load())})
    e = ast.unparse(at_unit)
    return f"max(abs(1 - ({e})), abs(1 - ({e})*kappa))"


def _rate_or_none(eta, s, kappa):
    """The gradient-descent rate at lambda_min = s, lambda_max = s kappa; None if undefined."""
    try:
        value = evaluate_formula(eta, {"lambda_min": s, "lambda_max": s * kappa})
        return _finite(max(abs(1 - value * s), abs(1 - value * s * kappa)))
    except ValueError:
        return None


def momentum_steps_from_rate(gd_rate_kappa, kappa=4):
    """momentum_steps without sympy: m = C n with C = log(rate_gd) / log(rate_momentum) at this
    kappa, C written as repr(float) (exact to 1e-16, far inside 9.5's rtol).

    The gradient-descent rate (9.4's answer, a formula in kappa) must be in (0, 1) at kappa:
    else there is no step count to speak of (ValueError, as momentum_steps).
    """
    r_gd = evaluate_formula(read_formula(gd_rate_kappa, ("kappa",)), {"kappa": float(kappa)})
    if not 0 < r_gd < 1:
        raise ValueError(f"the gradient-descent rate must be a number in (0, 1) at kappa = {kappa}")
    root = math.sqrt(kappa)
    r_m = (root - 1) / (root + 1)
    if not 0 < r_m < 1:
        raise ValueError(f"no momentum rate in (0, 1) at kappa = {kappa}")
    return f"{math.log(r_gd) / math.log(r_m)!r}*n"


# --------------------------------------------------------------------------------------
# Carried-forward formulas: a whitelist reader (no eval, no sympify)
# --------------------------------------------------------------------------------------
# The expression type hands a student's formula over as its canonical plain text
# ("2/(lambda_max + lambda_min)", "(kappa - 1)/kappa", "x^2"). It is parsed as Python syntax
# and walked against a whitelist before anything uses it; nothing is ever run.

_MAX_FORMULA = 2000  # characters
_MAX_NODES = 500
_MAX_DEPTH = 60
_MAX_EXPONENT = 100  # |k| in x^k for a constant k
_CONSTANTS = {"pi": math.pi, "e": math.e}
_FLOAT_FUNCTIONS = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "ln": math.log, "log2": math.log2,
    "log10": math.log10, "abs": abs, "Abs": abs, "max": lambda *a: max(a), "Max": lambda *a: max(a),
    "min": lambda *a: min(a), "Min": lambda *a: min(a),
}
_VARIADIC = {"max", "Max", "min", "Min"}
_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


def read_formula(value, names):
    """The checked syntax tree of a formula in `names` (a number is a formula too).

    Only numbers, the names, pi and e, + - * / ** (or ^) and the functions of
    _FLOAT_FUNCTIONS pass; anything else, or too long, deep or large, is a ValueError.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"cannot read a formula from {type(value).__name__}")
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("^", "**").strip()
    if not text or len(text) > _MAX_FORMULA:
        raise ValueError("formula empty or too long")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"not a formula: {exc}") from None
    count = [0]
    _check(tree.body, frozenset(names), 0, count)
    return tree.body


def _check(node, names, depth, count):
    """Raise ValueError unless every node of the tree is whitelisted and bounded."""
    count[0] += 1
    if depth > _MAX_DEPTH or count[0] > _MAX_NODES:
        raise ValueError("formula nested too deeply or too long")
    d = depth + 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ValueError(f"not a number: {node.value!r}")
        try:
            if not math.isfinite(float(node.value)):
                raise ValueError("non-finite number")
        except OverflowError:
            raise ValueError("number too large") from None
    elif isinstance(node, ast.Name):
        if node.id not in names and node.id not in _CONSTANTS:
            raise ValueError(f"unknown name {node.id!r}")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, names, d, count)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, _BINARY):
        _check(node.left, names, d, count)
        _check(node.right, names, d, count)
        if isinstance(node.op, ast.Pow) and not _has_names(node.right):
            if abs(evaluate_formula(node.right, {})) > _MAX_EXPONENT:
                raise ValueError("exponent too large")
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _FLOAT_FUNCTIONS and not node.keywords and node.args:
        if len(node.args) != 1 and node.func.id not in _VARIADIC:
            raise ValueError(f"{node.func.id}() takes one argument")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ValueError("not allowed in a formula: *")
            _check(arg, names, d, count)
    else:
        raise ValueError(f"not allowed in a formula: {type(node).__name__}")


def _has_names(node):
    return any(isinstance(n, ast.Name) and n.id not in _CONSTANTS for n in ast.walk(node))


def evaluate_formula(node, env):
    """The float value of a checked formula at a point; ValueError where it is undefined
    (division by zero, log of a negative, overflow, a complex or non-finite value)."""
    try:
        return _finite(_ev(node, env))
    except (ArithmeticError, TypeError, KeyError):
        raise ValueError("the formula is undefined there") from None


def _ev(node, env):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(env[node.id]) if node.id in env else _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _ev(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        a, b = _ev(node.left, env), _ev(node.right, env)
        op = node.op
        out = a + b if isinstance(op, ast.Add) else a - b if isinstance(op, ast.Sub) \
            else a * b if isinstance(op, ast.Mult) else a / b if isinstance(op, ast.Div) else a ** b
        if isinstance(out, complex):
            raise ValueError("complex value")
        return _finite(out)
    return _finite(_FLOAT_FUNCTIONS[node.func.id](*(_ev(a, env) for a in node.args)))


def _finite(value):
    if not math.isfinite(value):
        raise ValueError("non-finite value")
    return value


def _substitute(node, replacements):
    """A copy of the tree with the named variables replaced by the given subtrees."""

    class Swap(ast.NodeTransformer):
        def visit_Name(self, name):
            return replacements.get(name.id, name)

    return ast.fix_missing_locations(Swap().visit(copy.deepcopy(node)))


def to_sympy(value, names):
    """A formula handed over by the expression type, as a sympy expression (the reference
    solvers above; carried students' values go to the float solvers instead).

    Accepts a sympy expression as is; text must pass read_formula's whitelist.
    """
    import sympy

    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("non-finite number")
        return sympy.nsimplify(value)
    node = read_formula(value, names)
    symbols = dict({"pi": sympy.pi, "e": sympy.E}, **names)
    functions = {
        "sqrt": sympy.sqrt, "log": sympy.log, "ln": sympy.log, "exp": sympy.exp,
        "log2": lambda x: sympy.log(x, 2), "log10": lambda x: sympy.log(x, 10),
        "Abs": sympy.Abs, "abs": sympy.Abs, "Max": sympy.Max, "max": sympy.Max,
        "Min": sympy.Min, "min": sympy.Min,
    }
    return _convert(node, symbols, functions)


def _convert(node, names, functions):
    """A checked tree (read_formula) -> sympy, numbers exact."""
    import sympy

    if isinstance(node, ast.Constant):
        return sympy.nsimplify(node.value)
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.UnaryOp):
        inner = _convert(node.operand, names, functions)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = _convert(node.left, names, functions)
        right = _convert(node.right, names, functions)
        op = node.op
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            return left / right
        return left ** right
    return functions[node.func.id](*(_convert(a, names, functions) for a in node.args))
