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
        """Full credit: what the reports call "correct"."""
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
        """This option in JSON Schema, so editors can check specs with the same rules as the loader."""
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
        """An option of the part (None when unset and without default): types read options only here."""
        return self.options.get(name)


class AnswerType:
    """Base class of answer types. Subclasses set ``name``, ``options`` and override methods.

    A type also declares what it is (the class attributes below), and the rest of the grader
    asks it instead of testing its name: a new type is one file plus one line in
    ``grader.types.TYPE_MODULES``, and nothing outside this package needs to learn about it.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    options: ClassVar[Mapping[str, Option]] = {}
    # Whether the part's expected answer comes from `answer:` (False for manual parts).
    needs_answer: ClassVar[bool] = True

    # -- what the type is: declared once, read by the engine, reports, bundles and statistics --
    # Scored by a person with the rubric: the engine records the answer and gives 0 points until
    # it is marked; Gradescope gets no test for it, the gradebook a marking column, the class
    # statistics wait for the marks.
    by_hand: ClassVar[bool] = False
    # Graded from the submission as a whole by ``grade_submission`` (a code part runs the
    # student's functions), not from an answer value under the part's id. Such a type decides
    # itself what to reveal (public and hidden cases), and answer sheets ask for a function.
    whole_submission: ClassVar[bool] = False
    # Graded by running the student's Python: with no Python file submitted there is nothing to
    # run, and the part is `missing` (not a wrong answer).
    runs_student_code: ClassVar[bool] = False
    # May be graded offline from a bundle's expected answer (`grader check`) when the spec
    # allows it; False: never (a person must read it).
    self_checkable: ClassVar[bool] = True
    # "one" or "many" when the answer picks among the spec's `options` (by label): answer
    # sheets list the options to tick, the class statistics count each option and the score
    # of guessing.
    selects: ClassVar[str] = ""
    # Prose, where runs of white space count as one space (formulas ignore white space): how
    # answers are compared across students.
    prose: ClassVar[bool] = False
    # The type's own comparison can judge a formula-like span of prose, so the prose-leak check
    # asks it whether a prompt or hint states the answer in any spelling.
    formula_like: ClassVar[bool] = False
    # How an answer sheet asks for the answer: "plain" (a value), "math" (LaTeX welcome),
    # "options" (tick), "function" (a Python function in answers.py), "by_hand" (prose and
    # working for a person).
    sheet: ClassVar[str] = "plain"
    # Options a student needs to write a well-formed answer, shown in the self-check bundle;
    # everything else (accepted texts, option points, rubrics, references) stays out.
    public_options: ClassVar[frozenset[str]] = frozenset()

    @property
    def judges_value(self) -> bool:
        """Whether one answer value is scored against a reference by this type alone (not by a
        person, not from the whole submission): such parts have reference answers that
        `validate` checks and anticipated mistakes, and the type may compare a code part's
        results."""
        return not self.by_hand and not self.whole_submission

    def parse(self, raw: Any, ctx: PartContext) -> Any:
        """Student's raw value -> canonical form. Raise :class:`Invalid` with a clear reason."""
        raise NotImplementedError

    def expected(self, value: Any, ctx: PartContext) -> Any:
        """Reference value (literal or solver output) -> canonical form.

        Defaults to ``parse``; errors here are the instructor's, reported by the validator.
        """
        return self.parse(value, ctx)

    def compare(self, got: Any, expected: Any, ctx: PartContext) -> Verdict:
        """Canonical answer vs canonical reference -> a fraction of the credit and a message
        for the student (which must not reveal the expected value when ``ctx.hidden``)."""
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

    def public(self, options: Mapping[str, Any], reference: Any = None) -> dict[str, Any]:
        """The part's options a student may see to check an answer's form offline (the
        ``public_options`` that are set; list items of `options` reduced to label and text).

        ``reference`` is the expected answer as plain data, when known, for a form that follows
        from it (an array's shape); it is never copied out."""
        out: dict[str, Any] = {}
        for key in sorted(self.public_options):
            value = options.get(key)
            if value is None:
                continue
            if key == "options" and isinstance(value, list):
                value = [{k: item[k] for k in ("label", "text") if k in item} if isinstance(item, dict)
                         else {"label": str(item)} for item in value]
            out[key] = value
        return out

    def public_form(self, reference: Any) -> dict[str, Any]:
        """Facts about the answer's form a bundle entry states beside the options (a shape's
        number of dimensions), from the reference as plain data; {} by default."""
        return {}


def short(text: str, limit: int = 200) -> str:
    """Text cut to ``limit`` characters with "...": feedback quotes answers but must stay readable."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


REGISTRY: dict[str, AnswerType] = {}


def register(cls: type[AnswerType]) -> type[AnswerType]:
    """Class decorator: make a type available to specs under ``cls.name``.

    The declared capabilities are checked against the methods, so a type cannot say one thing
    and do another (the engine trusts ``whole_submission`` to call ``grade_submission``)."""
    overrides = cls.grade_submission is not AnswerType.grade_submission
    if overrides != cls.whole_submission:
        raise TypeError(f"answer type {cls.name!r}: whole_submission must be True exactly when "
                        "grade_submission is overridden")
    if cls.selects not in ("", "one", "many") or cls.sheet not in SHEETS:
        raise TypeError(f"answer type {cls.name!r}: selects must be '', 'one' or 'many' and sheet "
                        f"one of {', '.join(SHEETS)}")
    REGISTRY[cls.name] = cls()
    return cls


SHEETS = ("plain", "math", "options", "function", "by_hand")


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

