"""Matrix formulas: draw random instances (dimensions too) and evaluate the AST with numpy.

Shapes were checked symbolically first (shapes.py), so evaluation only computes. Vectors are
column matrices (n, 1); a 1×1 product is a scalar. Everything is seeded from the part id: the
reference, its anticipated mistakes and every student's formula share the part's instances.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from grader.expr import nodes as N
from grader.expr.equivalence import Outcome, seed_for
from grader.expr.hints import factor_hint
from grader.expr.numeric import CONSTS
from grader.expr.shapes import ShapeChecker, show
from grader.expr.symbols import SymbolTable, Var
from grader.identity_cache import IdentityCache
from grader.numbers import allowed_error

NP_FUNCS = {
    "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log10": np.log10, "log2": np.log2,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
}


class _Undefined(Exception):
    """This instance makes the formula undefined (singular matrix, log of a negative...)."""


@dataclass(frozen=True)
class Eye:
    """c * I with the size left to the context (``I - eta A``)."""

    c: float = 1.0


class MatrixSpace:
    """A part's matrix vocabulary: symbol table, parsed shorthands, shape checker."""

    def __init__(self, table: SymbolTable, defines: dict[str, N.Node]):
        self.table = table
        self.defines = defines
        self.checker = ShapeChecker(table, defines)
        self._points = IdentityCache(1000)
        self._shapes = IdentityCache(1000)
        self._values = IdentityCache(20_000)
        self._instances: dict[str, tuple[list[dict], random.Random]] = {}

    def shape(self, node: N.Node) -> tuple:
        """A formula's shape, cached by node identity because the reference's node comes back for every student."""
        shape = self._shapes.get(node)  # the reference's node comes back for every student
        return shape if shape is not None else self._shapes.put(node, self.checker.result(node))

    # -- instances ---------------------------------------------------------------------------
    def instance(self, rng: random.Random) -> dict:
        """One random instance: dimensions drawn, then every sampled variable with its shape and structure
        (shorthands are evaluated from their formulas instead)."""
        dims = _draw_dims(self.table.dims, rng)
        env: dict = {d: float(v) for d, v in dims.items()}
        sizes = {d: v for d, v in dims.items()}
        for var in self.table.vars.values():
            if var.define is not None:
                continue
            env[var.name] = _draw_var(var, sizes, rng)
        return env

    def evaluate(self, node: N.Node, env: dict):
        """A formula's value in ``env``; raises _Undefined when it is not finite or an I's size is left open."""
        with np.errstate(all="ignore"):
            value = self._ev(node, env)
        if isinstance(value, Eye):
            raise _Undefined()
        arr = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise _Undefined()
        return value

    def _ev(self, node: N.Node, env: dict):
        kind = type(node)  # by frequency: a class evaluates many formulas at every instance
        if kind is N.Bin:
            return self._binary(node.op, self._ev(node.left, env), self._ev(node.right, env))
        if kind is N.Sym:
            name = node.name
            if name in self.defines:
                key = ("define", name)
                if key not in env:
                    env[key] = self._ev(self.defines[name], env)
                return env[key]
            return env[name]
        if kind is N.Num:
            return float(node.text)
        if kind is N.Transpose:
            v = self._ev(node.arg, env)
            return v.T if isinstance(v, np.ndarray) else v
        if kind is N.Neg:
            v = self._ev(node.arg, env)
            return Eye(-v.c) if isinstance(v, Eye) else -v
        if kind is N.Pow:
            return self._power(self._ev(node.base, env), self._ev(node.exp, env))
        if kind is N.Call:
            return self._call(node.fn, [self._ev(a, env) for a in node.args])
        if kind is N.Ident:
            return Eye() if node.size is None else np.eye(int(env.get(node.size, node.size)))
        if kind is N.Const:
            return CONSTS[node.name]
        raise _Undefined()

    def _binary(self, op: str, a, b):
        if type(a) is float and type(b) is float:  # scalars: plain arithmetic, no numpy call
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "/":
                if b == 0:
                    raise _Undefined()
                return a / b
            return a * b
        if op in "+-":
            sign = 1.0 if op == "+" else -1.0
            if isinstance(a, Eye) and isinstance(b, Eye):
                return Eye(a.c + sign * b.c)
            if isinstance(a, Eye):
                return a.c * np.eye(b.shape[0]) + sign * b
            if isinstance(b, Eye):
                return a + sign * b.c * np.eye(a.shape[0])
            return a + b if op == "+" else a - b
        if op == "/":
            if np.ndim(b) == 0 and b == 0:
                raise _Undefined()
            if isinstance(a, Eye):
                return Eye(a.c / b)
            return a / b
        if isinstance(a, Eye) and isinstance(b, Eye):
            return Eye(a.c * b.c)
        if isinstance(a, Eye):  # c I times a scalar stays c' I: (I - lambda I) w
            return Eye(a.c * float(b)) if np.ndim(b) == 0 else a.c * b
        if isinstance(b, Eye):
            return Eye(float(a) * b.c) if np.ndim(a) == 0 else a * b.c
        if op == "⊙" or np.ndim(a) == 0 or np.ndim(b) == 0:
            return a * b
        out = a @ b
        return float(out[0, 0]) if out.shape == (1, 1) else out

    def _power(self, a, k):
        if isinstance(a, Eye):
            return Eye(a.c ** k)
        if np.ndim(a) == 0:
            return float(np.float64(a) ** np.float64(k))
        if k != int(k):
            return _psd_power(a, float(k))
        if k == 2 and a.ndim == 2 and 1 in a.shape and a.shape != (1, 1):
            return float(np.sum(a * a))  # a vector squared: v^T v
        k = int(k)
        try:
            if k < 0:
                a, k = np.linalg.inv(a), -k
            return np.linalg.matrix_power(a, k)
        except np.linalg.LinAlgError:
            raise _Undefined() from None

    def _call(self, fn: str, args: list):
        a = args[0]
        if fn == "sqrt" and isinstance(a, Eye):
            return Eye(float(np.sqrt(a.c))) if a.c >= 0 else _raise()
        if fn == "sqrt" and np.ndim(a) == 2:
            return _psd_power(a, 0.5)
        if fn in NP_FUNCS:
            return float(NP_FUNCS[fn](a))
        if fn == "binom":
            from grader.expr.numeric import binom

            try:
                return binom(float(args[0]), float(args[1]))
            except (ValueError, OverflowError, ZeroDivisionError):
                raise _Undefined() from None
        if fn == "inner":
            b = args[1]
            if np.ndim(a) == 0 or np.ndim(b) == 0:
                return float(np.sum(np.asarray(a) * np.asarray(b)))
            return float(np.sum(np.ravel(a) * np.ravel(b)))
        if fn == "pinv":
            if isinstance(a, Eye):
                return Eye(1.0 / a.c) if a.c != 0 else Eye(0.0)
            if np.ndim(a) == 0:
                return 1.0 / a if a != 0 else 0.0
            try:
                return np.linalg.pinv(a)
            except np.linalg.LinAlgError:
                raise _Undefined() from None
        if fn in ("min", "max"):
            return float(min(args) if fn == "min" else max(args))
        if fn in ("abs", "norm"):  # Frobenius for a matrix, the length of a vector
            return float(abs(a)) if np.ndim(a) == 0 else float(np.linalg.norm(a))
        if fn == "norm2":  # ‖·‖_2: the spectral norm of a matrix, the length of a vector
            return float(abs(a)) if np.ndim(a) == 0 else float(np.linalg.norm(a, 2))
        if fn == "transpose":
            return a.T if isinstance(a, np.ndarray) else a
        if fn == "tr":
            return float(a) if np.ndim(a) == 0 else float(np.trace(a))
        if fn == "det":
            return float(a) if np.ndim(a) == 0 else float(np.linalg.det(a))
        if fn == "inv":
            if isinstance(a, Eye):
                return Eye(1.0 / a.c) if a.c != 0 else _raise()
            if np.ndim(a) == 0:
                return 1.0 / a if a != 0 else _raise()
            try:
                out = np.linalg.inv(a)
            except np.linalg.LinAlgError:
                raise _Undefined() from None
            if np.linalg.cond(a) > 1e10:
                raise _Undefined()
            return out
        raise _Undefined()

    # -- comparison --------------------------------------------------------------------------
    def compare(self, student: N.Node, reference: N.Node, *, seed_text: str, rtol: float,
                atol: float, samples: int, orientation: str = "any", hints: bool = True) -> Outcome:
        """Whether ``student`` equals ``reference`` on random instances seeded by ``seed_text`` (deterministic);
        a shape mismatch (other than a transposed vector when ``orientation`` is "any") fails first."""
        if student == reference:  # the same formula (spans aside): nothing to evaluate
            return Outcome(True)
        s_shape, r_shape = self.shape(student), self.shape(reference)
        if s_shape != r_shape:
            transposed = _is_vector(r_shape) and s_shape == (r_shape[1], r_shape[0])
            if not (orientation == "any" and transposed):  # values are compared flattened
                theirs = "" if not hints else f", but the answer is {show(r_shape)}"
                return Outcome(False, f"wrong shape: your formula is {show(s_shape)}{theirs}")
        points = self._reference_points(reference, seed_text, samples)
        if len(points) < min(2, samples):
            return Outcome(False, "could not be checked: the expected formula is undefined on most "
                                  "random instances (tell your instructor)")
        # Instance by instance, stopping at the first that tells them apart: a wrong formula (and
        # each anticipated mistake it is not) is usually settled by one evaluation.
        pairs = []
        for env, r in points:
            s = self._student_value(student, env)
            if s is _UNDEFINED:
                return Outcome(False, UNDEFINED_THERE)
            pairs.append((s, r))
            if not _close(s, r, rtol, atol):
                break
        else:
            return Outcome(True)
        hint = ""
        if hints and _hint(pairs[-1:], rtol):  # a constant factor must hold at every instance
            for env, r in points[len(pairs):]:
                s = self._student_value(student, env)
                if s is _UNDEFINED:
                    return Outcome(False, UNDEFINED_THERE)
                pairs.append((s, r))
            hint = _hint(pairs, rtol)
        return Outcome(False, "not equivalent to the expected answer" + (f" ({hint})" if hint else ""))

    def _student_value(self, student: N.Node, env: dict):
        """The student's formula at an instance, flattened: computed once per instance, as the
        reference and every anticipated mistake of a part share the part's instances."""
        value = self._values.get(student, id(env))
        if value is None:
            try:
                value = np.ravel(np.asarray(self.evaluate(student, env), float))
            except _Undefined:
                value = _UNDEFINED
            self._values.put(student, value, id(env), hold=(env,))
        return value

    def _instance(self, seed_text: str, i: int) -> dict:
        """The i-th random instance of a part (seeded by the part): the reference, the mistakes
        and every student's formula are evaluated on the same instances."""
        drawn = self._instances.get(seed_text)
        if drawn is None:
            drawn = self._instances[seed_text] = ([], random.Random(seed_for(seed_text, "instances")))
        envs, rng = drawn
        while len(envs) <= i:
            envs.append(self.instance(rng))
        return envs[i]

    def _reference_points(self, reference: N.Node, seed_text: str, samples: int) -> list:
        """The first `samples` instances of the part where the reference is defined, with its
        value there: found once per reference, as every student's formula is checked there."""
        points = self._points.get(reference, seed_text, samples)
        if points is not None:
            return points
        points = []
        for i in range(samples * 6):
            env = self._instance(seed_text, i)
            try:
                r = self.evaluate(reference, env)
            except _Undefined:
                continue
            points.append((env, np.ravel(np.asarray(r, float))))
            if len(points) == samples:
                break
        return self._points.put(reference, points, seed_text, samples)


def _psd_power(a, k: float):
    """A real power of a symmetric positive semi-definite matrix (P^{1/2}, sqrt(P), P^{-1/2});
    undefined for any other matrix, whose square root is not the one the formula means."""
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    if a.shape[0] != a.shape[1] or np.max(np.abs(a - a.T)) > 1e-9 * max(scale, 1.0):
        raise _Undefined()
    vals, vecs = np.linalg.eigh((a + a.T) / 2)
    if np.min(vals) < -1e-9 * max(scale, 1.0) or (k < 0 and np.min(vals) <= 1e-12 * max(scale, 1.0)):
        raise _Undefined()
    vals = np.clip(vals, 0.0, None)
    return (vecs * vals ** k) @ vecs.T


_UNDEFINED = object()
UNDEFINED_THERE = ("not equivalent to the expected answer: your formula is undefined (a singular "
                   "inverse, a log of a negative...) where the answer is defined")


def _raise():
    raise _Undefined()


def _is_vector(shape: tuple) -> bool:
    return len(shape) == 2 and "1" in shape


def _close(s: np.ndarray, r: np.ndarray, rtol: float, atol: float) -> bool:
    # (ndarray.max rather than np.max: the same reduction, without np.max's Python wrapper)
    scale = float(np.abs(r).max()) if r.size else 0.0  # the tolerance of the largest entry
    return bool(np.abs(s - r).max() <= allowed_error(scale, rtol, atol))


def _hint(pairs, rtol: float) -> str:
    loose = max(rtol * 10, 1e-6)
    factors = []
    for s, r in pairs:
        rr = float(r @ r)
        if rr == 0:
            return ""
        c = float(s @ r) / rr
        if np.abs(s - c * r).max() > loose * np.abs(r).max():
            return ""
        factors.append(c)
    c = factors[0]
    if all(abs(f - c) <= loose * max(1.0, abs(c)) for f in factors):
        if abs(c + 1) <= loose:
            return "it differs from the answer by its sign"
        if c != 0:
            return factor_hint(c)
    return ""


def _draw_dims(dims: dict, rng: random.Random) -> dict:
    """Distinct values where the ranges allow, so that n×d never passes for d×n."""
    best = None
    for _ in range(30):
        drawn = {d: rng.randint(lo, hi) for d, (lo, hi) in dims.items()}
        if len(set(drawn.values())) == len(drawn):
            return drawn
        best = best or drawn
    return best or {}


def _draw_var(var: Var, sizes: dict, rng: random.Random):
    if not var.shape:
        return var.domain.draw(rng)
    dims = [sizes[s] if s in sizes else int(s) for s in var.shape]
    shape = (dims[0], 1) if len(dims) == 1 else (dims[0], dims[1])
    gen = np.random.default_rng(rng.getrandbits(63))
    a = gen.standard_normal(shape)
    if var.structure == "symmetric":
        a = (a + a.T) / 2
    elif var.structure == "spd":
        a = a @ a.T / shape[0] + np.eye(shape[0])
    elif var.structure == "diagonal":
        a = np.diag(np.diag(a))
    if var.domain.kind in ("positive", "nonnegative") and var.structure != "spd":
        a = np.abs(a) + (0.1 if var.domain.kind == "positive" else 0.0)  # as declared: P = diag(p_i), p_i > 0
        if var.structure == "diagonal":
            a = np.diag(np.diag(a))
    return a
