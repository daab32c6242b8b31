"""The one small interface every answer type implements.

An answer type turns a student's raw JSON-like value into a canonical form (``parse``),
turns the reference value into the same form (``expected``), and compares the two
(``compare``), returning a :class:`Verdict`. The engine adds points, tiers, anticipated
mistakes and carried-forward errors on top, so a type never needs to know about them.

Types declare their spec options in ``options`` (name -> :class:`Option`). The spec loader
checks them and the JSON Schema is generated from them, so a new type is one file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping


class Invalid(Exception):
    """A submitted value is malformed for this part (wrong type, shape, unparsable text).

    The message is shown to the student as is: say what was expected and what was got.
    """


@dataclass(frozen=True)
class Verdict:
    """The outcome of one comparison: a fraction of the part's credit and why."""

    fraction: float
    message: str = ""
    loose: bool = False  # matched only loosely (a phrase inside a sentence): an exact match beats it
    matched: str = ""  # for a loose match, what matched: the longest such mistake is the diagnosis

    @property
    def correct(self) -> bool:
        return self.fraction >= 1.0


@dataclass(frozen=True)
class Option:
    """A spec option of an answer type, declared once for the loader and the JSON Schema."""

    kind: str  # number | integer | boolean | string | list | mapping | any | enum
    default: Any = None
    doc: str = ""
    choices: tuple = ()
    minimum: float | None = None
    tier: bool = False  # may be overridden in a partial-credit tier

    def schema(self) -> dict:
        base: dict[str, Any] = {
            "number": {"type": "number"},
            "integer": {"type": "integer"},
            "boolean": {"type": "boolean"},
            "string": {"type": "string"},
            "list": {"type": "array"},
            "mapping": {"type": "object"},
            "any": {},
            "enum": {"enum": list(self.choices)},
        }[self.kind]
        if self.minimum is not None:
            base["minimum"] = self.minimum
        if self.doc:
            base["description"] = self.doc
        if self.default is not None:
            base["default"] = self.default
        return base


@dataclass
class PartContext:
    """What a type may read about the part it is grading.

    ``options`` holds the part's type options with defaults applied (and, inside a tier,
    the tier's overrides). ``part_id`` and ``source`` let messages name where they come from.
    """

    part_id: str
    options: Mapping[str, Any]
    source: str = ""  # the spec file, for messages
    answer: Mapping[str, Any] = field(default_factory=dict)  # the part's `answer:` mapping
    solvers: Any = None  # the problem's loaded solver.py module (trusted)
    params: Mapping[str, Any] = field(default_factory=dict)  # resolved problem params
    seed: int = 0  # per (problem, student): for seeded draws such as random test cases
    hidden: bool = False  # never reveal expected values in messages
    extra: dict = field(default_factory=dict)
    expr_cache: Any = None  # the grading session's symbol tables (grader.expr.ExprCache); None: none kept

    def opt(self, name: str) -> Any:
        return self.options.get(name)


class AnswerType:
    """Base class of answer types. Subclasses set ``name``, ``options`` and override methods."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    options: ClassVar[Mapping[str, Option]] = {}
    # Whether the part's expected answer comes from `answer:` (False for manual parts).
    needs_answer: ClassVar[bool] = True

    def parse(self, raw: Any, ctx: PartContext) -> Any:
        """Student's raw value -> canonical form. Raise :class:`Invalid` with a clear reason."""
        raise NotImplementedError

    def expected(self, value: Any, ctx: PartContext) -> Any:
        """Reference value (literal or solver output) -> canonical form.

        Defaults to ``parse``; errors here are the instructor's, reported by the validator.
        """
        return self.parse(value, ctx)

    def compare(self, got: Any, expected: Any, ctx: PartContext) -> Verdict:
        raise NotImplementedError

    def show(self, value: Any, ctx: PartContext) -> str:
        """Short human-readable form of a canonical value, for feedback and reports."""
        return short(repr(value))

    def canonical_key(self, value: Any, ctx: PartContext) -> Any:
        """A hashable key of a parsed answer when everything the engine reports about it (score,
        feedback, shown answer) depends on that key alone, so answers written differently but
        read the same are graded once; None (the default) when the raw form matters."""
        return None

    def to_data(self, value: Any, ctx: PartContext) -> Any:
        """Canonical value -> plain JSON data (for reports, bundles and carried-forward args)."""
        return value

    def example(self, expected: Any, ctx: PartContext) -> Any:
        """A value a student could submit that is fully right (for `validate` and self-checks)."""
        return self.to_data(expected, ctx)

    def describe(self, ctx: PartContext) -> str:
        """What form the answer must take, for students' self-check and bundles."""
        return self.summary

    def grade_submission(self, submission: Any, ctx: PartContext) -> Verdict | None:
        """Grade from the submission as a whole (code parts run student functions).

        Return None (the default) to have the engine use ``parse``/``compare`` on the part's
        answer value. ``submission`` is a :class:`grader.submission.Submission`.
        """
        return None

    def check_spec(self, ctx: PartContext) -> list[str]:
        """Extra spec checks (tolerances that make no sense...). Return problems found."""
        return []


def short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


REGISTRY: dict[str, AnswerType] = {}


def register(cls: type[AnswerType]) -> type[AnswerType]:
    """Class decorator: make a type available to specs under ``cls.name``."""
    REGISTRY[cls.name] = cls()
    return cls


def describe_value(raw: Any) -> str:
    """Name the JSON kind of a raw value, for 'expected X, got Y' messages."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, int):
        return f"the integer {raw}"
    if isinstance(raw, float):
        return f"the number {raw!r}"
    if isinstance(raw, str):
        return f"the text {short(repr(raw), 60)}"
    if isinstance(raw, list):
        return f"a list of {len(raw)} item(s)"
    if isinstance(raw, dict):
        return f"an object with keys {short(', '.join(map(str, list(raw)[:8])), 60)}"
    return f"a {type(raw).__name__}"

