"""`matrix_expression`: a formula over declared matrices, vectors and scalars.

Shapes are checked with the dimension names (n×d), then student and reference are evaluated
with numpy on random instances whose dimensions are drawn too, seeded from the part id.
"""

from __future__ import annotations

from typing import Any

from grader.expr import ExprError, matrix_space, read
from grader.expr.memo import MAX_READ, memo_of
from grader.numbers import DEFAULT_ATOL, DEFAULT_RTOL
from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, register, short
from grader.types.expression import (
    check_reference, formula_key, formula_text, read_chain, variables_text, with_notes,
)

# Neutral symbols: an example must never be the answer of a real problem (it ships in bundles).
EXAMPLE = 'e.g. "u - c/2 * B.T @ (B @ u - v)" or "u - \\frac{c}{2} B^\\top (B u - v)"'


@register
class MatrixExpression(AnswerType):
    """A matrix formula (X^T X, inv(A) b...), equal to the reference on random instances of the
    declared shapes and dimensions."""
    name = "matrix_expression"
    formula_like = True
    sheet = "math"
    public_options = frozenset({"variables", "dims", "orientation"})
    summary = "a matrix formula, in plain text (@, .T, ') or LaTeX (X^\\top)"
    options = {
        "variables": Option("mapping", None, "name -> {shape, domain, aliases, define, structure}"),
        "dims": Option("mapping", None, "dimension names and the ranges they are drawn from, e.g. {n: [2, 6]}"),
        "rtol": Option("number", DEFAULT_RTOL, "relative tolerance (of the largest entry)", minimum=0, tier=True),
        "atol": Option("number", DEFAULT_ATOL, "absolute tolerance", minimum=0, tier=True),
        "samples": Option("integer", 4, "random instances compared", minimum=2),
        "orientation": Option("enum", "any", "accept a row vector for a column vector (any) or not (strict)",
                              choices=("any", "strict")),
        "hints": Option("boolean", True, "say when a wrong formula is off by a constant factor or sign"),
    }

    def space(self, ctx: PartContext):
        """The part's matrix variables and dimensions: shapes are checked before values."""
        return matrix_space(ctx.opt("variables"), ctx.opt("dims"), ctx.expr_cache)

    def table(self, ctx: PartContext):
        """The symbol table of the part's matrix space (see :meth:`space`)."""
        return self.space(ctx).table

    def _read(self, text: str, ctx: PartContext):
        space = self.space(ctx)
        if space.table.problems:
            raise Invalid("this part's variables are declared wrongly (tell your instructor): "
                          + "; ".join(space.table.problems))
        try:
            if "\\begin" in text:  # a matrix written by its rows x_i^T
                from grader.expr.rows import stacked_rows

                text = stacked_rows(text, space.table) or text
            formula = read(text, space.table)
            space.shape(formula.node)
        except ExprError as e:
            raise Invalid(e.message) from None
        return formula

    def parse(self, raw: Any, ctx: PartContext):
        """A matrix formula (rows stacked as ``x_i^T`` read too); its shape is checked while reading,
        and a chain is graded on its last side."""
        return read_chain(formula_text(raw, EXAMPLE), lambda t: self._read(t, ctx),
                          lambda a, b: self._same(a, b, ctx), ctx)

    def _same(self, a, b, ctx: PartContext) -> bool:
        # Students write the same few chains (eta^* = A = B) hundreds of times; the comparison is
        # a function of the space, the part (its seeded instances) and the two trees (spans
        # aside), so each pair is compared once per space. A tree is keyed by its text, which
        # prints it faithfully (see formula_key) and, unlike the tree, hashes at no cost.
        space = self.space(ctx)
        done = memo_of(space.table).same
        key = (ctx.part_id, a.text, b.text)
        equal = done.get(key)
        if equal is None:
            equal = space.compare(a.node, b.node, seed_text=ctx.part_id, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL,
                                  samples=4, hints=False).equal
            if len(done) >= MAX_READ:
                done.clear()
            done[key] = equal
        return equal

    def expected(self, value: Any, ctx: PartContext):
        """The reference formula, read like a student's; an invalid one raises Invalid saying it is the reference."""
        text = value if isinstance(value, str) else formula_text(value, EXAMPLE)
        try:
            return self._read(text, ctx)
        except Invalid as e:
            raise Invalid(f"the reference formula {short(repr(text), 80)} is invalid: {e}") from None

    def compare(self, got, expected, ctx: PartContext) -> Verdict:
        """Shapes first, then values on random instances seeded by the part id (reproducible verdicts)."""
        outcome = self.space(ctx).compare(
            got.node, expected.node, seed_text=ctx.part_id,
            rtol=float(ctx.opt("rtol") if ctx.opt("rtol") is not None else DEFAULT_RTOL),
            atol=float(ctx.opt("atol") if ctx.opt("atol") is not None else DEFAULT_ATOL),
            samples=int(ctx.opt("samples") or 4), orientation=ctx.opt("orientation") or "any",
            hints=not ctx.hidden and ctx.opt("hints") is not False)
        if outcome.equal:
            return Verdict(1.0, with_notes(f"{short(got.text, 80)} is correct", got))
        return Verdict(0.0, with_notes(f"{short(got.text, 80)}: {outcome.message}", got))

    def show(self, value: Any, ctx: PartContext) -> str:
        return short(getattr(value, "text", str(value)))

    def to_data(self, value: Any, ctx: PartContext) -> Any:
        return getattr(value, "text", value)

    def canonical_key(self, value: Any, ctx: PartContext) -> Any:
        """Formulas that print alike are graded once (see :func:`formula_key`)."""
        return formula_key(value)

    def describe(self, ctx: PartContext) -> str:
        """Each variable with its shape or definition, the dimensions, and the accepted notations."""
        space = self.space(ctx)
        table = space.table
        parts = []
        for var in table.vars.values():
            shape = "×".join(var.shape) if var.shape else "scalar"
            if var.define is not None:
                shape = f"= {var.define}"
            alias = f", also {', '.join(var.aliases)}" if var.aliases else ""
            parts.append(f"{var.name} ({shape}{alias})")
        dims = f"; dimensions {', '.join(table.dims)} may be used as numbers" if table.dims else ""
        return (f"a matrix formula in {'; '.join(parts) or variables_text(table)}{dims}. Write products "
                f"as @, * or juxtaposition, transposes as .T, ' or ^T, inv(A), norm(v) or \\|v\\|_2, "
                f"tr(A), I ({EXAMPLE})")

    def check_spec(self, ctx: PartContext) -> list[str]:
        """``variables`` is required, the symbol table must build and the reference must read."""
        if not ctx.opt("variables"):
            return ["a matrix_expression part needs `variables` (each with a shape, or a scalar domain)"]
        problems = list(self.table(ctx).problems)
        if not problems:
            problems += check_reference(self, ctx)
        return problems
