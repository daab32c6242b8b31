"""Unordered collections of numbers or words."""

from __future__ import annotations

import re
from typing import Any

from grader.numbers import DEFAULT_ATOL, DEFAULT_RTOL, number_text, within
from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, describe_value, register
from grader.types.numeric import to_number

MAX_ITEMS = 10_000


@register
class Set(AnswerType):
    """Items in any order (words with synonyms, or numbers with a tolerance); partial credit
    (Jaccard) only when the part asks for it."""
    name = "set"
    public_options = frozenset({"case_sensitive", "numbers"})
    summary = "an unordered list of items, e.g. [\"stride\", \"dilation\"] or \"stride, dilation\""
    options = {
        "partial": Option("enum", "none", "jaccard: credit is |right| / |union|", choices=("none", "jaccard"), tier=True),
        "case_sensitive": Option("boolean", False, "compare words with their case"),
        "numbers": Option("boolean", False, "items are numbers, compared with rtol/atol"),
        "rtol": Option("number", DEFAULT_RTOL, "relative tolerance for numeric items", minimum=0, tier=True),
        "atol": Option("number", DEFAULT_ATOL, "absolute tolerance for numeric items", minimum=0, tier=True),
        "synonyms": Option("mapping", None, "{canonical item: [other spellings]}"),
    }

    def parse(self, raw: Any, ctx: PartContext) -> list:
        """A list, or text such as ``{1, 2, 3}``; words are normalized (case, spaces, synonyms) and repeats dropped."""
        if isinstance(raw, str):
            if len(raw) > 100_000:
                raise Invalid("expected a list of items, got a very long text")
            raw = _items_text(raw, bool(ctx.opt("numbers")))
        if not isinstance(raw, list):
            raise Invalid(f"expected a list of items, got {describe_value(raw)}")
        if len(raw) > MAX_ITEMS:
            raise Invalid(f"expected at most {MAX_ITEMS} items, got {len(raw)}")
        items: list = []
        for i, item in enumerate(raw):
            if ctx.opt("numbers"):
                try:
                    items.append(float(to_number(item)))
                except Invalid as exc:
                    raise Invalid(f"item {i + 1}: {exc}") from None
            elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
                items.append(self._word(str(item), ctx))
            else:
                raise Invalid(f"item {i + 1}: expected a word or a number, got {describe_value(item)}")
        return _unique(items, ctx)

    def compare(self, got: list, expected: list, ctx: PartContext) -> Verdict:
        """Order-free matching; wrong items are named, missing ones only counted (so the answer is not revealed)."""
        matched_e, matched_g = set(), set()
        for gi, g in enumerate(got):
            for ei, e in enumerate(expected):
                if ei not in matched_e and self._same(g, e, ctx):
                    matched_e.add(ei)
                    matched_g.add(gi)
                    break
        extra = [got[i] for i in range(len(got)) if i not in matched_g]
        missing = len(expected) - len(matched_e)
        if not extra and not missing:
            return Verdict(1.0, "correct: all items, nothing extra")
        parts = []
        if extra:
            parts.append("not expected: " + ", ".join(map(_show, extra[:10])))
        if missing:
            parts.append(f"{missing} expected item(s) missing")
        union = len(got) + missing
        fraction = len(matched_e) / union if ctx.opt("partial") == "jaccard" and union else 0.0
        return Verdict(fraction, "; ".join(parts))

    def _word(self, text: str, ctx: PartContext) -> str:
        word = " ".join(text.split())
        if not ctx.opt("case_sensitive"):
            word = word.lower()
        for canonical, others in (ctx.opt("synonyms") or {}).items():
            spellings = [canonical] + list(others or [])
            if not ctx.opt("case_sensitive"):
                spellings = [s.lower() for s in spellings]
            if word in spellings:
                return canonical if ctx.opt("case_sensitive") else canonical.lower()
        return word

    def expected(self, value: Any, ctx: PartContext) -> list:
        """The reference read with the same rules as an answer, so spellings normalize alike."""
        return self.parse(value, ctx)

    def _same(self, a, b, ctx: PartContext) -> bool:
        if ctx.opt("numbers"):
            return within(a, b, ctx.opt("rtol"), ctx.opt("atol"))
        return a == b

    def show(self, value, ctx: PartContext) -> str:
        return "{" + ", ".join(map(_show, value)) + "}"


def _items_text(text: str, numbers: bool) -> list:
    """'stride, dilation', '{1, 2, 3}', '$\\{\\frac{1}{2}, 2\\}$': the items, each still to be read."""
    from grader.expr.errors import ExprError
    from grader.expr.values import answer_text, split_top

    body = text.strip()
    if numbers:
        try:
            body = answer_text(body, [])
        except ExprError as e:
            raise Invalid(f"expected a list of numbers, got text that cannot be read ({e.message})") from None
    body = re.sub(r"^\s*(?:\\left\s*)?(?:\\\{|\{|\[)(.*?)(?:\\right\s*)?(?:\\\}|\}|\])\s*$", r"\1", body, flags=re.S)
    if numbers:
        return [p.strip() for p in split_top(body, re.compile(r"[,;\n]")) if p.strip()]
    return [p for p in re.split(r"\s*[,;\n]\s*", body.strip()) if p]


def _show(item) -> str:
    return number_text(item) if isinstance(item, float) else str(item)


def _unique(items: list, ctx: PartContext) -> list:
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
