"""Short text answers ('O(t)', 'max pooling'): the accepted phrase said in the student's own
sentence ('This is an edge detector' says 'edge detector'), or a regular expression."""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

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
_GUARDED = NEGATIONS | HEDGES
ARTICLES = {"a", "an", "the"}
_WORD = re.compile(r"[^\W_]+")
_IGNORECASE = int(re.IGNORECASE)  # a plain int: re looks an enum flag up slowly, each time
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
    return _said(words(answer, ctx), _wanted(phrase, ctx))


def _wanted(phrase: str, ctx: PartContext) -> list[str] | None:
    """The words to find of an accepted phrase; None when it is not words ('O(t^2)', 'x > 0':
    symbols matter, only the exact answer matches)."""
    return words(phrase, ctx) if _PHRASE.fullmatch(phrase.strip()) else None


def _guards(ws: Iterable[str]) -> tuple[bool, bool]:
    """Whether the words negate, whether they hedge."""
    return not NEGATIONS.isdisjoint(ws), not HEDGES.isdisjoint(ws)


def _said(have: list[str], want: list[str] | None, have_guards: tuple | None = None,
          want_guards: tuple | None = None) -> bool:
    """Whether an answer's words (`have`) contain a phrase's (`want`, see _wanted) and negate or
    hedge only where the phrase does; the words' _guards when known."""
    if not want or len(have) > 60:
        return False
    (negates, hedges), (negated, hedged) = have_guards or _guards(have), want_guards or _guards(want)
    if (negates and not negated) or (hedges and not hedged):
        return False
    n = len(want)
    return any(have[i:i + n] == want for i in range(len(have) - n + 1))


def _reading_options(ctx: PartContext) -> tuple:
    """The options normalize() and words() read: with the text, what their result depends on."""
    synonyms = ctx.opt("synonyms")
    return (bool(ctx.opt("case_sensitive")), bool(ctx.opt("ignore_spaces")), ctx.opt("strip"),
            json.dumps(synonyms, sort_keys=True, default=str) if synonyms else None)


class _Answer:
    """An answer as compare() matches it, read once per grading session and reading options
    (it is compared with its reference, tiers and mistakes): its normalized forms now, its
    words and what its forms fit only when asked."""

    def __init__(self, got: str, ctx: PartContext):
        self.got = got
        self.forms = _forms(got, ctx)
        self._words: tuple | None = None
        self._fits: dict[tuple, bool] = {}

    def words(self, ctx: PartContext) -> tuple[list[str], tuple]:
        """(its words, their guards)."""
        if self._words is None:
            have = words(self.got, ctx)
            self._words = (have, _guards(have))
        return self._words

    def fits(self, pattern: str, flags: int) -> bool:
        """Whether one of its forms fits the regular expression as a whole."""
        key = (pattern, flags)
        if key not in self._fits:
            fullmatch = re.compile(pattern, flags).fullmatch
            self._fits[key] = any(fullmatch(form) for form in self.forms)
        return self._fits[key]


class _Accepted:
    """Accepted phrases as compare() matches them, read once per grading session and reading
    options: normalized now, their words (see _wanted) only when asked."""

    def __init__(self, phrases: tuple[str, ...], ctx: PartContext):
        self.phrases = phrases
        self.normalized = [normalize(e, ctx) for e in phrases]
        self._wanted: list | None = None

    def wanted(self, ctx: PartContext) -> list[tuple[str, list[str] | None, tuple]]:
        """[(phrase, its words or None, their guards)]."""
        if self._wanted is None:
            self._wanted = []
            for e in self.phrases:
                want = _wanted(e, ctx)
                self._wanted.append((e, want, _guards(want or ())))
        return self._wanted


def _forms(got: str, ctx: PartContext) -> tuple[str, ...]:
    """The normalized forms an answer is matched by: as written, as plain text, the last math
    segment, the text after a label."""
    plain = plain_text(got)
    forms = [normalize(got, ctx), normalize(plain, ctx)]
    # as written in a sheet: "$\\mathcal{O}(t)$", "Forward propagation: $O(1)$" (the last
    # math segment is the answer when prose surrounds it)
    if "$" in got and len(got) <= 100_000:
        forms.append(normalize(plain_text(math_segment(got)), ctx))
    labelled = _LABELLED.match(plain if len(got) <= 100_000 else plain_text(got[:100_000]))
    if labelled and _GUARDED.isdisjoint(words(labelled.string[:labelled.start(1)], ctx)):
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
        how = _reading_options(ctx)  # the answer and the phrases are each read once: see _Answer
        answer = remembered(ctx, ("text forms", got, how), lambda: _Answer(got, ctx))
        phrases = tuple(expected)
        accepted = remembered(ctx, ("text accepted", phrases, how), lambda: _Accepted(phrases, ctx))
        if any(e in answer.forms for e in accepted.normalized):
            return Verdict(1.0, f"{got.strip()[:80]!r} is correct")
        if ctx.opt("match") != "exact":
            have, have_guards = answer.words(ctx)
            said = [(e, want) for e, want, guards in accepted.wanted(ctx) if _said(have, want, have_guards, guards)]
            if said:
                longest = max(said, key=lambda s: len(s[1]))[0]
                return Verdict(1.0, f"{got.strip()[:80]!r} is correct", loose=True, matched=longest)
        pattern = ctx.opt("regex")
        if pattern and answer.fits(pattern, 0 if ctx.opt("case_sensitive") else _IGNORECASE):
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
