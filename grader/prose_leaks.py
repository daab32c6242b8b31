"""Does the problem's prose give an answer away? Titles, prompts, assumptions, hints and feedback
reach students (the self-check bundle ships the first four before the deadline), so a part that
is not self-checkable must not have its answer stated in any of them.

Two searches: the reference's textual forms (numbers as written, strings, lists, choice labels
joined as "C and D"), and, for formula parts, every formula-like span of the prose judged by the
part's own equivalence (so `X^T (X X^T)^{-1} y` is found whatever its spelling).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

MAX_SPANS = 4000  # formula-like spans judged per problem: bounded time for a long spec
# Words that may appear inside a formula (functions, Greek letters); any other word of two or
# more letters ends a formula-like span.
FORMULA_WORDS = {
    "exp", "log", "ln", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "sigma", "softmax", "relu",
    "norm", "max", "min", "det", "tr", "trace", "diag", "inv", "abs", "sum", "mean", "var", "frac",
    "left", "right", "cdot", "times", "top", "mathcal", "mathbf", "mathrm", "operatorname", "hat",
    "tilde", "bar", "lambda", "eta", "alpha", "beta", "gamma", "delta", "epsilon", "theta", "mu",
    "pi", "rho", "tau", "phi", "psi", "omega", "nabla", "partial", "infty", "mid", "lvert", "rvert",
    "Vert", "big", "Big", "bigl", "bigr", "dfrac", "tfrac", "ell", "odot", "otimes", "T",
}


@dataclass(frozen=True)
class Leak:
    """A part's answer found stated in text students can read before the deadline."""
    part: str      # the part whose answer is stated
    where: str     # which prose states it
    form: str      # what was found

    def __str__(self) -> str:
        return (f"part {self.part}: its answer is stated in {self.where} ({self.form!r}); students "
                f"can read that text before the deadline (in the self-check bundle or in the "
                f"feedback on a submission), and the part is not self-checkable")


def prose_texts(problem) -> list[tuple[str, str]]:
    """(where, text) for every piece of prose a student may read."""
    out = [("the problem title", problem.title or "")]
    for part in problem.parts:
        for key in ("title", "section", "prompt", "assumptions", "hint"):
            text = getattr(part, key, "") or ""
            if text:
                out.append((f"part {part.id}'s {key}", str(text)))
        for key, text in (part.feedback or {}).items():
            if key not in ("correct",) and text:
                out.append((f"part {part.id}'s feedback ({key})", str(text)))
        for i, mistake in enumerate(part.mistakes):
            if mistake.feedback:
                out.append((f"part {part.id}'s mistake {i + 1} feedback", str(mistake.feedback)))
        for i, tier in enumerate(part.tiers):
            if tier.feedback and tier.credit < 1:
                out.append((f"part {part.id}'s tier {i + 1} feedback", str(tier.feedback)))
    return out


# ------------------------------------------------------------------ textual forms

def _number_forms(x: float) -> set[str]:
    if isinstance(x, bool) or not math.isfinite(x):
        return set()
    forms = set()
    if float(x).is_integer():
        if abs(x) >= 10:  # one-digit integers are everywhere (points, ids, shapes)
            forms.add(str(int(x)))
    else:
        for text in (repr(float(x)), f"{x:.6g}", f"{x:.4g}", f"{x:.3g}", f"{x:.2f}"):
            digits = text.lstrip("-").replace(".", "").lstrip("0").split("e")[0]
            if len(digits) >= 2:  # 0.5 alone is not evidence of anything
                forms.add(text)
    return forms


def textual_forms(value: Any) -> set[str]:
    """How a reference value could be written in prose or a file."""
    forms: set[str] = set()
    if isinstance(value, str):
        if len(value.strip()) >= 3:
            forms.add(value.strip())
    elif isinstance(value, (int, float)):
        forms |= _number_forms(value)
    elif isinstance(value, (list, tuple)):
        if value and all(isinstance(v, str) and 0 < len(v.strip()) <= 3 for v in value) and len(value) > 1:
            labels = [v.strip() for v in value]  # choice labels: "C and D", "{C, D}"
            # (not "C, D": the answer format lists every label that way)
            forms |= {" and ".join(labels), "{" + ", ".join(labels) + "}", " & ".join(labels)}
        elif value and sum(ch.isdigit() or ch.isalpha() for ch in json.dumps(value)) >= 3:
            forms |= {json.dumps(value), json.dumps(value, separators=(",", ":")), str(list(value))}
            items = [json.dumps(v) for v in value]  # 10, 24, 32, 32 / 10x24 / (10, 24)
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value) and \
                    sum(ch.isdigit() for ch in "".join(items)) >= 4:
                forms |= {", ".join(items), ",".join(items), "x".join(items), " x ".join(items),
                          "(" + ", ".join(items) + ")"}
        for item in value:
            forms |= textual_forms(item)
    elif isinstance(value, dict):
        for item in value.values():
            forms |= textual_forms(item)
    return forms


def givens(problem) -> set[str]:
    """Integers and lists of integers the questions themselves state (a batch of 32, an input of
    shape [10, 1, 32, 32]): data of the question, not answers."""
    found: set[str] = set()
    for part in problem.parts:
        prompt = part.prompt or ""
        found |= set(re.findall(r"(?<![\w.])\d+(?![\w.]\d)", prompt))
        found |= {re.sub(r"[\s\[\]]", "", m) for m in re.findall(r"\[[\d,\s]+\]", prompt)}
    return found


def is_given(form: str, given: set[str]) -> bool:
    """Whether a found integer or integer list is data the questions themselves state (not a leak)."""
    bare = re.sub(r"[\s\[\]()]", "", form).replace("x", ",").lstrip("-")
    return re.fullmatch(r"\d+(?:,\d+)*", bare) is not None and bare in given


def form_pattern(form: str) -> re.Pattern:
    """`form` as a whole token: 10 is not found inside -0.102, nor 0.8 inside 10.85."""
    text = re.escape(form)
    if form[0].isalnum() or form[0] == "-":
        text = r"(?<![\w.])" + text
    if form[-1].isalnum():
        text += r"(?![\w])(?!\.\d)"
    return re.compile(text)


# ------------------------------------------------------------------ formulas

_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[-+*/^()\[\]{}|'.~]|\s+|.", re.S)
_BREAK = {",", ";", ":", "=", "\n", "?", "!", "<", ">", "\u2248", "$", "\"", "`"}


def _balanced(span: str) -> str:
    """The span without a sentence's unmatched brackets: "(I - A) x (3" -> "(I - A) x"."""
    opened: list[int] = []
    for i, ch in enumerate(span):
        if ch == "(":
            opened.append(i)
        elif ch == ")":
            if not opened:  # a ")" closing the sentence's own bracket: keep what came before
                return _balanced(span[:i].strip()) if i else _balanced(span[1:].strip())
            opened.pop()
    if opened:
        first = opened[0]
        return _balanced(span[1:].strip()) if first == 0 else _balanced(span[:first].strip())
    return span


def formula_spans(text: str) -> list[str]:
    """Formula-like stretches of prose: runs of symbols, numbers, single letters and math words,
    cut at ordinary words, '=' and punctuation outside brackets; each with at least one
    operator or function."""
    spans: list[str] = []
    current: list[str] = []
    depth = 0

    def close() -> None:
        raw = "".join(current).strip(" .'")
        current.clear()
        for span in {raw, _balanced(raw)}:
            if len(span) >= 3 and re.search(r"[-+*/^(\\|]|\b(?:exp|log|sqrt|norm|frac)\b", span):
                spans.append(span)

    for token in _TOKEN.findall(text):
        word = token.lstrip("\\")
        is_word = (token[0].isalpha() and len(word) > 1 and word.split("_")[0] not in FORMULA_WORDS
                   and not re.fullmatch(r"[A-Za-z](?:_\w+)?", token))
        if is_word or (token in _BREAK and (depth == 0 or token not in {",", ";"})) or token == "\n":
            close()
            depth = 0
            continue
        depth += token in "([{" and token != "" and len(token) == 1
        depth -= token in ")]}" and token != "" and len(token) == 1 and depth > 0
        current.append(token)
    close()
    return spans


def formula_leaks(problem, texts: list[tuple[str, str]], *, skip=lambda part: False, session=None) -> list[Leak]:
    """Formula parts whose reference is equivalent (by the part's own comparison) to a span."""
    from grader.reference import References
    from grader.session import GradingSession
    from grader.solvers import SolverError
    from grader.types import Invalid

    parts = [p for p in problem.parts if p.kind.formula_like and not skip(p)]
    if not parts:
        return []
    spans: list[tuple[str, str]] = []
    for where, text in texts:
        spans.extend((where, s) for s in formula_spans(text))
        if len(spans) > MAX_SPANS:
            break
    refs = References(problem, session if session is not None else GradingSession())
    found: list[Leak] = []
    for part in parts:
        ctx = refs.context(part)
        try:
            expected = refs.expected(part, ctx)
        except (SolverError, Invalid):
            continue
        seen: set[tuple[str, str]] = set()
        for where, span in spans[:MAX_SPANS]:
            if (where, span) in seen:
                continue
            seen.add((where, span))
            try:
                got = part.kind.parse(span, ctx)
                verdict = part.kind.compare(got, expected, ctx)
            except Exception:  # noqa: BLE001 - prose that is not a formula of this part
                continue
            if verdict.correct and where not in {leak.where for leak in found if leak.part == part.id}:
                found.append(Leak(part.id, where, span))
    return found


def prose_leaks(problem, *, skip=None, session=None) -> list[Leak]:
    """Every part (but self-checkable ones) whose answer its problem's prose states. An integer
    that some prompt states is taken for data of the question, not for an answer."""
    from grader.bundle import self_checkable
    from grader.reference import reference_answers
    from grader.session import GradingSession

    skip = skip or self_checkable
    session = session if session is not None else GradingSession()
    texts = [(where, " ".join(text.split())) for where, text in prose_texts(problem)]
    given = givens(problem)
    answers, _ = reference_answers(problem, None, session=session)
    found: list[Leak] = []
    for part in problem.parts:
        if skip(part) or part.id not in answers:
            continue
        values = [answers[part.id]]
        for key in ("accept", "synonyms"):
            if part.options.get(key):
                values.append(part.options[key])
        forms = set()
        for value in values:
            forms |= textual_forms(value)
        patterns = [(form, form_pattern(form)) for form in sorted(forms, key=lambda f: (-len(f), f))
                    if not is_given(form, given)]
        for where, text in texts:  # every place that states it, with the longest form found there
            hit = next((form for form, pattern in patterns if pattern.search(text)), None)
            if hit:
                found.append(Leak(part.id, where, hit))
    done = {(leak.part, leak.where) for leak in found}
    found += [leak for leak in formula_leaks(problem, texts, skip=skip, session=session) if (leak.part, leak.where) not in done]
    order = {p.id: i for i, p in enumerate(problem.parts)}
    return sorted(found, key=lambda leak: order[leak.part])
