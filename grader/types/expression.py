"""`expression`: a scalar formula in declared variables, judged by equivalence, not by form.

Student text goes through our own parser (grader.expr); sympy is imported only for the
symbolic check, and numeric sampling on the declared domains is the judge of last resort.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

# the parser is imported with the type (a grading session has imported it already, through
# grader.expr.memo): an import statement in a function runs again for every text read
from grader.expr import ExprError, read, scalar_table
from grader.expr import nodes as N
from grader.expr.values import formula_sides
from grader.numbers import DEFAULT_RTOL, FORMULA_ATOL
from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, describe_value, register, short

# Neutral symbols: an example must never be the answer of a real problem (it ships in bundles).
EXAMPLE = 'e.g. "(a-1)/(a+b)" or "\\frac{a-1}{a+b}"'
MATRIX_ONLY = "only matrix formulas use it; this part's answer is a scalar formula"


def formula_text(raw: Any, example: str = EXAMPLE) -> str:
    """The text of a submitted formula; plain numbers are formulas too."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if not math.isfinite(raw):
            raise Invalid(f"expected a formula, got {describe_value(raw)}")
        return repr(raw)
    raise Invalid(f"expected a formula written as text ({example}), got {describe_value(raw)}")


def read_chain(text: str, read_one, same, ctx: PartContext):
    """Read a formula written as a chain (``\\eta^* = A = B``, an aligned block, a leading name):
    the last side is graded; the note says so when an earlier side that reads disagrees with it.
    Sides that cannot be read (``\\nabla_{w_0} L_0``, ``\\frac{\\partial L}{\\partial \\eta}``) are
    working, not answers; a last side that cannot be read is refused, naming it."""
    try:
        sides = formula_sides(text)
    except ExprError as e:
        raise Invalid(e.message) from None
    if len(sides) == 1:
        return read_one(sides[0])
    readable, failed = [], {}
    for i, side in enumerate(sides):
        try:
            readable.append((i, read_one(side)))
        except Invalid as e:
            failed[i] = e
    last = len(sides) - 1
    if last in failed:  # the last side is the answer: it is graded even when an earlier one reads
        if len(readable) > (1 if 0 not in failed else 0):
            raise Invalid(f"the last side of your chain, {short(sides[last], 40)!r}, is the answer and "
                          f"cannot be read: {failed[last]}")
        raise failed[last]
    graded = readable[-1][1]
    notes = []
    for i, formula in readable[:-1]:
        if i == 0 and isinstance(formula.node, (N.Sym, N.Ident)):
            continue  # a leading name: "w_1 = ..."
        if not same(formula, graded):
            notes.append(f"the sides of your chain disagree ({short(formula.text, 40)!r} is not "
                         f"{short(graded.text, 40)!r}); the last one is graded")
            break
    return dataclasses.replace(graded, notes=tuple(notes)) if notes else graded


def with_notes(verdict_text: str, formula) -> str:
    """The verdict with the reader's notes (how an ambiguous formula was read) so a student sees
    why it was graded as it was."""
    notes = getattr(formula, "notes", ())
    return verdict_text + (" (" + "; ".join(notes) + ")" if notes else "")


def formula_key(value: Any) -> Any:
    """What grading a parsed formula depends on: its canonical text (it prints the AST
    faithfully: carried-forward parts read it back; a cheaper key than the tree) and any other
    field a Formula carries (notes about how it was written, say)."""
    names = _FIELDS.get(type(value))
    if names is None:
        if not dataclasses.is_dataclass(value):
            return None
        names = tuple(f.name for f in dataclasses.fields(value))
        if not isinstance(value, type):  # (a dataclass itself is not keyed by its metaclass)
            _FIELDS[type(value)] = names
    return tuple([value.text if name == "node" else getattr(value, name) for name in names])


_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass -> its fields' names (dataclasses.fields is slow)


def variables_text(table) -> str:
    """The declared variables and their aliases, for "what form the answer must take"."""
    out = []
    for var in table.vars.values():
        extra = f" (also {', '.join(var.aliases)})" if var.aliases else ""
        out.append(var.name + extra)
    return "; ".join(out)


@register
class Expression(AnswerType):
    """A scalar formula in plain text or LaTeX, equal to the reference as a function on the
    declared domains (sampling first, sympy only where sampling cannot decide)."""
    name = "expression"
    formula_like = True
    sheet = "math"
    public_options = frozenset({"variables"})
    summary = "a formula, in plain text or LaTeX"
    options = {
        "variables": Option("mapping", None, "every symbol a student may use: name -> {aliases, domain}"),
        "rtol": Option("number", DEFAULT_RTOL, "relative tolerance of the numeric check", minimum=0, tier=True),
        "atol": Option("number", FORMULA_ATOL, "absolute tolerance of the numeric check (values near 0)",
                       minimum=0, tier=True),
        "samples": Option("integer", 8, "random points of the domains the formulas are compared at", minimum=2),
        "symbolic": Option("boolean", True, "let sympy prove equal what sampling alone cannot decide"),
        "hints": Option("boolean", True, "say when a wrong formula is off by a constant factor, sign or offset"),
    }

    def table(self, ctx: PartContext):
        """The part's symbol table (variables, aliases, domains): what a formula may use."""
        return scalar_table(ctx.opt("variables"), ctx.expr_cache)

    def _read(self, text: str, ctx: PartContext):
        table = self.table(ctx)
        if table.problems:
            raise Invalid("this part's variables are declared wrongly (tell your instructor): "
                          + "; ".join(table.problems))
        try:
            formula = read(text, table)
        except ExprError as e:
            raise Invalid(e.message) from None
        for n in N.walk(formula.node):
            if isinstance(n, N.Transpose):
                raise Invalid(f"a transpose in {short(N.to_text(n), 60)}: {MATRIX_ONLY}")
            if isinstance(n, N.Bin) and n.op in "@⊙":
                raise Invalid(f"'{n.op}' is a matrix product: {MATRIX_ONLY}; use '*'")
        return formula

    def parse(self, raw: Any, ctx: PartContext):
        """A scalar formula; a chain such as ``eta^* = A = B`` is graded on its last side (see :func:`read_chain`)."""
        return read_chain(formula_text(raw), lambda t: self._read(t, ctx), lambda a, b: self._same(a, b, ctx), ctx)

    def _same(self, a, b, ctx: PartContext) -> bool:
        from grader.expr.equivalence import equivalent

        return equivalent(a.node, b.node, self.table(ctx), seed_text=ctx.part_id, rtol=DEFAULT_RTOL, atol=FORMULA_ATOL,
                          samples=8, symbolic=False, hints=False).equal

    def expected(self, value: Any, ctx: PartContext):
        """The reference formula, read like a student's; an invalid one raises Invalid saying it is the reference."""
        text = value if isinstance(value, str) else formula_text(value)
        try:
            return self._read(text, ctx)
        except Invalid as e:
            raise Invalid(f"the reference formula {short(repr(text), 80)} is invalid: {e}") from None

    def compare(self, got, expected, ctx: PartContext) -> Verdict:
        """Equivalence by exact proof or random sampling (seeded by the part id, so verdicts are reproducible)."""
        from grader.expr.equivalence import equivalent

        outcome = equivalent(
            got.node, expected.node, self.table(ctx), seed_text=ctx.part_id,
            rtol=float(ctx.opt("rtol") if ctx.opt("rtol") is not None else DEFAULT_RTOL),
            atol=float(ctx.opt("atol") if ctx.opt("atol") is not None else FORMULA_ATOL),
            samples=int(ctx.opt("samples") or 8), symbolic=ctx.opt("symbolic") is not False,
            hints=not ctx.hidden and ctx.opt("hints") is not False)
        if outcome.equal:
            return Verdict(1.0, with_notes(f"{short(got.text, 80)} is correct", got))
        return Verdict(0.0, with_notes(f"{short(got.text, 80)} is {outcome.message}", got))

    def show(self, value: Any, ctx: PartContext) -> str:
        return short(getattr(value, "text", str(value)))

    def to_data(self, value: Any, ctx: PartContext) -> Any:
        return getattr(value, "text", value)

    def canonical_key(self, value: Any, ctx: PartContext) -> Any:
        """Formulas that print alike are graded once (see :func:`formula_key`)."""
        return formula_key(value)

    def describe(self, ctx: PartContext) -> str:
        """The variables a formula may use and the accepted notations."""
        table = self.table(ctx)
        return (f"a formula in {variables_text(table) or 'no variables'}, written in plain text "
                f"(* / ^, implicit products such as 2eta) or LaTeX ({EXAMPLE[5:]})")

    def check_spec(self, ctx: PartContext) -> list[str]:
        """``variables`` is required, the symbol table must build, the reference must read, and rtol must be small."""
        if not ctx.opt("variables"):
            return ["an expression part needs `variables` (every symbol a student may use)"]
        table = self.table(ctx)
        problems = list(table.problems)
        if not problems:
            problems += check_reference(self, ctx)
        rtol = ctx.opt("rtol")
        if rtol is not None and rtol >= 0.1:
            problems.append(f"rtol {rtol:g} would accept formulas {rtol * 100:g}% off")
        return problems


def check_reference(kind: AnswerType, ctx: PartContext) -> list[str]:
    """A literal reference must parse with the part's names and be defined on the domain."""
    value = (ctx.answer or {}).get("value") if isinstance(ctx.answer, dict) else None
    if value is None:
        return []
    try:
        formula = kind.expected(value, ctx)
    except Invalid as e:
        return [str(e)]
    if kind.name == "expression":
        from grader.expr.equivalence import sample_points

        samples = int(ctx.opt("samples") or 8)
        if len(sample_points(formula.node, kind.table(ctx), ctx.part_id, samples)) < max(2, samples // 2):
            return [f"the reference formula {formula.text!r} is undefined on most of the declared "
                    "domains: narrow the domains (e.g. domain: positive)"]
    return []
