"""Per-student variants: what a student's variant is, and proving every variant before release.

`check_variants` draws N students' params (as PrairieLearn's "test 100 times") and, under
each, renders every text template and runs every solver the engine would: each part's
reference, its anticipated mistakes, its transform, its carry-forward solver fed the reference
answers, and every code part's reference on its public, hidden and generated cases; then it
grades the reference answers (they must score full marks) and the example submissions that
declare `variants: true` in expected.yaml. A failure names the part, the parameter values and
the error, so "works for the default numbers" is never mistaken for "works".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

DEFAULT_VARIANTS = 25
MAX_FAILURES_PER_CHECK = 3  # the same failure in every variant is listed a few times, then counted


def variant_of(problem, student: str | None, params: dict[str, Any]) -> dict[str, Any] | None:
    """What a report says of its variant: the student id it was drawn for and the drawn values
    the problem's text shows (None for a problem without draws: there is one variant)."""
    if not problem.has_draws:
        return None
    shown = problem.__dict__.get("_shown_params")
    if shown is None:
        from grader.templates import used_params

        drawn = {n for n, v in problem.params.items() if isinstance(v, dict) and "draw" in v}
        shown = problem.__dict__["_shown_params"] = [n for n in used_params(problem) if n in drawn]
    return {"student": student, "params": {name: params[name] for name in shown if name in params}}


def describe(variant: dict[str, Any] | None) -> str:
    """'the variant of student s1 (eta = 0.25, n = 31)', for messages."""
    if not variant:
        return "the only variant"
    who = f"student {variant['student']}" if variant.get("student") is not None else "no student (defaults)"
    values = ", ".join(f"{k} = {_short(v)}" for k, v in (variant.get("params") or {}).items())
    return f"the variant of {who}" + (f" ({values})" if values else "")


def _short(value: Any) -> str:
    from grader.templates import finalize

    text = str(finalize(value))
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- proving every variant

@dataclass
class VariantCheck:
    """Failures found while proving many variants, capped per check so one broken check does not flood the output."""
    variants: int = 0  # distinct parameter sets checked
    errors: list[str] = field(default_factory=list)
    _seen: dict[str, int] = field(default_factory=dict)

    def fail(self, check: str, message: str) -> None:
        """One failure; the same check failing in many variants is listed a few times, then counted."""
        n = self._seen[check] = self._seen.get(check, 0) + 1
        if n <= MAX_FAILURES_PER_CHECK:
            self.errors.append(message)

    def summary(self) -> list[str]:
        """The recorded failures, then one line per check saying in how many more variants it failed."""
        more = [f"{check}: fails in {n - MAX_FAILURES_PER_CHECK} more variant(s)"
                for check, n in self._seen.items() if n > MAX_FAILURES_PER_CHECK]
        return self.errors + more


def trial_students(n: int) -> list[str | None]:
    """The default variant (no student) and n synthetic student ids."""
    return [None] + [f"variant-{i:03d}" for i in range(1, n + 1)]


def check_variants(problem, n: int = DEFAULT_VARIANTS, examples: dict[str, Any] | None = None, *,
                   session=None) -> VariantCheck:
    """Every solver, template and code reference under the default and n drawn variants
    (just the default one when nothing is drawn)."""
    from grader.session import GradingSession
    from grader.solvers import resolve_params

    result = VariantCheck()
    session = session if session is not None else GradingSession()
    seen: set[str] = set()
    for student in trial_students(n if problem.has_draws else 0):
        params = resolve_params(problem.params, problem.variant_key, student)
        key = json.dumps(params, sort_keys=True, default=repr)
        if key in seen:
            continue
        seen.add(key)
        result.variants += 1
        _check_one(problem, session, student, params, result)
        if examples:
            _check_examples(problem, student, params, examples, result, session)
    return result


def _label(student: str | None, params: dict[str, Any], problem) -> str:
    drawn = {k: params[k] for k, v in problem.params.items() if isinstance(v, dict) and "draw" in v}
    return describe({"student": student, "params": drawn}) if drawn else "the default variant"


def _check_one(problem, session, student: str | None, params: dict[str, Any], result: VariantCheck) -> None:
    from grader.engine import grade
    from grader.reference import References
    from grader.solvers import student_seed
    from grader.spec import order_by_uses
    from grader.submission import Submission
    from grader.templates import RenderError, render_part

    refs = References(problem, session, student, params=params)
    seed = student_seed(problem.variant_key, student)
    where = _label(student, params, problem)
    for part in order_by_uses(problem.parts):
        at = f"{problem.spec_file}:{part.line}: part {part.id}"
        try:
            render_part(part, params, strict=True)
        except RenderError as exc:
            result.fail(f"part {part.id} text", f"{at}: a template fails in {where}: {exc}")
        ctx = refs.context(part, seed=seed)
        if part.kind.by_hand:
            continue
        if part.kind.runs_student_code:
            # its cases are the same in every variant unless generated per student
            gen = part.options.get("generate")
            if student is None or (isinstance(gen, dict) and gen.get("per_student")):
                _check_code(part, ctx, at, where, result)
            continue
        step = "reference"
        try:
            expected = refs.expected(part, ctx)
            step = "anticipated mistakes"
            refs.mistakes(part, ctx)
            if part.transform:
                step = f"transform {part.transform['solver']}()"
                refs.transformed(part, ctx, expected)
            if part.carry_answer is not None:
                step = f"carry_forward solver {part.carry_answer['solver']}()"
                _check_carry(part, refs, ctx)
        except Exception as exc:  # noqa: BLE001 - the instructor's code: name it, never crash
            result.fail(f"part {part.id} {step}", f"{at}: {step} fails in {where}: {_error(exc)}")
    # the reference answers, graded as a student's, score full marks
    answers, _ = refs.answers()
    report = grade(problem, Submission(source="reference", answers=dict(answers), student_id=student),
                   session=session)
    for mark in report.parts:
        if mark.id in answers and mark.status != "correct":
            result.fail(f"part {mark.id} full marks",
                        f"part {mark.id}: the reference answer scores {mark.score:g}/{mark.max_score:g} "
                        f"in {where}: {mark.feedback}")


def _check_carry(part, refs, ctx) -> None:
    from grader.validate import _carry_of_reference

    got, expected = _carry_of_reference(part, refs, ctx)
    verdict = part.kind.compare(got, expected, ctx)
    if verdict.fraction < 1:
        raise ValueError(f"fed the reference answers of part(s) {', '.join(dict.fromkeys(part.uses.values()))}, "
                         f"it gives {part.kind.show(got, ctx)}, not the reference "
                         f"{part.kind.show(expected, ctx)}")


def _check_code(part, ctx, at: str, where: str, result: VariantCheck) -> None:
    """A code part's reference run on every case (public, hidden, generated), as grading does."""
    from grader.types.base import PartContext

    kind = part.kind
    try:
        cases = kind._cases(ctx)
        reference = kind._reference(ctx)
        ctype, options = kind._compare(ctx)
    except Exception as exc:  # noqa: BLE001
        result.fail(f"part {part.id} cases", f"{at}: the code part's cases cannot be read in {where}: {_error(exc)}")
        return
    for case in cases:
        sub = PartContext(part_id=part.id, options=options, source=ctx.source, solvers=ctx.solvers,
                          params=ctx.params, seed=ctx.seed, hidden=case.hidden or ctx.hidden)
        try:
            kind._expected(reference, case, ctype, sub, ctx)
        except Exception as exc:  # noqa: BLE001
            which = "hidden" if case.hidden else "public"
            result.fail(f"part {part.id} code reference",
                        f"{at}: the reference fails on {which} case {kind._call_text(ctx, case)} "
                        f"in {where}: {_error(exc)}")


def _error(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    if name in ("SolverError", "ValueError") and text:
        return text
    return f"{name}: {text}" if text else name


def _check_examples(problem, student, params, examples: dict[str, Any], result: VariantCheck, session) -> None:
    """Examples that declare `variants: true` score what they declare in every variant."""
    from grader.validate import grade_example, not_full_marks

    where = _label(student, params, problem)
    for name, (file, want) in examples.items():
        report = grade_example(problem, file, student, session)
        score = want.get("score")
        if score is not None and not math.isclose(report.score, float(score), abs_tol=1e-6):
            wrong = not_full_marks(report, detail=True)
            result.fail(f"example {name}", f"example {name} scores {report.score:g}, declared {float(score):g}, "
                                           f"in {where} [{wrong}]")


# ---------------------------------------------------------------- a class's variants

def variant_texts(folder) -> dict[str, str]:
    """student -> 'eta = 0.452, n = 16': the numbers each student's text showed, read from a
    results folder's reports (for the marking views, whose prompt shows `[eta]`). Empty for a
    problem without drawn params. The caller caches it (see the marking app's VariantTexts)."""
    from pathlib import Path

    index = Path(folder) / "_batch.json"
    try:
        manifest = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, str] = {}
    for entry in manifest.get("students", []):
        try:
            report = json.loads((Path(folder) / entry["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        params = (report.get("variant") or {}).get("params") if isinstance(report, dict) else None
        if params:
            out[entry["student"]] = ", ".join(f"{k} = {_short(v)}" for k, v in params.items())
    return out
