"""Tensor shapes such as [32, 128, 26, 26], with per-dimension feedback."""

from __future__ import annotations

import re
from typing import Any

from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, describe_value, register

MAX_RANK = 16


def to_shape(raw: Any) -> tuple[int, ...]:
    """[32, 128, 26, 26], "14 x 14", "$15 \\times 15$", "(10, 24, 32, 32)": each dimension is
    read by the same reader as numbers (grader.expr.values); "15 x 15" is two dimensions."""
    if isinstance(raw, str):
        from grader.expr.errors import ExprError
        from grader.expr.values import read_size

        if len(raw) > 400:
            raise Invalid("expected a shape such as [32, 128, 26, 26], got a very long text")
        try:
            raw, _ = read_size(raw)
        except ExprError as e:
            raise Invalid(f"expected a shape such as [32, 128, 26, 26], got {describe_value(raw)}: {e.message}") from None
        if not raw:
            raise Invalid("expected a shape such as [32, 128, 26, 26], got empty text")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list):
        raise Invalid(f"expected a shape such as [32, 128, 26, 26], got {describe_value(raw)}")
    if len(raw) > MAX_RANK:
        raise Invalid(f"a shape has at most {MAX_RANK} dimensions, got {len(raw)}")
    dims = []
    for i, item in enumerate(raw):
        value = item
        if isinstance(item, str) and re.fullmatch(r"\s*\d{1,12}\s*", item):
            value = int(item)
        elif isinstance(item, str) and len(item) <= 100:
            from grader.types.numeric import to_number

            try:
                value = to_number(item)
            except Invalid:
                value = item
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise Invalid(f"dimension {i + 1} must be a non-negative integer, got {describe_value(item)}")
        dims.append(value)
    return tuple(dims)


@register
class Shape(AnswerType):
    """A tensor shape ([N, C, H, W]); dimensions may be named in messages and credited one by one."""
    name = "shape"
    sheet = "math"
    public_options = frozenset({"names"})
    summary = "a shape: a list of non-negative integers such as [32, 128, 26, 26]"
    options = {
        "partial": Option("enum", "none", "per_dimension: credit is the fraction of dimensions right",
                          choices=("none", "per_dimension"), tier=True),
        "names": Option("list", None, "names of the dimensions for messages, e.g. [N, C, H, W]"),
    }

    def parse(self, raw: Any, ctx: PartContext) -> tuple[int, ...]:
        """A tuple of non-negative integers, from a list or text."""
        return to_shape(raw)

    def compare(self, got, expected, ctx: PartContext) -> Verdict:
        """Names each wrong dimension (by ``names``); per_dimension gives partial credit."""
        if got == expected:
            return Verdict(1.0, f"{list(got)} is correct")
        if len(got) != len(expected):
            return Verdict(0.0, f"expected {len(expected)} dimensions, got {len(got)}: {list(got)}")
        names = ctx.opt("names") or [f"dimension {i + 1}" for i in range(len(expected))]
        wrong = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
        parts = []
        for i in wrong:
            name = names[i] if i < len(names) else f"dimension {i + 1}"
            parts.append(f"{name} is {got[i]}" + ("" if ctx.hidden else f", expected {expected[i]}"))
        fraction = (len(expected) - len(wrong)) / len(expected) if ctx.opt("partial") == "per_dimension" else 0.0
        return Verdict(fraction, f"{list(got)}: " + "; ".join(parts))

    def show(self, value, ctx: PartContext) -> str:
        return str(list(value))

    def to_data(self, value, ctx: PartContext) -> Any:
        return list(value)

    def public_form(self, reference: Any) -> dict[str, Any]:
        """How many dimensions: the self-check tells a student who gave too few or too many."""
        return {"dimensions": len(reference)} if isinstance(reference, list) else {}
