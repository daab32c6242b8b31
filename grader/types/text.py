"""Short text answers ('O(t)', 'max pooling'): normalized exact match or a regular expression."""

from __future__ import annotations

import re
from typing import Any

from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, describe_value, register
from grader.types.latex_text import final_math, strip_math

MAX_TEXT = 10_000


def normalize(text: str, ctx: PartContext) -> str:
    text = " ".join(text.split())
    if ctx.opt("ignore_spaces"):
        text = text.replace(" ", "")
    if ctx.opt("strip"):
        text = text.strip(ctx.opt("strip"))
    return text if ctx.opt("case_sensitive") else text.casefold()


@register
class Text(AnswerType):
    name = "text"
    summary = "a short text"
    options = {
        "accept": Option("list", None, "other accepted answers besides answer.value"),
        "regex": Option("string", None, "a regular expression the whole (normalized) answer must match"),
        "case_sensitive": Option("boolean", False, "compare with case"),
        "ignore_spaces": Option("boolean", False, "remove all spaces before comparing"),
        "strip": Option("string", None, "characters removed from both ends, e.g. '.$'"),
    }
    needs_answer = False

    def parse(self, raw: Any, ctx: PartContext) -> str:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str):
            raise Invalid(f"expected a short text, got {describe_value(raw)}")
        if len(raw) > MAX_TEXT:
            raise Invalid(f"expected a short text, got {len(raw)} characters (at most {MAX_TEXT})")
        if not raw.strip():
            raise Invalid("the answer is empty")
        return raw

    def expected(self, value: Any, ctx: PartContext) -> list[str]:
        values = [] if value is None else (value if isinstance(value, list) else [value])
        return [str(v) for v in values] + [str(v) for v in ctx.opt("accept") or []]

    def compare(self, got: str, expected: list[str], ctx: PartContext) -> Verdict:
        mine = normalize(got, ctx)
        # as written in a sheet: "$\\mathcal{O}(t)$", "Forward propagation: $O(1)$" (the last
        # math segment is the answer when prose surrounds it)
        forms = [mine, normalize(strip_math(got), ctx)]
        if "$" in got and len(got) <= 100_000:
            forms.append(normalize(strip_math(final_math(got)), ctx))
        labelled = re.match(r"\s*[A-Za-z][\w \-]{0,38}:\s*(\S.*)$", strip_math(got[:100_000]), re.S)
        if labelled:  # "Back-propagation: $O(t)$ because ..." as the seed students label answers
            forms.append(normalize(labelled.group(1), ctx))
        if any(normalize(e, ctx) in forms for e in expected):
            return Verdict(1.0, f"{got.strip()[:80]!r} is correct")
        pattern = ctx.opt("regex")
        if pattern:
            flags = 0 if ctx.opt("case_sensitive") else re.IGNORECASE
            if any(re.fullmatch(pattern, form, flags) for form in forms):
                return Verdict(1.0, f"{got.strip()[:80]!r} is correct")
        shown = "" if ctx.hidden or not expected else f"; expected {expected[0]!r}"
        return Verdict(0.0, f"{got.strip()[:80]!r} is not correct{shown}")

    def example(self, expected, ctx: PartContext) -> Any:
        return expected[0] if expected else None

    def show(self, value, ctx: PartContext) -> str:
        if isinstance(value, list):
            return " or ".join(repr(v) for v in value) or f"/{ctx.opt('regex')}/"
        return repr(value[:200])

    def check_spec(self, ctx: PartContext) -> list[str]:
        problems = []
        if ctx.opt("regex"):
            try:
                re.compile(ctx.opt("regex"))
            except re.error as exc:
                problems.append(f"regex does not compile: {exc}")
        if not ctx.answer and not ctx.opt("accept") and not ctx.opt("regex"):
            problems.append("give answer.value, accept or regex")
        return problems
