"""Grading: spec + submission -> expected answers -> marks -> report.

For each part the engine asks the answer type for a verdict against the reference, then tries
the part's looser tiers, its anticipated mistakes and, where declared, the error carried forward
from earlier parts, and keeps the best mark with the reason for it. What it compares with comes
from grader.reference; what it remembers between submissions (answers graded before, reference
answers) lives in the GradingSession it is handed (grader.session), nowhere else.
"""

from __future__ import annotations

import difflib
import json
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.part_ids import key_index, match_part_ids, part_key
from grader.reference import References, canonical, degenerate
from grader.report import PartResult, Report
from grader.session import GradingSession
from grader.solvers import Rejected, SolverError, student_seed, to_plain
from grader.spec import Part, Problem, load_problem, order_by_uses
from grader.submission import Submission
from grader.templates import for_params
from grader.timelimit import TimeLimit, answer_budget
from grader.types import Invalid, capabilities
from grader.variants import variant_of


@dataclass
class _Mark:
    fraction: float
    message: str
    via: str = ""


@dataclass
class _Given:
    """A student's parsed answer to a part, kept for parts that use it (carried-forward errors)."""

    value: Any
    data: Any
    correct: bool


def grade_path(problem: str | Path, submission: str | Path, student_id: str | None = None, *,
               session: GradingSession | None = None) -> Report:
    """Load the problem and the submission, then grade (the problem is read as it is now)."""
    from grader.loaders import load_submission

    prob = load_problem(problem)
    sub = load_submission(submission, student_id, private=[prob.folder])
    try:
        return grade(prob, sub, session=session)
    finally:
        sub.close()


def grade(problem: Problem, submission: Submission, *, reveal: bool = True,
          session: GradingSession | None = None) -> Report:
    """Grade a submission. `reveal=False` is the students' view before the due date: parts
    whose `show_expected` is after_due_date give feedback without the expected answer.

    `session` holds what grading remembers (reference answers, answers graded before); without
    one nothing is kept from one call to the next."""
    session = session if session is not None else GradingSession()
    student = submission.student_id
    refs = _references(problem, session, student)
    params = refs.solvers.params
    seed = student_seed(problem.variant_key, student)
    messages = list(submission.messages)
    variant = variant_of(problem, student, params)
    problem = for_params(problem, params)  # the student's numbers in titles and feedback
    plan = _plan(problem, session)
    answers = _match_ids(problem, plan, submission.answers, messages, submission.answer_files)
    rejected = _rejected(plan, submission.rejected)
    given: dict[str, _Given] = {}
    results: dict[str, PartResult] = {}
    failures: list[str] = []
    # the same for every part (and read once: a class's students take the loop below 30,000 times)
    part_keys, params_key, memo, fatal = refs.part_keys, refs.solvers.params_key, session.results, submission.fatal
    for part, whole, always_hidden, concealable in plan.steps:
        pid = part.id
        hidden = always_hidden or (concealable and not reveal)
        if pid in rejected and not fatal and not whole:
            results[pid] = PartResult(id=pid, title=part.title, type=part.type, max_score=part.points,
                                      visibility=part.visibility, revealed=not hidden, score=0.0,
                                      status="invalid", feedback=rejected[pid])
            continue
        try:
            key = None
            if not fatal and not whole:  # whole-submission parts get their key once graded
                key = _memo_key(part_keys[pid], params_key, part, answers.get(pid, _ABSENT), given, hidden)
                hit = memo.get(key) if key is not None else None
                if hit is not None:  # the common case in a class: an answer graded before
                    results[pid] = _located(hit[0], submission)
                    if hit[1] is not None:
                        given[pid] = hit[1]
                    continue
            with answer_budget():  # sympy's time is counted per answer, over every comparison
                results[pid] = _grade_part(part, refs, submission, answers, seed, given, hidden, whole, key)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - one part never sinks another (a
            # solver's sys.exit() included; a batch's own time limit and Ctrl-C still stop all)
            given.pop(pid, None)  # nothing half-graded is carried forward
            results[pid] = _part_failed(part, hidden, exc, answers.get(pid, _ABSENT))
            failures.append(f"part {pid}: " + "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())
    parts = [results[pid] for pid in plan.id_list]
    manual = sum([parts[i].max_score for i in plan.by_hand])
    return Report(
        problem_id=problem.id, title=problem.title, student=student, source=submission.source,
        score=_round(sum([p.score for p in parts])), max_score=_round(problem.total), parts=parts,
        messages=messages, fatal=submission.fatal, manual_points=_round(manual), failures=failures,
        variant=variant,
    )


def _part_failed(part: Part, hidden: bool, exc: BaseException, raw: Any) -> PartResult:
    """A part whose grading raised: marked `error`, saying whose fault it is not; the answer is
    kept in the report, for a regrade."""
    if isinstance(exc, TimeLimit):
        cause = "grading it took too long and was stopped"
    elif isinstance(exc, RecursionError):
        cause = "the grader ran out of stack (RecursionError)"
    elif isinstance(exc, MemoryError):
        cause = "the grader ran out of memory"
    elif hidden:  # a concealed part's message could name the expected answer
        cause = f"internal error: {type(exc).__name__}"
    else:
        detail = " ".join(str(exc).split())
        detail = detail if len(detail) <= 160 else detail[:157] + "..."
        cause = f"internal error: {type(exc).__name__}" + (f": {detail}" if detail else "")
    try:
        answer = None if raw is _ABSENT else _plain_answer(raw)
    except Exception:  # noqa: BLE001 - the report still says what failed
        answer = None
    return PartResult(id=part.id, title=part.title, type=part.type, max_score=part.points, score=0.0,
                      status="error", visibility=part.visibility, revealed=not hidden, answer=answer,
                      feedback=f"{PART_ERROR} ({cause}). This is not your fault: your answer is kept "
                               f"and your other parts were graded as usual; your instructor can "
                               f"see the details and regrade this part.")


PART_ERROR = "not graded: the grader failed on this part"


@dataclass(frozen=True)
class _Plan:
    """What grading needs of a problem that is the same for every student."""

    steps: list[tuple[Part, bool, bool, bool]]  # in uses order: (part, graded whole, always hidden,
                                                #   hidden until due)
    ids: frozenset[str]
    id_list: list[str]
    by_norm: dict[str, str]
    by_hand: list[int]  # the indices of the parts graded by a person, in the problem's order


def _plan(problem: Problem, session: GradingSession) -> _Plan:
    # keyed by the parts too: a problem whose parts were swapped gets a new plan
    plan = session.plans.get(problem, tuple(map(id, problem.parts)))
    if plan is not None:
        return plan
    ids = [p.id for p in problem.parts]
    # Whole-submission parts (code) keep their own public/hidden cases; others hide the answer.
    steps = [(p, p.kind.whole_submission, p.visibility == "hidden",
              p.show_expected != "always" and not p.kind.whole_submission) for p in order_by_uses(problem.parts)]
    plan = _Plan(steps=steps, ids=frozenset(ids), id_list=ids, by_norm=key_index(ids),
                 by_hand=[i for i, p in enumerate(problem.parts) if capabilities(p.type).by_hand])
    return session.plans.put(problem, plan, tuple(map(id, problem.parts)), hold=tuple(problem.parts))


def _references(problem: Problem, session: GradingSession, student: str | None) -> References:
    """The references of the student's variant. A problem without drawn params has one
    variant: its References (params resolved, their memo key made) serve every student."""
    if problem.has_draws:
        return References(problem, session, student)
    found = session.plans.get(problem, "references")
    return found if found is not None else session.plans.put(problem, References(problem, session), "references",
                                                             hold=(problem,))


def _round(x: float) -> float:
    return round(x + 0.0, 6)


MAX_ID_NOTES = 20  # unknown or near-miss ids named one by one; the rest are counted


def _rejected(plan: _Plan, rejected: dict[str, str]) -> dict[str, str]:
    """Parts answered twice, differently, by their part id (near-miss keys included)."""
    if not rejected:
        return {}
    return {plan.by_norm.get(part_key(k), k): why for k, why in rejected.items()}


def _match_ids(problem: Problem, plan: _Plan, answers: dict[str, Any], messages: list[str],
               files: dict[str, str] | None = None) -> dict[str, Any]:
    """Student keys -> part ids; near-misses ('3.1.' or 'q1.A') matched, unknown ids reported
    (with the file, and the line of an answer sheet, they were found in).

    At most MAX_ID_NOTES ids are named (a file of a million unknown ids gets a short report)."""
    out, notes = match_part_ids(plan.ids, plan.by_norm, answers)
    unknown = 0
    for key, target in notes:
        if target is not None:
            messages.append(f"answer '{key[:60]}' was taken as part {target}")
            continue
        unknown += 1
        if unknown > MAX_ID_NOTES:
            continue
        guess = difflib.get_close_matches(key[:60], plan.id_list, n=1, cutoff=0.8)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        where = f" ({files[key]})" if files and files.get(key) else ""
        messages.append(f"unknown part id '{key[:60]}'{where} ignored: not a part of {problem.id}{hint}")
    if unknown > MAX_ID_NOTES:
        messages.append(f"{unknown - MAX_ID_NOTES} more unknown part id(s) ignored "
                        f"({unknown} in all; {problem.id} has {len(plan.id_list)} parts)")
    return out


_ABSENT = object()


def _grade_part(part: Part, refs: References, sub: Submission, answers: dict, seed: int,
                given: dict[str, _Given], hidden: bool, whole: bool, key: tuple | None) -> PartResult:
    """A part not in the memo: graded, and memoized under `key` when it has one."""
    kind = part.kind
    ctx = refs.answer_context(part, hidden, seed, whole)
    base = dict(id=part.id, title=part.title, type=part.type, max_score=part.points,
                visibility=part.visibility, revealed=not hidden)
    rubric = _rubric(part, refs) if kind.by_hand else []
    if sub.fatal:
        return PartResult(**base, score=0.0, status="error", rubric=rubric,
                          feedback=f"not graded: the submission could not be read ({sub.fatal})")
    if whole:
        try:
            direct = kind.grade_submission(sub, ctx)
        except SolverError as exc:
            return _solver_failed(base, exc)
        if direct is not None:
            if kind.runs_student_code and not sub.python_files:  # nothing to run: missing, not wrong
                return PartResult(**base, score=0.0, status="missing", feedback=direct.message)
            return _result(base, part, _Mark(direct.fraction, direct.message), None, None)
        key = _memo_key(refs.key(part), refs.solvers.params_key, part, answers.get(part.id, _ABSENT), given, hidden)
    if part.id not in answers:
        result = _missing(part, ctx, base, rubric)
    else:
        result = _grade_answer(part, kind, ctx, base, rubric, answers[part.id], refs, given)
    if key is not None:  # results are frozen: safe to hand out again
        refs.session.results.put(key, (result, given.get(part.id)))
    return _located(result, sub)


def _rubric(part: Part, refs: References) -> list:
    """The part's rubric items, one list shared by its results (results are never changed, and
    a report then writes the list's text once: a class gives each manual part a new answer)."""
    memo = refs.session.rubrics
    key = (refs.key(part), refs.solvers.params_key)  # per variant, should a rubric ever show numbers
    found = memo.get(key)
    return found if found is not None else memo.put(key, list(part.options.get("rubric") or []))


def _missing(part: Part, ctx, base: dict, rubric: list) -> PartResult:
    if part.kind.by_hand:
        return PartResult(**base, score=0.0, status="missing", rubric=rubric,
                          feedback="no answer given (manual part)")
    return PartResult(**base, score=0.0, status="missing",
                      feedback=f"no answer for part {part.id}: expected {part.kind.describe(ctx)}")


def _located(result: PartResult, sub: Submission) -> PartResult:
    """Name the file a malformed answer came from (a folder may hold several)."""
    if result.status == "invalid":
        where = sub.answer_files.get(result.id)
        if where is None:  # (not a default argument: a Path made per invalid answer is costly)
            where = Path(sub.source).name
        return replace(result, feedback=f"part {result.id} ({where}): {result.feedback}")
    return result


# Grading is a pure function of (part, params, answer, the answers it carries forward), and a
# class repeats answers a lot: a repeated answer is graded once per session.
def _memo_key(part_key: bytes, params_key: bytes, part: Part, raw: Any, given: dict,
              concealed: bool) -> tuple | None:
    """Grading is a pure function of these (the part's and the variant's keys, see References);
    raw is _ABSENT for a part left blank."""
    if raw is _ABSENT:  # the params too: a title may show the student's numbers
        return (part_key, "missing", params_key, concealed)
    try:
        # a text is its own key, as canonical() makes it (the common case: no call)
        return (part_key, params_key, raw if type(raw) is str else canonical(raw),
                _carried_key(part, given), concealed)
    except Exception:  # noqa: BLE001 - the memo is an optimization: no key, no memo
        return None


def _carried_key(part: Part, given: dict[str, _Given]) -> tuple:
    """What a part's grade depends on of the earlier answers it uses."""
    return tuple((arg, canonical(given[o].data), given[o].correct) if o in given else (arg, None)
                 for arg, o in sorted(part.uses.items())) if part.uses else ()


def _grade_answer(part: Part, kind, ctx, base: dict, rubric: list, raw: Any, refs: References,
                  given: dict[str, _Given]) -> PartResult:
    try:
        got = kind.parse(raw, ctx)
    except Invalid as exc:
        return PartResult(**base, score=0.0, status="invalid", answer=_plain_answer(raw), feedback=str(exc))
    except RecursionError:
        return PartResult(**base, score=0.0, status="invalid", answer=None,
                          feedback="the answer is nested too deeply to read")
    if kind.by_hand:
        verdict = kind.compare(got, None, ctx)
        return PartResult(**base, score=0.0, status="manual", answer=_plain_answer(kind.to_data(got, ctx)),
                          feedback=verdict.message, rubric=rubric)
    # Answers written differently that read the same (aliases, \left(, spacing...) are graded once.
    same = _value_key(part, kind, ctx, got, refs, given)
    memo = refs.session.by_value
    hit = memo.get(same) if same is not None else None
    if hit is not None:
        if hit[1] is not None:
            given[part.id] = hit[1]
        return hit[0]
    result = _graded_value(part, kind, ctx, base, got, refs, given)
    if same is not None:
        memo.put(same, (result, given.get(part.id)))
    return result


def _value_key(part: Part, kind, ctx, got: Any, refs: References, given: dict[str, _Given]) -> tuple | None:
    """The memo key of a parsed answer, for types whose result depends on the value alone."""
    try:
        key = kind.canonical_key(got, ctx)
        if key is None:
            return None
        return (refs.key(part), refs.solvers.params_key, ctx.hidden, _carried_key(part, given), key)
    except Exception:  # noqa: BLE001 - an optimization: no key, no memo
        return None


def _graded_value(part: Part, kind, ctx, base: dict, got: Any, refs: References,
                  given: dict[str, _Given]) -> PartResult:
    data = kind.to_data(got, ctx)
    shown_answer = _plain_answer(data)
    try:
        ref_uses = refs.uses(part)
        expected = refs.reference(part, ctx)
        mark = _best_mark(part, ctx, refs, got, expected, given, ref_uses)
    except Rejected as exc:
        return PartResult(**base, score=0.0, status="invalid", answer=shown_answer, feedback=str(exc))
    except SolverError as exc:
        return _solver_failed(base, exc)
    given[part.id] = _Given(got, data, mark.fraction >= 1 and mark.via == "")
    shown = None if part.visibility == "hidden" else kind.show(expected, ctx)
    return _result(base, part, mark, shown_answer, shown)


def _solver_failed(base: dict, exc: Exception) -> PartResult:
    return PartResult(**base, score=0.0, status="error",
                      feedback=f"the reference solution failed, so this part could not be graded "
                               f"(not your fault; your instructor has been told): {exc}")


def _result(base: dict, part: Part, mark: _Mark, answer: Any, expected: str | None) -> PartResult:
    fraction = max(0.0, min(1.0, mark.fraction))
    if fraction >= 1:
        status = "correct"
    elif fraction > 0:
        status = "partial"
    else:
        status = "incorrect"
    feedback = mark.message
    extra = part.feedback.get({"correct": "correct", "partial": "partial"}.get(status, "incorrect"))
    if extra:
        sep = " " if feedback.rstrip().endswith((".", "!", "?", ":")) else ". "
        feedback = f"{feedback.rstrip()}{sep}{extra}" if feedback else extra
    if status != "correct" and part.hint:
        feedback += f" Hint: {part.hint}"
    return PartResult(**base, score=_round(part.points * fraction), status=status, feedback=feedback,
                      answer=answer, expected=expected, via=mark.via)


def _plain_answer(raw: Any) -> Any:
    """What the student gave, bounded in size for reports."""
    if isinstance(raw, (int, float)) or (isinstance(raw, str) and len(raw) <= 333):
        return raw  # what the general path gives (6 characters per escaped one stay under 2000)
    try:
        plain = to_plain(raw)
        text = json.dumps(plain, allow_nan=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return repr(raw)[:200]
    if len(text) > 2000:
        return text[:1997] + "..."
    return plain


def _best_mark(part: Part, ctx, refs: References, got: Any, expected: Any, given: dict[str, _Given],
               ref_uses: dict[str, Any]) -> _Mark:
    kind = part.kind
    if part.transform:
        got_cmp = refs.transformed(part, ctx, got)
        expected_cmp = refs.transformed(part, ctx, expected)
    else:
        got_cmp, expected_cmp = got, expected
    verdict = kind.compare(got_cmp, expected_cmp, ctx)
    best = _Mark(verdict.fraction, verdict.message)
    if best.fraction >= 1:
        return best
    for tier in part.tiers:
        tctx = part.context(ctx.source, options=tier.options, solvers=ctx.solvers, params=ctx.params, seed=ctx.seed,
                            expr_cache=ctx.expr_cache)
        v = kind.compare(got_cmp, expected_cmp, tctx)
        fraction = tier.credit * v.fraction
        if fraction > best.fraction:
            best = _Mark(fraction, tier.feedback or f"{v.message} (partial credit {tier.credit:.4g})", "tier")
    matched: list = []
    for mistake, wrong in refs.mistakes(part, ctx):
        v = kind.compare(got_cmp, wrong, ctx)
        if v.fraction >= 1:
            matched.append((mistake, v))
    exact = [m for m, v in matched if not v.loose]
    longest = max((len(v.matched.split()) for _, v in matched), default=0)
    loose = [m for m, v in matched if v.loose and len(v.matched.split()) == longest]
    for mistake in exact or loose:  # 'it detects vertical edges' says 'vertical edges', more than 'edges'
        # an anticipated mistake is a diagnosis: it beats a closeness tier, which only says "near"
        if mistake.credit >= best.fraction or best.via == "tier":
            best = _Mark(mistake.credit, mistake.feedback, "mistake")
    if part.carry_forward is not None and best.fraction < part.carry_forward:
        carried = _carried(part, ctx, refs, got_cmp, given, ref_uses)
        if carried is not None and carried.fraction > best.fraction:
            best = carried
    return best


def _carried(part: Part, ctx, refs: References, got: Any, given: dict[str, _Given],
             ref_uses: dict[str, Any]) -> _Mark | None:
    uses: dict[str, Any] = dict(ref_uses)
    carried_from = []
    for arg, other in part.uses.items():
        earlier = given.get(other)
        if earlier is not None and not earlier.correct and not degenerate(earlier.data):
            uses[arg] = earlier.data
            carried_from.append(other)
    if not carried_from:
        return None
    try:
        # a carry_forward solver of its own (e.g. a fast one, for students' values) or the answer's
        expected = refs.carried(part, ctx, uses)
        if expected is None:
            return None
    except (SolverError, Rejected, Invalid, ArithmeticError, ValueError, TypeError):
        return None
    verdict = part.kind.compare(got, expected, ctx)
    if verdict.fraction < 1:
        return None
    names = ", ".join(carried_from)
    credit = part.carry_forward or 0.0
    return _Mark(credit, f"consistent with your answer to part {names} (error carried forward, "
                         f"{credit:.4g} of the credit)", "carry_forward")
