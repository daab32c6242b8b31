"""Options of choice and multi parts: reading the spec's option list and the student's picks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from grader.expr.values import plain_text
from grader.types.base import Invalid, PartContext, describe_value

OPTION_KEYS = {"label", "text", "points", "correct", "feedback", "accept"}


@dataclass(frozen=True)
class Choice:
    """One option of a choice or multi part, as the spec declares it."""
    label: str
    text: str = ""
    points: float | None = None
    correct: bool | None = None
    feedback: str = ""
    accept: tuple = ()  # phrases that choose this option in a student's own words (never shipped)


def choices(ctx: PartContext) -> list[Choice]:
    """The part's options (a bare label or a mapping), in the spec's order."""
    out = []
    for item in ctx.opt("options") or []:
        if isinstance(item, dict):
            accept = item.get("accept") or ()
            out.append(Choice(str(item.get("label", "")), str(item.get("text", "") or ""), item.get("points"),
                              item.get("correct"), str(item.get("feedback", "") or ""),
                              tuple(str(a) for a in accept) if isinstance(accept, list) else ()))
        else:
            out.append(Choice(str(item)))
    return out


def check_choices(ctx: PartContext) -> list[str]:
    """Spec problems of a part's options (missing or repeated labels, bad points): shared by
    choice and multi so both refuse the same mistakes."""
    problems = []
    raw = ctx.opt("options")
    if not isinstance(raw, list) or not raw:
        return ["options must be a non-empty list of {label, text, points?, correct?, feedback?, accept?}"]
    seen = set()
    for i, item in enumerate(raw):
        if isinstance(item, dict):
            unknown = set(item) - OPTION_KEYS
            if unknown:
                problems.append(f"option {i + 1}: unknown key(s) {', '.join(sorted(unknown))} "
                                f"(allowed: {', '.join(sorted(OPTION_KEYS))})")
            label = item.get("label")
            if not isinstance(label, str) or not label:
                problems.append(f"option {i + 1}: label must be a non-empty string "
                                f"(quote labels such as \"Yes\" or \"No\" that YAML reads as booleans)")
            points = item.get("points")
            if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float))):
                problems.append(f"option {label}: points must be a number")
            accept = item.get("accept")
            if accept is not None and not (isinstance(accept, list) and all(
                    isinstance(a, str) and re.fullmatch(r"[^\W\d_]+(?:[\s'’-]+[^\W\d_]+)*", a.strip()) for a in accept)):
                problems.append(f"option {label}: accept must be a list of phrases of words "
                                f"(letters and spaces), e.g. [\"zero grad before backward\"]")
        elif not isinstance(item, str):
            problems.append(f"option {i + 1}: must be a label string or a mapping")
            label = None
        else:
            label = item
        key = _norm(str(label), False)
        if key in seen:
            problems.append(f"duplicate option label '{label}'")
        seen.add(key)
    return problems


def _norm(text: str, case_sensitive: bool) -> str:
    text = " ".join(text.split()).strip().rstrip(".")
    return text if case_sensitive else text.lower()


_LEAD = re.compile(r"^\s*(?:final\s+)?(?:solution|answer|ans)\s*[:=]\s*", re.I)


def pick(raw: Any, ctx: PartContext, options: list[Choice]) -> str:
    """One student token -> an option label, by label ('B', '(b)', 'b)') or by the option's text."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise Invalid(f"expected an option label such as {options[0].label!r}, got {describe_value(raw)}")
    cs = bool(ctx.opt("case_sensitive"))
    token = _norm(_LEAD.sub("", plain_text(raw)), cs)  # "Solution: $B$" as students write it
    if len(token) > 2000:
        raise Invalid("expected an option label, got a very long text")
    bare = re.sub(r"^[\(\[]?\s*([^\s\)\]]+)\s*[\)\]]?$", r"\1", token)
    for option in options:
        if _norm(option.label, cs) in (token, bare):
            return option.label
    for option in options:
        if option.text and token in (_norm(option.text, cs), _norm(plain_text(option.text), cs)):
            return option.label
    written = _norm(raw, cs)  # an option text that is itself LaTeX, written as in the spec
    for option in options:
        if option.text and _norm(option.text, cs) == written:
            return option.label
    named = labels_in_prose(raw, options)
    if len(named) == 1:  # "Learning Rate A is too high!"
        return named[0]
    if not named:  # "place `optim.zero_grad()` before backward pass": an option in the student's words
        from grader.types.text import says

        plain = plain_text(raw)
        said = [o.label for o in options if any(says(plain, phrase, ctx) for phrase in o.accept)]
        if len(said) == 1:
            return said[0]
    labels = ", ".join(o.label for o in options)
    if len(named) > 1:
        raise Invalid(f"{raw[:40]!r} names {len(named)} options ({', '.join(named)}); choose one of {labels}")
    raise Invalid(f"{raw[:40]!r} is not one of the options ({labels})")


VERBS = {"or", "and", "is", "was", "are", "seems", "looks", "because", "since", "would", "will", "should",
         "has", "fits", "works", "gives", "makes"}
NEGATIONS = re.compile(r"\b(?:not|no|never|neither|nor|except|isn't|isnt|wrong|incorrect)\b", re.I)


def labels_in_prose(text: str, options: list[Choice]) -> list[str]:
    """Option labels a sentence names as words of their own: 'Learning Rate A is too high!' -> [A],
    'Solution: C and D' -> [C, D]. Only single-letter upper-case labels; a letter that starts the
    sentence before a lower-case word is an article or a pronoun ('A learning rate...', 'I think');
    a sentence with a negation ('not A') names nothing."""
    if len(text) > 300 or len(text.split()) < 2 or NEGATIONS.search(text):
        return []
    wanted = {o.label for o in options if len(o.label) == 1 and o.label.isupper()}
    found: list[str] = []
    for m in re.finditer(r"(?<![\w'’\-\.])([A-Z])(?![\w'’\-])", text):
        letter = m.group(1)
        if letter not in wanted:
            continue
        before = text[:m.start()].rstrip()
        starts = not before or before[-1] in ".!?"
        nxt = re.match(r"\s+([a-z]+)", text[m.end():])
        if starts and nxt and nxt.group(1) not in VERBS:  # "A learning rate...": an article
            continue
        if letter not in found:
            found.append(letter)
    return found


def _is_label(part: str, ctx: PartContext, options: list[Choice]) -> bool:
    try:
        pick(part, ctx, [o for o in options])
    except Invalid:
        return False
    return _norm(part, bool(ctx.opt("case_sensitive"))).strip("()[]") in {
        _norm(o.label, bool(ctx.opt("case_sensitive"))) for o in options}


def picks(raw: Any, ctx: PartContext, options: list[Choice]) -> list[str]:
    """A list of labels, or a string 'A, C' / 'A and C' / 'AC' (single-letter labels)."""
    if isinstance(raw, str):
        text = _LEAD.sub("", plain_text(raw)).strip()
        if not text:
            return []
        parts = [p for p in re.split(r"\s*(?:,|;|\band\b|&|\s)\s*", text) if p]
        named = labels_in_prose(text, options)
        if named and len(parts) > 1 and not all(_is_label(p, ctx, options) for p in parts):
            return named  # "Solution: C and D"
        single = all(len(o.label) == 1 for o in options)
        if single and len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha() and \
                not any(_norm(o.text, False) == _norm(text, False) for o in options if o.text):
            parts = list(parts[0])
        if len(parts) > 1 and any(o.text and _norm(o.text, False) == _norm(text, False) for o in options):
            parts = [text]
        raw = parts
    if not isinstance(raw, list):
        raw = [raw]
    if len(raw) > 1000:
        raise Invalid(f"expected a few option labels, got {len(raw)} items")
    out: list[str] = []
    for item in raw:
        label = pick(item, ctx, options)
        if label not in out:
            out.append(label)
    return out
