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
Carried-forward student formulas (from `uses:`) arrive as whatever the expression type hands
over (a sympy expression, or plain text); text is read by a small whitelist parser here,
never by eval or sympify.
"""

from __future__ import annotations

import ast
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
# Carried-forward formulas: a whitelist reader (no eval, no sympify)
# --------------------------------------------------------------------------------------

_MAX_FORMULA = 2000


def to_sympy(value, names):
    """A formula handed over by the expression type, as a sympy expression.

    Accepts a sympy expression as is; text is parsed as Python syntax and only numbers,
    the given names, pi and e, + - * / ** (or ^) and a few functions (sqrt, log/ln/log2/log10,
    exp, abs, max, min) are allowed.
    """
    import sympy

    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"cannot read a formula from {type(value).__name__}")
    if isinstance(value, (int, float)):
        return sympy.nsimplify(value)
    text = value.replace("^", "**").strip()
    if not text or len(text) > _MAX_FORMULA:
        raise ValueError("formula empty or too long")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"not a formula: {exc}") from None
    names = dict({"pi": sympy.pi, "e": sympy.E}, **names)
    functions = {
        "sqrt": sympy.sqrt, "log": sympy.log, "ln": sympy.log, "exp": sympy.exp,
        "log2": lambda x: sympy.log(x, 2), "log10": lambda x: sympy.log(x, 10),
        "Abs": sympy.Abs, "abs": sympy.Abs, "Max": sympy.Max, "max": sympy.Max,
        "Min": sympy.Min, "min": sympy.Min,
    }
    return _convert(tree.body, names, functions, depth=0)


def _convert(node, names, functions, depth):
    import sympy

    if depth > 60:
        raise ValueError("formula nested too deeply")
    d = depth + 1
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise ValueError("non-finite number")
        return sympy.nsimplify(node.value)
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise ValueError(f"unknown name {node.id!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _convert(node.operand, names, functions, d)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = _convert(node.left, names, functions, d)
        right = _convert(node.right, names, functions, d)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        if isinstance(node.op, ast.Pow):
            if right.is_number and abs(float(right)) > 100:
                raise ValueError("exponent too large")
            return left ** right
        raise ValueError("operator not allowed")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in functions and not node.keywords and node.args:
        args = [_convert(a, names, functions, d) for a in node.args]
        return functions[node.func.id](*args)
    raise ValueError(f"not allowed in a formula: {type(node).__name__}")
