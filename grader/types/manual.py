"""Proofs, drawings and open answers: recorded for a human, never scored automatically."""

from __future__ import annotations

from typing import Any

from grader.types.base import AnswerType, Option, PartContext, Verdict, register
from grader.types.readings import remembered

MAX_RECORDED = 20_000


@register
class Manual(AnswerType):
    """An answer recorded for a person with the rubric: declared by_hand, never scored here."""
    name = "manual"
    by_hand = True
    self_checkable = False
    prose = True
    sheet = "by_hand"
    summary = "free text (or a file name): graded by a person with the rubric"
    needs_answer = False
    options = {
        "rubric": Option("list", None, "[{item, points}]: the rubric for the grader of record"),
        "reference": Option("string", None, "the model answer (never shown before the due date)"),
        "alternatives": Option("boolean", False, "the rubric items are alternatives ('any two of'): "
                                              "they may add up to more than the part's points, "
                                              "and a student's score is capped at them"),
    }

    def parse(self, raw: Any, ctx: PartContext) -> Any:
        """Kept as submitted: a person reads it."""
        return raw

    def expected(self, value: Any, ctx: PartContext) -> Any:
        """No reference: a person decides (the spec's `reference` is for them, never compared)."""
        return None

    def compare(self, got: Any, expected: Any, ctx: PartContext) -> Verdict:
        """Always 0 and "recorded for manual grading"; the rubric is quoted only when not hidden (it may give the answer)."""
        lines = _rubric_text(ctx)
        if ctx.hidden:  # rubric items often spell out the answer: not before the due date
            return Verdict(0.0, "recorded for manual grading")
        return Verdict(0.0, "recorded for manual grading" + (f". Rubric: {lines}" if lines else ""))

    def show(self, value, ctx: PartContext) -> str:
        text = value if isinstance(value, str) else repr(value)
        return text if len(text) <= 200 else text[:197] + "..."

    def to_data(self, value, ctx: PartContext) -> Any:
        """The answer, cut to MAX_RECORDED characters so a huge text cannot bloat reports."""
        if isinstance(value, str) and len(value) > MAX_RECORDED:
            return value[:MAX_RECORDED] + f"... [{len(value) - MAX_RECORDED} more characters]"
        return value

    def check_spec(self, ctx: PartContext) -> list[str]:
        """Each rubric item must be ``{item, points}``; the points are checked against the part's."""
        problems = []
        total = 0.0
        for i, item in enumerate(ctx.opt("rubric") or []):
            if not isinstance(item, dict) or set(item) - {"item", "points"} or "item" not in item:
                problems.append(f"rubric item {i + 1} must be {{item: text, points: number}}")
                continue
            pts = item.get("points", 0)
            if isinstance(pts, bool) or not isinstance(pts, (int, float)):
                problems.append(f"rubric item {i + 1}: points must be a number")
            else:
                total += pts
        if problems:
            return problems
        # A rubric that cannot reach the part's points leaves every student short; one that
        # exceeds them is a typo unless its items are declared alternatives (capped).
        points = float(ctx.extra.get("points", 0) or 0)
        items = [i for i in (ctx.opt("rubric") or []) if isinstance(i, dict)]
        positive = sum(float(i.get("points", 0)) for i in items if float(i.get("points", 0)) > 0)
        for i, item in enumerate(items):
            if float(item.get("points", 0)) > points + 1e-9:
                problems.append(f"rubric item {i + 1} is worth {item.get('points'):g} points, more than "
                                f"the part's {points:g}")
        if items and positive + 1e-9 < points:
            problems.append(f"the rubric's items add up to {positive:g} points, less than the part's "
                            f"{points:g}: nobody could earn full marks")
        elif positive > points + 1e-9 and not ctx.opt("alternatives"):
            problems.append(f"the rubric's items add up to {positive:g} points, more than the part's "
                            f"{points:g} (set `alternatives: true` if they are alternatives, capped at "
                            f"the part's points)")
        return problems


def _rubric_text(ctx: PartContext) -> str:
    """The part's rubric items in one line, made once per session for its rubric: the same list
    for every student (a spec is not changed while it is graded, as the engine's memos assume
    too), remembered by identity with the list itself kept, so its id cannot be another's."""
    items = ctx.opt("rubric")
    if not items:
        return ""
    return remembered(ctx, ("manual rubric", id(items)), lambda: (items, "; ".join(
        f"{i.get('item', '')} ({i.get('points', 0):g} pt)" for i in items if isinstance(i, dict))))[1]
