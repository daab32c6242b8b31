"""Parameters in a spec's text: `{{ eta }}` in a prompt shows each student their own numbers.

Titles, prompts, assumptions, hints, solutions and feedback (the part's, its tiers' and its
mistakes') are Jinja2 templates rendered in a sandbox (no attribute tricks, no imports, no
code) with StrictUndefined: a name that is not a parameter is an error when the spec is loaded,
naming the file, the part and the field. Numbers render through filters the spec chooses
(`digits`, `fixed`, `latex`); a float without one is written with at most 12 significant
digits. A text without `{{` or `{%` is not a template and costs nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from typing import Any, Callable

PART_FIELDS = ("title", "prompt", "assumptions", "hint", "solution")
MAX_RENDERED = 256  # rendered copies of a problem kept per process (one per variant)


def is_template(text: Any) -> bool:
    """Whether a text holds Jinja markup, so plain texts skip the template engine."""
    return isinstance(text, str) and ("{{" in text or "{%" in text)


# ---------------------------------------------------------------- number formats

def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _each(value: Any, fn: Callable[[Any], str]) -> Any:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_each(v, fn) for v in value) + "]"
    return fn(value) if _number(value) else str(value)


def _plain_number(value: Any) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.12g}"
    return str(value)


def finalize(value: Any) -> Any:
    """What `{{ x }}` writes: numbers and lists of numbers without float noise."""
    if _number(value) or isinstance(value, (list, tuple)):
        return _each(value, _plain_number)
    return value


def digits(value: Any, n: int = 3) -> str:
    """`{{ eta | digits(3) }}`: n significant figures (0.0123, 1.23e+05)."""
    from grader.numbers import figures

    return _each(value, lambda v: figures(float(v), int(n)))


def fixed(value: Any, n: int = 2) -> str:
    """`{{ eta | fixed(2) }}`: n decimals (0.12)."""
    return _each(value, lambda v: f"{float(v):.{int(n)}f}")


def _latex_number(v: Any, n: int | None) -> str:
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) < 1e15 and n is None):
        return str(int(v))
    text = f"{float(v):.{int(n)}g}" if n is not None else f"{float(v):.12g}"
    if not math.isfinite(float(v)):
        return {"inf": r"\infty", "-inf": r"-\infty"}.get(text, r"\mathrm{NaN}")
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else f"{mantissa} \\times {power}"
    return text


def latex(value: Any, n: int | None = None) -> str:
    """`{{ W | latex }}`: a number as LaTeX (`1.5 \\times 10^{-3}`), a list as a bmatrix
    (a row vector for a flat list); `latex(3)` rounds to 3 significant figures."""
    if _number(value):
        return _latex_number(value, n)
    if isinstance(value, (list, tuple)):
        rows = value if value and all(isinstance(r, (list, tuple)) for r in value) else [value]
        body = r" \\ ".join(" & ".join(latex(x, n) for x in row) for row in rows)
        return r"\begin{bmatrix} " + body + r" \end{bmatrix}"
    return str(value)


@functools.lru_cache(maxsize=1)
def environment():
    """The shared sandboxed Jinja environment: undefined names fail loudly, and ``{#`` is left to LaTeX."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, finalize=finalize, autoescape=False, keep_trailing_newline=True,
        comment_start_string="{##", comment_end_string="##}",  # LaTeX's {#1} is not a comment
    )
    env.filters.update(digits=digits, fixed=fixed, latex=latex)
    return env


# ---------------------------------------------------------------- checking at load

def names_used(text: str) -> set[str]:
    """The parameter names a template reads (raises jinja2.TemplateSyntaxError)."""
    from jinja2 import meta

    return set(meta.find_undeclared_variables(environment().parse(text)))


def check_text(text: Any, params: dict[str, Any], where: str, label: str, what: str) -> list[str]:
    """Errors of one text field: bad template syntax, or names that are not parameters."""
    if not is_template(text):
        return []
    from jinja2 import TemplateSyntaxError

    try:
        used = names_used(text)
    except TemplateSyntaxError as exc:
        return [f"{where}: {label}: {what}: template error: {exc.message} (line {exc.lineno} of the text)"]
    unknown = sorted(used - set(params))
    if unknown:
        have = ", ".join(sorted(params)) or "none: the spec has no params"
        return [f"{where}: {label}: {what} uses unknown name(s) {', '.join(unknown)} "
                f"(the problem's params: {have})"]
    return []


def text_fields(part) -> list[tuple[tuple, str, str]]:
    """(YAML path under the part, field name for messages, text) of every templatable field."""
    out: list[tuple[tuple, str, str]] = [((name,), name, getattr(part, name)) for name in PART_FIELDS]
    out += [(("feedback", k), f"feedback.{k}", v) for k, v in part.feedback.items()]
    out += [(("tiers", j, "feedback"), f"tier {j + 1} feedback", t.feedback) for j, t in enumerate(part.tiers)]
    out += [(("mistakes", j, "feedback"), f"mistake {j + 1} feedback", m.feedback)
            for j, m in enumerate(part.mistakes)]
    return out


def check_part(part, params: dict[str, Any], at: Callable[..., str]) -> list[str]:
    """Every template of a part checked against the param names; `at(*path)` gives file:line."""
    errors: list[str] = []
    for path, what, text in text_fields(part):
        errors.extend(check_text(text, params, at(*path), f"part {part.id}", what))
    return errors


def templated(problem) -> bool:
    """Whether any of the problem's texts is a template (else one rendering serves every variant)."""
    return any(is_template(text) for part in problem.parts for _, _, text in text_fields(part))


def used_params(problem) -> list[str]:
    """The params the problem's text shows students, in name order."""
    names: set[str] = set()
    for part in problem.parts:
        for _, _, text in text_fields(part):
            if is_template(text):
                try:
                    names |= names_used(text)
                except Exception:  # noqa: BLE001 - load_problem has reported it
                    pass
    return sorted(names & set(problem.params))


# ---------------------------------------------------------------- rendering per student

class RenderError(Exception):
    """A template that fails for some parameter values (validate --variants names it)."""


def render(text: str, params: dict[str, Any]) -> str:
    """``text`` rendered with ``params``; any template failure is raised as RenderError (the spec's fault)."""
    if not is_template(text):
        return text
    try:
        return environment().from_string(text).render(**params)
    except Exception as exc:  # noqa: BLE001 - any template failure is the spec's, named as such
        raise RenderError(f"{type(exc).__name__}: {exc}") from None


def render_part(part, params: dict[str, Any], strict: bool = False):
    """A copy of the part with its text rendered for these params (the part itself when it
    has no template). Not strict: a text that fails to render stays as written, so grading
    goes on; `validate --variants` reports it."""
    changes: dict[str, Any] = {}

    def one(text: str, what: str) -> str:
        try:
            return render(text, params)
        except RenderError as exc:
            if strict:
                raise RenderError(f"part {part.id}: {what}: {exc}") from None
            return text

    for name in PART_FIELDS:
        text = getattr(part, name)
        if is_template(text):
            changes[name] = one(text, name)
    if any(is_template(v) for v in part.feedback.values()):
        changes["feedback"] = {k: one(v, f"feedback.{k}") for k, v in part.feedback.items()}
    if any(is_template(t.feedback) for t in part.tiers):
        changes["tiers"] = [dataclasses.replace(t, feedback=one(t.feedback, f"tier {j + 1} feedback"))
                            for j, t in enumerate(part.tiers)]
    if any(is_template(m.feedback) for m in part.mistakes):
        changes["mistakes"] = [dataclasses.replace(m, feedback=one(m.feedback, f"mistake {j + 1} feedback"))
                               for j, m in enumerate(part.mistakes)]
    return dataclasses.replace(part, **changes) if changes else part


def for_params(problem, params: dict[str, Any]):
    """The problem as the student with these params reads it: a copy with every template
    rendered, made once per variant and process (the problem itself when it has none)."""
    cache = problem.rendered
    if cache is None:  # first call: does the problem have templates at all?
        cache = problem.rendered = {} if templated(problem) else False
    if cache is False:
        return problem
    try:
        key = json.dumps(params, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        key = repr(sorted(params.items()))
    copy = cache.get(key)
    if copy is None:
        if len(cache) >= MAX_RENDERED:
            cache.clear()
        copy = dataclasses.replace(problem, parts=[render_part(p, params) for p in problem.parts],
                                   rendered=False)
        cache[key] = copy
    return copy


def placeholders(text: str) -> str:
    """A class-wide view of a template (a class report, the Gradescope outline): every
    parameter shown by name, `[eta]`, since each student sees their own value."""
    if not is_template(text):
        return text
    try:
        names = names_used(text)
        return environment().from_string(text).render(**{n: _Name(n) for n in names})
    except Exception:  # noqa: BLE001 - a class-wide label: the raw text will do
        return text


class _Name(str):
    """Renders as `[name]` whatever filter is applied."""

    def __new__(cls, name: str):
        return super().__new__(cls, f"[{name}]")

    def __getitem__(self, key):
        return _Name(f"{str(self)[1:-1]}[{key}]")
