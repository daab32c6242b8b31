"""Proving a problem right before students see it: the reference scores full marks, each
declared mistake scores what it declares, and each example submission scores what it declares."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.engine import grade
from grader.errors import SpecError
from grader.reference import References
from grader.session import GradingSession
from grader.solvers import STUDENT_VALUE_SECONDS, Rejected, SolverError
from grader.spec import Part, Problem, load_problem, read_yaml
from grader.submission import Submission
from grader.types import Invalid


@dataclass
class Validation:
    """What validating a problem found: errors make it invalid, notes are for the instructor."""

    problem: Problem
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Valid when no errors were found (notes do not count)."""
        return not self.errors


def _check_prose(problem: Problem, result: Validation, session: GradingSession) -> None:
    """Warn when a title, prompt, assumption, hint or feedback states a part's answer."""
    from grader.prose_leaks import prose_leaks

    try:
        leaks = prose_leaks(problem, session=session)
    except Exception as exc:  # noqa: BLE001 - a warning pass never sinks the validation
        result.notes.append(f"warning: the prose could not be checked for stated answers ({exc})")
        return
    result.notes.extend(f"warning: {leak}; move it to `solution:` (shown after the due date)"
                        for leak in leaks)


def examples_dir(problem: Problem) -> Path:
    """submissions_example/<id>/ beside the problems folder: the examples validate grades."""
    return problem.folder.parent.parent / "submissions_example" / problem.id


def validate(problem_ref: str | Path, *, variants: int | None = None,
             session: GradingSession | None = None) -> Validation:
    """Prove a problem right, under `variants` students' drawn params (default DEFAULT_VARIANTS;
    0: the default variant only); the reference results it computes are persisted (see
    grader.reference_cache) when the problem validates."""
    from grader.variants import DEFAULT_VARIANTS

    problem = load_problem(problem_ref)
    result = Validation(problem)
    session = session if session is not None else GradingSession()
    session.keys(problem)  # solver.py imports, or the spec error says why not
    _check_reference(problem, None, result, session)
    if not result.errors:
        _check_carry_solvers(problem, None, result, session)
    if not result.errors:
        _check_variants(problem, DEFAULT_VARIANTS if variants is None else variants, result, session)
    _check_examples(problem, result, session)
    _check_prose(problem, result, session)
    if result.ok:
        from grader import reference_cache

        reference_cache.save(session.keys(problem).solver)
    return result


def _check_variants(problem: Problem, n: int, result: Validation, session: GradingSession) -> None:
    """Every solver and code reference under n students' params (grader.variants)."""
    from grader.variants import check_variants

    path, declared = read_expected(problem)
    examples = {str(name): (path.parent / str(name), want) for name, want in declared.items()
                if isinstance(want, dict) and want.get("variants") is True and (path.parent / str(name)).exists()}
    check = check_variants(problem, n, examples, session=session)
    result.errors.extend(f"variants: {e}" for e in check.summary())
    if problem.has_draws:
        result.notes.append(f"variants: {check.variants} distinct parameter set(s) checked"
                            + (f" ({len(examples)} example(s) graded in each)" if examples else ""))
        if problem.seed is None:
            result.notes.append(
                f"warning: {problem.spec_file}: params are drawn per student but the spec has no `seed:`; "
                f"add `seed: {problem.id}` (top level) so that renaming or copying the problem keeps "
                f"every student's variant (with that value they stay what they are today)")


def _check_reference(problem: Problem, student: str | None, result: Validation, session: GradingSession) -> None:
    who = f" (variant of student {student})" if student else ""
    answers, errors = References(problem, session, student).answers()
    result.errors.extend(e + who for e in errors)
    report = grade(problem, Submission(source="reference", answers=dict(answers), student_id=student),
                   session=session)
    for part in report.parts:
        if part.id in answers and part.status != "correct":
            result.errors.append(f"part {part.id}: the reference answer scores {part.score:g}/{part.max_score:g}"
                                 f"{who}: {part.feedback}")
    if student is None:
        auto = sum(p.max_score for p in report.parts if p.id in answers)
        result.notes.append(f"reference answers score {report.score:g} of the {auto:g} points graded "
                            f"from answers ({report.manual_points:g} manual, "
                            f"{round(problem.total - auto - report.manual_points, 6) + 0.0:g} from code parts)")
        _check_mistakes(problem, answers, result, session)


def _check_carry_solvers(problem: Problem, student: str | None, result: Validation,
                         session: GradingSession) -> None:
    """A carry_forward solver fed the reference answers of the parts it uses must give the part's
    reference answer; else students' carried errors would be judged by another key than theirs."""
    refs = References(problem, session, student)
    who = f" (variant of student {student})" if student else ""
    for part in problem.parts:
        if part.carry_answer is None:
            continue
        name = part.carry_answer["solver"]
        where = f"{problem.spec_file}:{part.line}: part {part.id}: carry_forward solver {name}()"
        ctx = refs.context(part)
        try:
            got, expected = _carry_of_reference(part, refs, ctx)
        except (SolverError, Rejected, Invalid) as exc:
            result.errors.append(f"{where}{who}: {exc}")
            continue
        verdict = part.kind.compare(got, expected, ctx)
        if verdict.fraction < 1:
            used = ", ".join(dict.fromkeys(part.uses.values()))
            result.errors.append(
                f"{where}{who}: fed the reference answer of part {used}, it gives "
                f"{part.kind.show(got, ctx)}, not this part's reference answer "
                f"{part.kind.show(expected, ctx)} ({verdict.message})")


def _carry_of_reference(part: Part, refs: References, ctx) -> tuple[Any, Any]:
    """(what the carry_forward solver makes of the reference answers, the reference answer),
    both as the engine compares them (after the part's transform, if any)."""
    refs.solvers.function(part.carry_answer["solver"])  # a missing function, named as such
    uses = refs.uses(part)
    expected = refs.expected(part, ctx, uses)
    got = part.kind.expected(refs.raw(part.carry_answer, uses, seconds=STUDENT_VALUE_SECONDS), ctx)
    if part.transform:
        return refs.transformed(part, ctx, got), refs.transformed(part, ctx, expected)
    return got, expected


def _check_mistakes(problem: Problem, answers: dict[str, Any], result: Validation, session: GradingSession) -> None:
    refs = References(problem, session)
    for part in problem.parts:
        if part.id not in answers:
            continue
        ctx = refs.context(part)
        for i, mistake in enumerate(part.mistakes):
            label = f"part {part.id}, mistake {i + 1}"
            try:
                data = part.kind.example(part.kind.expected(refs.mistake_value(mistake), ctx), ctx)
            except Exception as exc:  # the instructor's spec: report, don't crash
                result.errors.append(f"{label}: cannot be computed: {exc}")
                continue
            trial = dict(answers)
            trial[part.id] = data
            # Parts that carry this one forward would shift too: grade only this part's mark.
            report = grade(problem, Submission(source="mistake", answers=trial), session=session)
            mark = next(p for p in report.parts if p.id == part.id)
            want = round(part.points * mistake.credit, 6)
            if mark.status == "correct" and mistake.credit < 1:
                result.errors.append(f"{label}: equals the reference answer (it scores full marks)")
            elif not math.isclose(mark.score, want, abs_tol=1e-6):
                result.errors.append(f"{label}: scores {mark.score:g}, not the declared {want:g} "
                                     f"({mark.feedback})")


def read_expected(problem: Problem) -> tuple[Path, dict[str, Any]]:
    """(expected.yaml's path, the score it declares per example file), {} when there is none."""
    folder = examples_dir(problem)
    path = folder / "expected.yaml"
    if not path.exists():
        return path, {}
    data, _ = read_yaml(path)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: must map file names to {{score: N, parts: {{id: score}}}}")
    return path, data


def grade_example(problem: Problem, file: Path, student: str | None, session: GradingSession | None = None):
    """An example submission's report, graded as the student `student` (None: the defaults)."""
    from grader.loaders import load_submission

    sub = load_submission(file, student, private=[problem.folder])
    try:
        return grade(problem, sub, session=session)
    finally:
        sub.close()


def not_full_marks(report, detail: bool = False) -> str:
    """'2: 0 (incorrect); 3: 0.5 (partial)': the parts of a report short of full marks."""
    return "; ".join(f"{p.id}: {p.score:g} ({p.status}" + (f": {p.feedback[:120]})" if detail else ")")
                     for p in report.parts if p.status not in ("correct", "manual"))


def _check_examples(problem: Problem, result: Validation, session: GradingSession) -> None:
    path, declared = read_expected(problem)
    if not declared:
        result.notes.append(f"no example submissions declared in {path}")
        return
    for name, want in declared.items():
        if not isinstance(want, dict):
            want = {"score": want}
        file = path.parent / str(name)
        if not file.exists():
            result.errors.append(f"{path}: example '{name}' does not exist")
            continue
        report = grade_example(problem, file, want.get("student"), session)
        score = want.get("score")
        if score is not None and not math.isclose(report.score, float(score), abs_tol=1e-6):
            wrong = not_full_marks(report)
            result.errors.append(f"{path.name}: {name} scores {report.score:g}, declared {score:g} "
                                 f"[not full marks: {wrong}]")
        for pid, pscore in (want.get("parts") or {}).items():
            mark = next((p for p in report.parts if p.id == str(pid)), None)
            if mark is None:
                result.errors.append(f"{path.name}: {name}: no part '{pid}'")
            elif not math.isclose(mark.score, float(pscore), abs_tol=1e-6):
                result.errors.append(f"{path.name}: {name}: part {pid} scores {mark.score:g}, declared "
                                     f"{pscore:g} ({mark.feedback})")
        result.notes.append(f"example {name}: {report.score:g}/{report.max_score:g}"
                            + (" (as declared)" if score is not None else ""))
