"""Multiple choice: one option, by label; several options may be accepted as right."""

from __future__ import annotations

from typing import Any

from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, register
from grader.types.labels import check_choices, choices, pick


@register
class SingleChoice(AnswerType):
    """One option picked by its label (or its text); options may carry points and feedback, so
    a near-miss option can earn part of the credit."""
    name = "choice"
    selects = "one"
    sheet = "options"
    public_options = frozenset({"options", "case_sensitive"})
    summary = "one option label, e.g. \"B\""
    needs_answer = False
    options = {
        "options": Option("list", None, "[{label, text, points?, correct?, feedback?, accept?}]; "
                                         "accept: phrases that choose the option in the student's own words"),
        "case_sensitive": Option("boolean", False, "labels and texts are matched with their case"),
    }

    def parse(self, raw: Any, ctx: PartContext) -> str:
        """One option, chosen by label, text or an ``accept`` phrase; a one-element list is accepted too."""
        if isinstance(raw, list):
            if len(raw) != 1:
                raise Invalid(f"expected one option, got {len(raw)}: choose a single label")
            raw = raw[0]
        return pick(raw, ctx, choices(ctx))

    def expected(self, value: Any, ctx: PartContext) -> dict[str, float]:
        """label -> credit fraction: from per-option points, `correct` flags, or answer.value."""
        opts = choices(ctx)
        points = ctx.extra.get("points") or 0.0
        if any(o.points is not None for o in opts):
            if points <= 0:
                best = max((o.points or 0.0) for o in opts) or 1.0
                return {o.label: (o.points or 0.0) / best for o in opts}
            return {o.label: (o.points or 0.0) / points for o in opts}
        right = [o.label for o in opts if o.correct]
        if value is not None:
            values = value if isinstance(value, list) else [value]
            right = [pick(v, ctx, opts) for v in values]
        return {o.label: (1.0 if o.label in right else 0.0) for o in opts}

    def compare(self, got: str, expected: dict[str, float], ctx: PartContext) -> Verdict:
        """The chosen option's credit, clamped to [0, 1] (negative points floor at 0), with its feedback text."""
        credit = expected.get(got, 0.0)
        fraction = max(0.0, min(1.0, credit))
        option = next((o for o in choices(ctx) if o.label == got), None)
        note = f" {option.feedback}" if option and option.feedback else ""
        if fraction >= 1:
            return Verdict(1.0, f"{got} is correct.{note}")
        if credit < 0:
            return Verdict(0.0, f"{got} is wrong (it scores {credit * (ctx.extra.get('points') or 1):g} "
                                f"points, floored at 0 for this question).{note}")
        if fraction > 0:
            return Verdict(fraction, f"{got} earns partial credit.{note}")
        return Verdict(0.0, f"{got} is not correct.{note}")

    def show(self, value, ctx: PartContext) -> str:
        """For a reference (label -> credit), the fully right labels; for an answer, its label."""
        if isinstance(value, dict):
            return ", ".join(k for k, v in value.items() if v >= 1) or "(no fully right option)"
        return str(value)

    def to_data(self, value, ctx: PartContext) -> Any:
        """For a reference, the list of fully right labels; an answer is its label already."""
        if isinstance(value, dict):
            return [k for k, v in value.items() if v >= 1]
        return value

    def example(self, expected, ctx: PartContext) -> Any:
        """The first fully right label (for validate and self-checks)."""
        return next((k for k, v in expected.items() if v >= 1), None)

    def describe(self, ctx: PartContext) -> str:
        """The option labels a student may answer with."""
        return "one option label: " + ", ".join(o.label for o in choices(ctx))

    def check_spec(self, ctx: PartContext) -> list[str]:
        """The options must be valid, one must be marked right, and the best option's points must equal the part's."""
        problems = check_choices(ctx)
        if problems:
            return problems
        opts = choices(ctx)
        if not any(o.points is not None or o.correct for o in opts) and ctx.answer.get("value") is None:
            problems.append("say which option is right: answer.value, `correct: true` or per-option points")
        points = ctx.extra.get("points")
        if points and any(o.points is not None for o in opts):
            top = max(o.points or 0.0 for o in opts)
            if abs(top - points) > 1e-9:
                problems.append(f"the best option scores {top:g} points but the part is worth {points:g}")
        return problems
