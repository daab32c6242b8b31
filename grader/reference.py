"""The reference side of grading: expected answers, anticipated mistakes, carried-forward values.

What a part's answer is compared with comes from the spec and the trusted solvers, never from
a student. :class:`References` computes it for one problem and one variant (the parameters a
student's seed draws), memoized in the grading session, so a class computes each reference
once. The engine grades with it; validate, the batch warm-up, the bundle, the prose-leak check
and the self-check use the same functions, so they all see what the engine sees.
"""

from __future__ import annotations

import pickle
from typing import Any, Hashable

from grader.identity_cache import IdentityCache
from grader.solvers import SOLVER_SECONDS, STUDENT_VALUE_SECONDS, SolverError, Solvers, resolve_params, to_plain
from grader.types import Invalid, PartContext
from grader.types.numeric import WrittenFloat


def canonical(value: Any) -> Hashable:
    """A memo key for plain data that keeps types and how numbers were written: two values get
    the same key only when nothing could grade them differently (1, True and 1.0 differ, and so
    do WrittenFloats written 0.1 and 0.10). A text, a number, or a short vector or matrix of
    them (what answers files hold) is keyed by a tuple made at once; anything else by its pickle."""
    try:
        return _plain_key(value, 2)
    except _NotPlain:
        return pickle.dumps(value, protocol=5)


MAX_KEYED = 16  # items per list keyed by _plain_key: a key stays small (a long list's pickle is smaller)


class _NotPlain(Exception):
    """A value _plain_key leaves to pickle."""


def _plain_key(value: Any, depth: int) -> Hashable:
    """The key of a text, a number or (`depth` levels of) short lists of them, built without
    pickle, which looks WrittenFloat's class up and reduces it for every number: most of a memo
    key's cost. Each kind is tagged with its type, so keys of different kinds never compare
    equal; a float is keyed by its exact bits (0.0 is not -0.0), a WrittenFloat by its text as
    well. Raises _NotPlain for anything else (NaN included)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is list:
        if not depth or len(value) > MAX_KEYED:
            raise _NotPlain
        return (list, *[item if type(item) is str else _plain_key(item, depth - 1) for item in value])
    if kind is WrittenFloat:
        state = value.__dict__
        # given notes, say, or NaN (whose sign hex() drops): left to pickle, which keeps them
        if len(state) != 1 or "text" not in state or value != value:
            raise _NotPlain
        return (WrittenFloat, state["text"], value.hex())
    if kind is int or kind is bool:
        return (kind, value)
    if kind is float:
        if value != value:
            raise _NotPlain
        return (float, value.hex())
    if value is None:
        return None
    raise _NotPlain


class References:
    """Reference answers of one problem for one variant, memoized in `session`."""

    def __init__(self, problem, session, student: str | None = None, params: dict[str, Any] | None = None):
        self.problem = problem
        self.session = session
        if params is None:
            params = resolve_params(problem.params, problem.variant_key, student)
        self.solvers: Solvers = session.solvers(problem, params)
        self.part_keys: dict[str, bytes] = session.keys(problem).parts  # part id -> fingerprint (see key)
        self._contexts = IdentityCache(1000)  # (part, concealed) -> its answers' context (answer_context)

    def key(self, part) -> bytes:
        """The part's content fingerprint (see GradingSession.keys)."""
        return self.part_keys[part.id]

    def context(self, part, **fields: Any) -> PartContext:
        """The part's context for this variant, with the session's symbol tables."""
        return part.context(self.problem.spec_source, solvers=self.solvers.module, params=self.solvers.params,
                            expr_cache=self.session.expr, **fields)

    def answer_context(self, part, hidden: bool, seed: int, whole: bool = False) -> PartContext:
        """The context a student's answer to `part` is graded in (`hidden`: nothing may reveal
        the expected answer). A part graded from its answer alone gets one per part and
        concealment, made once: types only read their context, and a class grades thousands of
        new answers. (A whole-submission part, which may run code seeded per student, gets a
        new one each time.)"""
        if whole:
            ctx = self.context(part, seed=seed)
            ctx.hidden = hidden
            return ctx
        made: PartContext | None = self._contexts.get(part, hidden)
        if made is None:
            made = self.context(part)
            made.hidden = hidden
            self._contexts.put(part, made, hidden, hold=(part,))
        made.seed = seed  # the student's, as a context made for them would say
        return made

    # ---------------------------------------------------------------- expected answers

    def data(self, part_id: str) -> Any:
        """The reference answer of a part as plain data, as a solver argument of a part using it."""
        key = (self.part_keys[part_id], self.solvers.params_key)
        memo = self.session.reference_data
        if key not in memo:
            used = self.problem.part(part_id)
            ctx = self.context(used)
            memo.put(key, used.kind.to_data(self.expected(used, ctx), ctx))
        return memo[key]

    def uses(self, part) -> dict[str, Any]:
        """{solver argument: reference data} of the parts this part uses."""
        return {arg: self.data(other) for arg, other in part.uses.items()}

    def expected(self, part, ctx: PartContext, uses: dict[str, Any] | None = None) -> Any:
        """The part's reference answer in canonical form (SolverError when it cannot be made)."""
        value = self.raw(part.answer, self.uses(part) if uses is None else uses)
        try:
            return self.canonical(part, ctx, value)
        except Invalid as exc:
            raise SolverError(f"part {part.id}: the reference answer is malformed: {exc}") from None

    def reference(self, part, ctx: PartContext) -> Any:
        """expected() with the reference's own uses: computed once per session, variant and
        concealment (a part using others' answers would call its solver for every new answer)."""
        key = (self.part_keys[part.id], self.solvers.params_key, ctx.hidden)
        memo = self.session.expected
        if key in memo:
            return memo[key]
        return memo.put(key, self.expected(part, ctx, self.uses(part)))

    def raw(self, source: dict[str, Any], uses: dict[str, Any] | None = None,
            seconds: float = SOLVER_SECONDS) -> Any:
        """What `{solver, args, key}` or `{value}` gives, before the answer type reads it."""
        if "solver" in source and source["solver"]:
            args = dict(source.get("args") or {})
            args.update(uses or {})
            return self.solvers.call(source["solver"], args, source.get("key"), seconds=seconds)
        return source.get("value")

    def canonical(self, part, ctx: PartContext, value: Any) -> Any:
        """kind.expected(value), once per session for each distinct value: a reference or a
        mistake (a formula to parse, say) is otherwise read again for every distinct answer."""
        try:
            key = (self.part_keys[part.id], ctx.hidden, canonical(value))
        except Exception:  # noqa: BLE001 - not picklable: no memo
            return part.kind.expected(value, ctx)
        memo = self.session.references
        if key not in memo:
            memo.put(key, part.kind.expected(value, ctx))
        return memo[key]

    def transformed(self, part, ctx: PartContext, value: Any) -> Any:
        """Apply the part's trusted `transform` to a canonical value: grade what it does, not its form."""
        fn = part.transform["solver"]
        data = part.kind.to_data(value, ctx)
        out = self.solvers.call_with(fn, data, part.transform.get("args") or {})
        return part.kind.expected(out, ctx)

    # ---------------------------------------------------------------- mistakes, carried values

    def mistakes(self, part, ctx: PartContext) -> list:
        """[(mistake, its value in canonical form, transformed)], once per session and variant."""
        key = (self.part_keys[part.id], self.solvers.params_key, ctx.hidden)
        memo = self.session.mistakes
        found = memo.get(key)
        if found is not None:
            return found
        out = []
        for mistake in part.mistakes:
            value = self.mistake_value(mistake)
            try:
                wrong = self.canonical(part, ctx, value)
                if part.transform:
                    wrong = self.transformed(part, ctx, wrong)
            except Invalid as exc:
                raise SolverError(f"part {part.id}: an anticipated mistake is malformed: {exc}") from None
            out.append((mistake, wrong))
        return memo.put(key, out)

    def mistake_value(self, mistake) -> Any:
        """An anticipated mistake's value as declared (literal, or what its solver gives)."""
        if mistake.solver:
            return self.solvers.call(mistake.solver, mistake.args, mistake.key)
        return mistake.value

    def carried(self, part, ctx: PartContext, uses: dict[str, Any]) -> Any:
        """The part's answer recomputed from `uses` (students' earlier answers among them), by
        its carry_forward solver or its answer's, in canonical form (after its transform)."""
        value = self.raw(part.carry_answer or part.answer, uses, seconds=STUDENT_VALUE_SECONDS)
        if degenerate(to_plain(value)):
            return None
        expected = part.kind.expected(value, ctx)
        if part.transform:
            expected = self.transformed(part, ctx, expected)
        return expected

    # ---------------------------------------------------------------- whole problems

    def answers(self) -> tuple[dict[str, Any], list[str]]:
        """The reference answer of every part graded from an answer, as a student would submit
        it, and the errors of the parts whose reference failed."""
        from grader.spec import order_by_uses

        answers: dict[str, Any] = {}
        errors: list[str] = []
        for part in order_by_uses(self.problem.parts):
            if part.type in ("manual", "code"):
                continue
            ctx = self.context(part)
            try:
                answers[part.id] = part.kind.example(self.expected(part, ctx), ctx)
            except SolverError as exc:
                errors.append(f"part {part.id}: {exc}")
        return answers, errors

    def first_mistakes(self) -> dict[str, Any]:
        """Each part's first anticipated mistake as a student would submit it (those that can be
        made; validate reports the others)."""
        out = {}
        for part in self.problem.parts:
            if not part.mistakes or part.type in ("manual", "code"):
                continue
            try:
                ctx = self.context(part)
                out[part.id] = part.kind.example(part.kind.expected(self.mistake_value(part.mistakes[0]), ctx), ctx)
            except Exception:  # noqa: BLE001 - validate reports it
                continue
        return out


def reference_answers(problem, student: str | None = None, *, session=None) -> tuple[dict[str, Any], list[str]]:
    """The reference answer of every auto-graded part, as a student would submit it."""
    from grader.session import GradingSession

    return References(problem, session or GradingSession(), student).answers()


def degenerate(value: Any) -> bool:
    """Values that carry nothing forward: blank, zero, all zeros, non-finite."""
    import math

    if value is None or value == "" or value == [] or isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return value == 0 or not math.isfinite(value)
    if isinstance(value, str):
        return value.strip() in ("", "0")
    if isinstance(value, list):
        flat: list = []
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            else:
                flat.append(item)
        return all(isinstance(x, (int, float)) and (x == 0 or not math.isfinite(x)) for x in flat)
    return False
