"""How far a float evaluation can be from the exact value: a bound on round-off.

Sampling may reject a formula without sympy only when two values differ by more than the
round-off of computing them could explain: ``(x + 10^8)^2 - x^2 - 2*10^8*x - 10^16`` is
exactly 0 but evaluates to about 1 in floats. The bound is a first-order running error
analysis with generous slack; where it cannot bound the error (a pole, a root near 0 of a
square root's argument, an overflow) it says ``inf``, and the caller leaves the decision to
the exact check.
"""

from __future__ import annotations

import math
from fractions import Fraction

from grader.expr import nodes as N
from grader.expr.numeric import CONSTS, FUNCS

EPS = 2.0 ** -52   # twice the unit round-off: one correctly rounded op, libm a little worse
EXACT = 2.0 ** 53  # integers below this are exact in floats
INF = math.inf
SLACK = 16.0       # the bound is first order: stay far from it before calling values different


def error_bound(node: N.Node, env: dict[str, float]) -> float:
    """An upper bound on |float value - exact value| of the formula at ``env`` (inf if unknown)."""
    try:
        value, err = _bound(node, env)
    except (ValueError, OverflowError, ZeroDivisionError, TypeError, KeyError):
        return INF
    if isinstance(value, complex) or not math.isfinite(value) or not math.isfinite(err):
        return INF
    return SLACK * err


def _round(v: float) -> float:
    return EPS * abs(v)


def _exact_int(v: float) -> bool:
    return v == int(v) and abs(v) < EXACT


def _bound(node: N.Node, env: dict[str, float]) -> tuple[float, float]:
    if isinstance(node, N.Num):
        v = float(node.text)
        return v, 0.0 if Fraction(node.text) == v else _round(v)
    if isinstance(node, N.Sym):
        return env[node.name], 0.0  # the sample point itself: exact
    if isinstance(node, N.Const):
        v = CONSTS[node.name]
        return v, _round(v)
    if isinstance(node, (N.Neg, N.Transpose)):
        v, e = _bound(node.arg, env)
        return (-v if isinstance(node, N.Neg) else v), e
    if isinstance(node, N.Bin):
        return _binary(node.op, *_bound(node.left, env), *_bound(node.right, env))
    if isinstance(node, N.Pow):
        return _power(*_bound(node.base, env), *_bound(node.exp, env))
    if isinstance(node, N.Call):
        args = [_bound(a, env) for a in node.args]
        return _call(node.fn, args)
    raise ValueError("not a scalar formula")


def _binary(op: str, a: float, ea: float, b: float, eb: float) -> tuple[float, float]:
    if op in "+-":
        v = a + b if op == "+" else a - b
        err = ea + eb
    elif op == "*":
        v = a * b
        err = abs(a) * eb + abs(b) * ea + ea * eb
    elif op == "/":
        v = a / b
        if eb >= abs(b) / 2:
            return v, INF
        err = (ea + abs(v) * eb) / (abs(b) - eb)
    else:
        raise ValueError(op)
    exact = err == 0 and op != "/" and _exact_int(a) and _exact_int(b) and _exact_int(v)
    return v, err + (0.0 if exact else _round(v))


def _power(b: float, eb: float, k: float, ek: float) -> tuple[float, float]:
    v = b ** k
    if isinstance(v, complex):
        raise ValueError("complex")
    if eb == 0 and ek == 0:
        exact = _exact_int(b) and _exact_int(k) and k >= 0 and _exact_int(v)
        return v, 0.0 if exact else _round(v)
    lo, hi = b - eb, b + eb
    err = 0.0
    if eb and k != 0:
        if lo <= 0 and not _exact_int(k):
            return v, INF  # the exact base may be negative: no real power there
        if k >= 1:  # |k| |y|^(k-1) grows with |y|
            err += abs(k) * max(abs(lo), abs(hi)) ** (k - 1) * eb
        elif lo <= 0 <= hi:
            return v, INF  # a root or a pole near 0: not Lipschitz
        else:  # |k| |y|^(k-1) shrinks with |y|
            err += abs(k) * min(abs(lo), abs(hi)) ** (k - 1) * eb
    if ek:
        if lo <= 0:
            return v, INF
        top = max(abs(y ** x * math.log(y)) for y in (lo, hi) for x in (k - ek, k + ek))
        err += top * ek
    return v, err + _round(v)


def _lipschitz(fn: str, x: float, e: float) -> float:
    """A bound on |f'| over [x - e, x + e] (inf where f is not Lipschitz there)."""
    lo, hi = x - e, x + e
    if fn in ("sin", "cos", "tanh", "arctan", "abs"):
        return 1.0
    if fn == "sigmoid":
        return 0.25
    if fn == "exp":
        return math.exp(hi)
    if fn in ("sinh", "cosh"):
        return math.cosh(max(abs(lo), abs(hi)))
    if fn in ("log", "log10", "log2"):
        scale = {"log": 1.0, "log10": math.log(10), "log2": math.log(2)}[fn]
        return INF if lo <= 0 else 1.0 / (lo * scale)
    if fn == "sqrt":
        return INF if lo <= 0 else 0.5 / math.sqrt(lo)
    if fn in ("arcsin", "arccos"):
        top = max(abs(lo), abs(hi))
        return INF if top >= 1 else 1.0 / math.sqrt(1.0 - top * top)
    if fn == "tan":
        if e >= 0.5 or (math.cos(lo) > 0) != (math.cos(hi) > 0):
            return INF
        return 1.0 + max(math.tan(lo) ** 2, math.tan(hi) ** 2)
    return INF


def _call(fn: str, args: list[tuple[float, float]]) -> tuple[float, float]:
    v = FUNCS[fn](*[a for a, _ in args])
    if isinstance(v, complex):
        raise ValueError("complex")
    if fn in ("min", "max"):
        return v, max(e for _, e in args)  # exact choice of one argument
    (x, e), = args
    if fn == "abs":
        return v, e
    if fn == "sqrt" and e and x - e <= 0:
        return v, math.sqrt(2 * e) + _round(v)  # |sqrt(a) - sqrt(b)| <= sqrt(|a - b|)
    return v, (_lipschitz(fn, x, e) * e if e else 0.0) + _round(v)
