"""Evaluation of scalar formulas with Python floats (no sympy): sampling and size checks.

Every failure (division by zero, log of a negative, overflow, a complex result) gives NaN:
the point is then "undefined", which the sampler handles.
"""

from __future__ import annotations

import math

from grader.expr import nodes as N
from grader.expr.errors import ExprError
from grader.expr.limits import MAX_EXPONENT, MAX_NUMBER_EXP10

NAN = float("nan")


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def binom(n: float, k: float) -> float:
    """n choose k, for real n and k (the Gamma function); exact for whole numbers."""
    if float(n).is_integer() and float(k).is_integer() and 0 <= k <= n <= 10_000:
        return float(math.comb(int(n), int(k)))
    return math.gamma(n + 1) / (math.gamma(k + 1) * math.gamma(n - k + 1))


FUNCS = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "log10": math.log10, "log2": math.log2,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "sinh": math.sinh, "cosh": math.cosh,
    "tanh": math.tanh, "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan,
    "abs": abs, "sigmoid": _sigmoid, "min": min, "max": max, "binom": binom,
}
CONSTS = {"pi": math.pi, "e": math.e}


def evaluate(node: N.Node, env: dict[str, float]) -> float:
    """Value of a scalar formula at a point; NaN where it is undefined."""
    try:
        value = _ev(node, env)
    except (ValueError, OverflowError, ZeroDivisionError, TypeError):
        return NAN
    if isinstance(value, complex):
        return NAN
    return float(value)


def _ev(node: N.Node, env: dict[str, float]) -> float:
    if isinstance(node, N.Num):
        return float(node.text)
    if isinstance(node, N.Sym):
        return env[node.name]
    if isinstance(node, N.Const):
        return CONSTS[node.name]
    if isinstance(node, N.Neg):
        return -_ev(node.arg, env)
    if isinstance(node, N.Bin):
        a, b = _ev(node.left, env), _ev(node.right, env)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "/":
            return a / b
        return a * b
    if isinstance(node, N.Pow):
        base, exp = _ev(node.base, env), _ev(node.exp, env)
        out = base ** exp
        if isinstance(out, complex):
            raise ValueError("complex")
        return out
    if isinstance(node, N.Call):
        args = [_ev(a, env) for a in node.args]
        return FUNCS[node.fn](*args)
    if isinstance(node, N.Transpose):
        return _ev(node.arg, env)
    raise ValueError(f"cannot evaluate {type(node).__name__} as a scalar")


def check_magnitudes(node: N.Node) -> None:
    """Reject constant parts too large to compute exactly (``9^9^9^9``) and huge exponents.

    Runs before sympy ever sees the formula: sympy would try to build the exact integer.
    """
    _const(node)


def constant_value(node: N.Node) -> float | None:
    """Float value of a formula without symbols (None if it has symbols or is undefined)."""
    try:
        return _const(node)
    except ExprError:
        return None


def _const(node: N.Node) -> float | None:
    """Float value of a constant sub-formula (None if it depends on a symbol or is undefined)."""
    cls = node.__class__  # exact types (nodes have no subclasses), the common ones first
    if cls is N.Bin:
        a, b = _const(node.left), _const(node.right)
        if a is None or b is None:
            return None
        return _checked(node, lambda: _arith(node.op, a, b))
    if cls is N.Sym or cls is N.Ident:
        return None
    if cls is N.Num:
        return float(node.text)
    if cls is N.Const:
        return CONSTS[node.name]
    if cls is N.Neg or cls is N.Transpose:
        v = _const(node.arg)
        return None if v is None else (-v if cls is N.Neg else v)
    if cls is N.Pow:
        base, exp = _const(node.base), _const(node.exp)
        if exp is not None and abs(exp) > MAX_EXPONENT and not (base is not None and abs(base) in (0.0, 1.0)):
            raise ExprError(f"the exponent in {_short(node)} is too large (at most {MAX_EXPONENT})")
        if base is None or exp is None:
            return None
        return _checked(node, lambda: base ** exp)
    if cls is N.Call:
        if node.fn not in FUNCS:  # matrix functions (inv, pinv, tr...) of constants: left to the judge
            return None
        args = [_const(a) for a in node.args]
        if any(a is None for a in args):
            return None
        return _checked(node, lambda: FUNCS[node.fn](*args))
    return None


def _arith(op: str, a: float, b: float) -> float:
    """``a op b`` as :func:`_ev` computes a Bin (products of any kind are ``*``)."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "/":
        return a / b
    return a * b


def _checked(node: N.Node, compute) -> float | None:
    try:
        v = compute()
    except OverflowError:
        raise ExprError(f"the number {_short(node)} is too large") from None
    except (ValueError, ZeroDivisionError, TypeError):
        return None
    if isinstance(v, complex):
        return None
    if math.isinf(v) or (v != 0 and abs(v) > 10.0 ** MAX_NUMBER_EXP10):
        raise ExprError(f"the number {_short(node)} is too large")
    return float(v)


def _short(node: N.Node) -> str:
    text = N.to_text(node)
    return text if len(text) <= 40 else text[:37] + "..."
