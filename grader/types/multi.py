"""Multiple response: per-option points as exam exports score them, or the usual platform schemes."""

from __future__ import annotations

from typing import Any

from grader.types.base import AnswerType, Option, PartContext, Verdict, register
from grader.types.labels import check_choices, choices, pick, picks

SCHEMES = ("per_option", "all_or_nothing", "net_correct", "coverage", "each_answer")


@register
class MultipleResponse(AnswerType):
    """Several options picked by label, scored by the part's scheme (by default the options'
    points, where negative points for wrong picks keep ticking everything from paying)."""
    name = "multi"
    selects = "many"
    sheet = "options"
    public_options = frozenset({"options", "case_sensitive"})
    summary = "a list of option labels, e.g. [\"A\", \"C\"] (an empty list selects nothing)"
    needs_answer = False
    options = {
        "options": Option("list", None, "[{label, text, points?, correct?, feedback?, accept?}]; "
                                         "accept: phrases that choose the option in the student's own words"),
        "scoring": Option("enum", "per_option", "how selections become credit", choices=SCHEMES, tier=True),
        "case_sensitive": Option("boolean", False, "labels and texts are matched with their case"),
    }

    def parse(self, raw: Any, ctx: PartContext) -> frozenset:
        """The set of chosen options (by label, text or ``accept`` phrase); order and repeats do not matter."""
        return frozenset(picks(raw, ctx, choices(ctx)))

    def expected(self, value: Any, ctx: PartContext) -> frozenset:
        """The right options: answer.value, else ``correct`` flags, else the options with positive points."""
        opts = choices(ctx)
        if value is not None:
            values = value if isinstance(value, list) else [value]
            return frozenset(pick(v, ctx, opts) for v in values)
        if any(o.correct is not None for o in opts):
            return frozenset(o.label for o in opts if o.correct)
        return frozenset(o.label for o in opts if (o.points or 0) > 0)

    def compare(self, got: frozenset, expected: frozenset, ctx: PartContext) -> Verdict:
        """Credit by the ``scoring`` scheme; the message shows the scheme's arithmetic and, unless hidden,
        how many right options were missed."""
        opts = choices(ctx)
        scheme = ctx.opt("scoring") or "per_option"
        right = len(got & expected)
        wrong = len(got - expected)
        if scheme == "per_option" and any(o.points is not None for o in opts):
            total = sum((o.points or 0.0) for o in opts if o.label in got)
            points = ctx.extra.get("points") or sum(max(o.points or 0.0, 0) for o in opts if o.label in expected) or 1.0
            fraction = max(0.0, min(1.0, total / points))
            how = f"the selected options add up to {total:g} of {points:g} points" + (
                " (floored at 0)" if total < 0 else "")
        elif scheme in ("all_or_nothing", "per_option"):
            fraction = 1.0 if got == expected else 0.0
            how = "all or nothing"
        elif scheme == "net_correct":
            fraction = max(0.0, (right - wrong) / len(expected)) if expected else float(not got)
            how = f"({right} right - {wrong} wrong) / {len(expected)} correct options"
        elif scheme == "coverage":
            fraction = (right / len(expected)) * (right / len(got)) if expected and got else float(got == expected)
            how = f"coverage {right}/{len(expected)} x precision {right}/{max(len(got), 1)}"
        else:  # each_answer: every option is a decision
            decisions = len(opts)
            missed = len(expected - got)
            fraction = max(0.0, 1 - (wrong + missed) / decisions)
            how = f"{decisions - wrong - missed} of {decisions} options decided right"
        notes = [f"{o.label}: {o.feedback}" for o in opts if o.label in got and o.feedback]
        chosen = ", ".join(sorted(got)) or "nothing"
        if fraction >= 1:
            message = f"{chosen}: correct"
        else:
            detail = []
            if wrong:
                detail.append(f"{wrong} selected option(s) should not be")
            if expected - got and not ctx.hidden:
                detail.append(f"{len(expected - got)} right option(s) not selected")
            message = f"{chosen}: " + ("; ".join(detail) or "not correct")
        message += f" [{how}]"
        if notes:
            message += " " + " ".join(notes)
        return Verdict(fraction, message)

    def show(self, value, ctx: PartContext) -> str:
        return "{" + ", ".join(sorted(value)) + "}"

    def to_data(self, value, ctx: PartContext) -> Any:
        return sorted(value)

    def describe(self, ctx: PartContext) -> str:
        """The option labels a student may choose from."""
        return "a list of option labels from: " + ", ".join(o.label for o in choices(ctx))

    def check_spec(self, ctx: PartContext) -> list[str]:
        """The options must be valid and say which are right; per-option points must add up to the part's."""
        problems = check_choices(ctx)
        if problems:
            return problems
        opts = choices(ctx)
        has_points = any(o.points is not None for o in opts)
        if not has_points and not any(o.correct for o in opts) and ctx.answer.get("value") is None:
            problems.append("say which options are right: `correct: true`, per-option points or answer.value")
        points = ctx.extra.get("points")
        if has_points and (ctx.opt("scoring") or "per_option") == "per_option" and points:
            best = sum(max(o.points or 0.0, 0.0) for o in opts)
            if best + 1e-9 < points:
                problems.append(f"selecting every positive option gives {best:g} points, less than the part's {points:g}")
        return problems
