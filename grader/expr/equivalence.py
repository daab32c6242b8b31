"""Are two scalar formulas the same function on the declared domains?

Numbers first: the formulas are evaluated at random points of the domains, seeded from the
part id (the reference, its anticipated mistakes and every student's formula share the points)
so every run gives the same verdict. Values that differ by more than
the tolerance and than float round-off could explain prove the formulas differ, so most wrong
answers are rejected without importing sympy. Only when sampling cannot decide alone (the values
agree only nearly, the student's formula is undefined at a point, or too few points are valid)
does sympy try an exact proof (expand / cancel, then ``simplify`` under a timer for near
misses); what it cannot prove, the sampling verdict decides. Values that agree everywhere are
accepted at once: sympy can only prove equality, so asking it would not change the verdict.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import random
from dataclasses import dataclass

from grader.expr import nodes as N
from grader.expr.limits import (
    SYMBOLIC_MAX_DEGREE, SYMBOLIC_MAX_NODES, SYMBOLIC_MAX_POWER, SYMBOLIC_SECONDS,
)
from grader.expr.numeric import constant_value, evaluate
from grader.expr.rounding import error_bound
from grader.expr.symbols import SymbolTable
from grader.expr.memo import TableMemo, memo_of
from grader.numbers import within
from grader.timelimit import budget_left


@dataclass(frozen=True)
class Outcome:
    """A comparison verdict and, when not equal, the reason shown to the student."""
    equal: bool
    message: str = ""


def seed_for(*parts: str) -> int:
    """A stable 64-bit seed from text (sha256, not hash()): the same inputs draw the same points in every run."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def equivalent(student: N.Node, reference: N.Node, table: SymbolTable, *, seed_text: str,
               rtol: float = 1e-6, atol: float = 1e-10, samples: int = 8,
               symbolic: bool = True, hints: bool = True) -> Outcome:
    """Same verdicts as "exact sympy proof first, then sampling" but sympy runs only where it
    could change the verdict: never to reject, never to confirm values that already agree."""
    if student == reference:
        return Outcome(True)
    outcome, near, refuted = _sample_compare(student, reference, table, seed_text=seed_text,
                                             rtol=rtol, atol=atol, samples=samples, hints=hints)
    if outcome.equal or refuted:
        return outcome
    # sympy's slow ``simplify`` only rescues near misses (values agreeing to about 1e-3)
    if symbolic and symbolic_equal(student, reference, table, thorough=near):
        return Outcome(True)
    return outcome


# -- numeric sampling ------------------------------------------------------------------------
def sample_points(reference: N.Node, table: SymbolTable, seed_text: str, samples: int) -> list[dict]:
    """Up to ``samples`` points of the domains where the reference is defined and finite."""
    return [env for env, _ in _reference_samples(reference, table, seed_text, samples)]


def _reference_samples(reference: N.Node, table: SymbolTable, seed_text: str,
                       samples: int) -> list[tuple[dict, float]]:
    """The sample points with the reference's value there. Drawn once per reference object:
    every student's formula for a part is checked at the same points."""
    memo = memo_of(table)
    points = memo.samples.get(reference, seed_text, samples)
    if points is not None:
        return points
    points = []
    for i in range(samples * 25):
        env = _point(table, seed_text, i)
        value = evaluate(reference, env)
        if math.isfinite(value):
            points.append((env, value))
            if len(points) == samples:
                break
    return memo.samples.put(reference, points, seed_text, samples)


def _point(table: SymbolTable, seed_text: str, i: int) -> dict:
    """The i-th random point of a part's domains (seeded by the part): the reference, every
    anticipated mistake and every student's formula are evaluated at the same points."""
    points = memo_of(table).points
    drawn = points.get(seed_text)
    if drawn is None:
        drawn = points[seed_text] = ([], random.Random(seed_for(seed_text, "points")))
    envs, rng = drawn
    scalars = table.scalar_vars()
    while len(envs) <= i:
        envs.append({v.name: v.domain.draw(rng) for v in scalars})
    return envs[i]


def _student_at(student: N.Node, env: dict, memo: TableMemo) -> float:
    """A student's formula at a point, once per point (shared by the reference and the mistakes)."""
    value = memo.values.get(student, id(env))
    if value is None:
        value = memo.values.put(student, evaluate(student, env), id(env), hold=(env,))
    return value




def _sample_compare(student: N.Node, reference: N.Node, table: SymbolTable, *, seed_text: str,
                    rtol: float, atol: float, samples: int, hints: bool) -> tuple[Outcome, bool, bool]:
    """The verdict of sampling, whether the values were nearly equal everywhere, and whether
    they prove the formulas differ (a point where both are defined and clearly disagree)."""
    samples_at = _reference_samples(reference, table, seed_text, samples)
    memo = memo_of(table)
    points = [env for env, _ in samples_at]
    if len(points) < max(2, samples // 2):
        return Outcome(False, "could not be checked: the expected formula is undefined on most "
                              "of the declared domain (tell your instructor)"), True, False
    pairs, undefined = [], None
    for env, r in samples_at:
        s = _student_at(student, env, memo)
        if not math.isfinite(s):
            undefined = undefined or env
        pairs.append((s, r))
    if undefined is None and all(within(s, r, rtol, atol) for s, r in pairs):
        return Outcome(True), True, False
    refuted = _refuted(student, reference, points, pairs, rtol, atol, memo)
    message = "not equivalent to the expected answer"
    if undefined is not None:
        used = N.symbols(student) | N.symbols(reference)
        where = ", ".join(f"{k} = {v:.4g}" for k, v in undefined.items() if k in used)
        return Outcome(False, f"{message}: your formula is undefined at {where}, where the answer "
                              "is defined"), True, refuted
    near = all(abs(s - r) <= 1e-3 * (abs(r) + atol) for s, r in pairs)
    hint = _hint(pairs, rtol, atol) if hints else ""
    return Outcome(False, message + (f" ({hint})" if hint else "")), near, refuted


def _refuted(student: N.Node, reference: N.Node, points: list[dict],
             pairs: list[tuple[float, float]], rtol: float, atol: float, memo: TableMemo) -> bool:
    """A point where both formulas are defined and their exact values differ beyond the
    tolerance: the gap must exceed what round-off could account for. Points where the
    student's formula is undefined prove nothing here (sympy may still show it equal)."""
    for env, (s, r) in zip(points, pairs):
        if not math.isfinite(s):
            continue
        if within(s, r, rtol, atol):
            continue
        if abs(s - r) > _bound_at(student, env, memo) + _bound_at(reference, env, memo):
            return True
    return False


def _bound_at(node: N.Node, env: dict, memo: TableMemo) -> float:
    """error_bound once per (formula, point): the points are shared by a part's formulas."""
    bound = memo.bounds.get(node, id(env))
    if bound is None:
        bound = memo.bounds.put(node, error_bound(node, env), id(env), hold=(env,))
    return bound


def _hint(pairs: list[tuple[float, float]], rtol: float, atol: float) -> str:
    """Name a constant factor, sign or offset between the two: a strong clue, never the answer."""
    loose = max(rtol * 10, 1e-6)
    ratios = [s / r for s, r in pairs if r != 0 and abs(r) > atol]
    if len(ratios) == len(pairs) and ratios and all(abs(q - ratios[0]) <= loose * abs(ratios[0]) for q in ratios):
        c = ratios[0]
        if abs(c + 1) <= loose:
            return "it differs from the answer by its sign"
        if c != 0:
            from grader.expr.hints import factor_hint

            return factor_hint(c)
    diffs = [s - r for s, r in pairs]
    scale = max(abs(r) for _, r in pairs) or 1.0
    if all(abs(d - diffs[0]) <= loose * scale for d in diffs):
        return f"it is off by a constant of about {diffs[0]:.4g}"
    return ""


# -- symbolic ------------------------------------------------------------------------------
def symbolic_equal(student: N.Node, reference: N.Node, table: SymbolTable, thorough: bool = True) -> bool:
    """True when sympy proves the difference is 0 within the budget; False means 'not proved'.

    ``thorough`` adds ``simplify`` (small formulas only, and only under a timer). The time comes
    out of the budget of the answer being graded (timelimit.answer_budget), shared by every
    comparison of that answer (tiers, anticipated mistakes, carried-forward errors); a proof
    already settled for the same two formulas is not attempted again."""
    if N.size(student) + N.size(reference) > SYMBOLIC_MAX_NODES:
        return False
    proved_memo = memo_of(table).proved
    known = proved_memo.get(student, id(reference), thorough)
    if known is not None:
        return known
    _import_sympy()
    seconds = budget_left(SYMBOLIC_SECONDS)
    if seconds < MIN_SYMBOLIC_SECONDS:  # this answer's budget is spent: the numbers decide
        return False
    settled, proved = _symbolic(student, reference, table, thorough, seconds)
    if settled:  # a time-out is not a verdict: never remembered
        proved_memo.put(student, proved, id(reference), thorough, hold=(reference,))
    return proved


MIN_SYMBOLIC_SECONDS = 0.05


def _import_sympy() -> None:
    """Import sympy outside any answer's budget: a loaded machine takes more than a second."""
    import sys
    import time

    if "grader.expr.to_sympy" in sys.modules:
        return
    from grader.timelimit import extend_budget

    start = time.monotonic()
    import sympy  # noqa: F401

    import grader.expr.to_sympy  # noqa: F401
    extend_budget(time.monotonic() - start)



def _symbolic(student: N.Node, reference: N.Node, table: SymbolTable, thorough: bool,
              seconds: float) -> tuple[bool, bool]:
    """(whether sympy finished, whether it proved the difference 0)."""
    from grader.timelimit import TimeLimit

    expandable = max(_degree(student), _degree(reference)) <= SYMBOLIC_MAX_DEGREE
    try:
        return True, _sympy_zero(student, reference, table, thorough, expandable, seconds)
    except TimeLimit:
        return False, False
    except Exception:  # noqa: BLE001 - sympy may raise anything; the numbers decide
        return True, False


def _sympy_zero(student: N.Node, reference: N.Node, table: SymbolTable, thorough: bool,
                expandable: bool, seconds: float) -> bool:
    with time_budget(seconds) as timed:
        import sympy as sp

        from grader.expr.to_sympy import symbol_map, to_sympy

        syms = symbol_map(table)
        diff = to_sympy(student, syms) - to_sympy(reference, syms)
        if diff == 0:
            return True
        if not expandable:
            return False
        diff = sp.expand(diff)
        if diff == 0:
            return True
        if sp.cancel(sp.together(diff)) == 0:
            return True
        if thorough and timed and sp.count_ops(diff) <= 40:
            return sp.simplify(diff) == 0
        return False


def _degree(node: N.Node) -> float:
    """A bound on the polynomial degree expanding would produce (function calls count as 1)."""
    if isinstance(node, (N.Num, N.Const)):
        return 0
    if isinstance(node, N.Neg):
        return _degree(node.arg)
    if isinstance(node, N.Bin):
        a, b = _degree(node.left), _degree(node.right)
        return max(a, b) if node.op in "+-" else a + b
    if isinstance(node, N.Pow):
        k = constant_value(node.exp)
        base = _degree(node.base)
        if base == 0 and k is not None:
            return 0  # a number (its size was bounded when parsing)
        if k is None:
            return base + 1
        if abs(k) > SYMBOLIC_MAX_POWER:
            return math.inf
        return base * max(1.0, abs(k))
    if isinstance(node, N.Call):
        return 1 + sum(_degree(a) for a in node.args)
    return 1


@contextlib.contextmanager
def time_budget(seconds: float):
    """Interrupt the block after ``seconds`` where a timer is available; yields whether it is
    timed, so callers skip costly steps if not. Nests with the batch's per-student limit."""
    from grader.timelimit import available, time_limit

    if not available():
        yield False
        return
    with time_limit(seconds):
        yield True
