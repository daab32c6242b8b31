"""Short text answers ('O(t)', 'max pooling'): the accepted phrase said in the student's own
sentence ('This is an edge detector' says 'edge detector'), or a regular expression."""

from __future__ import annotations

import json
import re
from typing import Any

from grader.expr.values import math_segment, plain_text
from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, describe_value, register
from grader.types.readings import remembered

MAX_TEXT = 10_000


def normalize(text: str, ctx: PartContext) -> str:
    """Text as compared: white space collapsed (or removed), stripped and case-folded as the part
    says, so spelling of spaces and case does not decide a grade unless the spec wants it to."""
    text = " ".join(text.split())
    if ctx.opt("ignore_spaces"):
        text = text.replace(" ", "")
    if ctx.opt("strip"):
        text = text.strip(ctx.opt("strip"))
    return text if ctx.opt("case_sensitive") else text.casefold()


NEGATIONS = {"not", "no", "never", "neither", "nor", "cannot", "without", "isnt", "doesnt", "dont", "arent",
             "wont", "cant", "wasnt", "isn", "doesn", "don", "aren", "won", "wasn"}
# words that hedge or contrast: "edges or blobs", "not X but Y" -- a phrase inside them proves nothing
HEDGES = {"or", "but", "instead", "rather", "wrong", "incorrect", "either", "vs", "versus", "unless", "except"}
ARTICLES = {"a", "an", "the"}
_WORD = re.compile(r"[^\W_]+")
_LABELLED = re.compile(r"\s*[A-Za-z][\w \-]{0,38}:\s*(\S.*)$", re.S)  # "Back-propagation: $O(t)$"


def words(text: str, ctx: PartContext) -> list[str]:
    """Lower-case words without punctuation or articles, plurals made singular, synonyms mapped."""
    text = text if ctx.opt("case_sensitive") else text.casefold()
    text = text.replace("'", "").replace("’", "")
    out = []
    mapping = {}
    for canonical, others in (ctx.opt("synonyms") or {}).items():
        for other in [canonical] + list(others or []):
            mapping[_stem(str(other).casefold())] = _stem(str(canonical).casefold())
    for w in _WORD.findall(text):
        if w in ARTICLES:
            continue
        w = _stem(w)
        out.append(mapping.get(w, w))
    return out


def _stem(w: str) -> str:
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


_PHRASE = re.compile(r"[^\W\d_]+(?:[\s'’-]+[^\W\d_]+)*")


def says(answer: str, phrase: str, ctx: PartContext) -> bool:
    """Whether ``answer`` contains ``phrase`` as whole words and does not negate it."""
    return _says(words(answer, ctx), phrase, ctx)


def _says(have: list[str], phrase: str, ctx: PartContext, how: tuple | None = None) -> bool:
    """says(), given the answer's words (an answer is checked against every accepted phrase)."""
    if not _PHRASE.fullmatch(phrase.strip()):
        return False  # 'O(t^2)', 'x > 0': symbols matter, only the exact answer matches
    want = words(phrase, ctx) if how is None else _words(phrase, ctx, how)
    if not want or len(have) > 60:
        return False
    for guard in (NEGATIONS, HEDGES):
        if any(w in guard for w in have) and not any(w in guard for w in want):
            return False
    n = len(want)
    return any(have[i:i + n] == want for i in range(len(have) - n + 1))


def _reading_options(ctx: PartContext) -> tuple:
    """The options normalize() and words() read: with the text, what their result depends on."""
    synonyms = ctx.opt("synonyms")
    return (bool(ctx.opt("case_sensitive")), bool(ctx.opt("ignore_spaces")), ctx.opt("strip"),
            json.dumps(synonyms, sort_keys=True, default=str) if synonyms else None)


def _words(text: str, ctx: PartContext, how: tuple) -> list[str]:
    """words(), remembered by the grading session (`how`: _reading_options(ctx)); never changed."""
    return remembered(ctx, ("text words", text, how), lambda: words(text, ctx))


def _normalized(text: str, ctx: PartContext, how: tuple) -> str:
    """normalize(), remembered by the grading session (an accepted phrase is normalized once)."""
    return remembered(ctx, ("text normalized", text, how), lambda: normalize(text, ctx))


def _forms(got: str, ctx: PartContext) -> tuple[str, ...]:
    """The normalized forms an answer is matched by: as written, as plain text, the last math
    segment, the text after a label."""
    forms = [normalize(got, ctx), normalize(plain_text(got), ctx)]
    # as written in a sheet: "$\\mathcal{O}(t)$", "Forward propagation: $O(1)$" (the last
    # math segment is the answer when prose surrounds it)
    if "$" in got and len(got) <= 100_000:
        forms.append(normalize(plain_text(math_segment(got)), ctx))
    labelled = _LABELLED.match(plain_text(got[:100_000]))
    if labelled and not set(words(labelled.string[:labelled.start(1)], ctx)) & (NEGATIONS | HEDGES):
        # "Back-propagation: $O(t)$" as the seed students label answers ("Not: O(t)" says nothing)
        forms.append(normalize(labelled.group(1), ctx))
    return tuple(forms)


@register
class Text(AnswerType):
    """A short text matched against accepted answers (or a regex), with synonyms; by default an
    accepted phrase inside the student's sentence counts too."""
    name = "text"
    prose = True
    formula_like = True  # a phrase of the prose may be an accepted text
    public_options = frozenset({"case_sensitive", "ignore_spaces", "strip"})
    summary = "a short text"
    options = {
        "accept": Option("list", None, "other accepted answers besides answer.value"),
        "regex": Option("string", None, "a regular expression the whole (normalized) answer must match"),
        "case_sensitive": Option("boolean", False, "compare with case"),
        "ignore_spaces": Option("boolean", False, "remove all spaces before comparing"),
        "strip": Option("string", None, "characters removed from both ends, e.g. '.$'"),
        "match": Option("enum", "phrase", "phrase: an accepted answer (or a mistake's value) also matches when "
                        "the student's sentence contains it as whole words, and does not negate it ('This is an "
                        "edge detector' says 'edge detector'); exact: the whole answer must be it",
                        choices=("phrase", "exact")),
        "synonyms": Option("mapping", None, "{word: [other words meaning the same]}, e.g. {filter: [kernel]}"),
    }
    needs_answer = False

    def parse(self, raw: Any, ctx: PartContext) -> str:
        """A short non-empty text (numbers become text); the size cap keeps hostile input cheap to compare."""
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
        """Every accepted phrase: answer.value(s) and the ``accept`` list."""
        values = [] if value is None else (value if isinstance(value, list) else [value])
        return [str(v) for v in values] + [str(v) for v in ctx.opt("accept") or []]

    def compare(self, got: str, expected: list[str], ctx: PartContext) -> Verdict:
        """Right when a normalized form of the answer (plain text, its last math segment, or the text after a label)
        equals an accepted phrase, says one (phrase matching), or fits ``regex``."""
        how = _reading_options(ctx)  # an answer is compared with its reference, tiers and mistakes:
        forms = remembered(ctx, ("text forms", got, how), lambda: _forms(got, ctx))  # read it once
        if any(_normalized(e, ctx, how) in forms for e in expected):
            return Verdict(1.0, f"{got.strip()[:80]!r} is correct")
        if ctx.opt("match") != "exact":
            have = _words(got, ctx, how)
            said = [e for e in expected if _says(have, e, ctx, how)]
            if said:
                longest = max(said, key=lambda e: len(_words(e, ctx, how)))
                return Verdict(1.0, f"{got.strip()[:80]!r} is correct", loose=True, matched=longest)
        pattern = ctx.opt("regex")
        if pattern:
            flags = 0 if ctx.opt("case_sensitive") else re.IGNORECASE
            if any(re.fullmatch(pattern, form, flags) for form in forms):
                return Verdict(1.0, f"{got.strip()[:80]!r} is correct")
        shown = "" if ctx.hidden or not expected else f"; expected {expected[0]!r}"
        return Verdict(0.0, f"{got.strip()[:80]!r} is not correct{shown}")

    def example(self, expected, ctx: PartContext) -> Any:
        """The first accepted phrase (for validate and self-checks)."""
        return expected[0] if expected else None

    def show(self, value, ctx: PartContext) -> str:
        """Accepted phrases joined by "or" (the regex when there are none); an answer quoted and cut."""
        if isinstance(value, list):
            return " or ".join(repr(v) for v in value) or f"/{ctx.opt('regex')}/"
        return repr(value[:200])

    def check_spec(self, ctx: PartContext) -> list[str]:
        """The regex must compile, and there must be something to match: answer.value, accept or regex."""
        problems = []
        if ctx.opt("regex"):
            try:
                re.compile(ctx.opt("regex"))
            except re.error as exc:
                problems.append(f"regex does not compile: {exc}")
        if not ctx.answer and not ctx.opt("accept") and not ctx.opt("regex"):
            problems.append("give answer.value, accept or regex")
        return problems
