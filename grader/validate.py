"""Proving a problem right before students see it: the reference scores full marks, each
declared mistake scores what it declares, and each example submission scores what it declares."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.engine import _expected, _raw_value, _reference_data, _transformed, grade
from grader.errors import SpecError
from grader.solvers import STUDENT_VALUE_SECONDS, Rejected, SolverError, Solvers, load_solvers, resolve_params
from grader.spec import Part, Problem, load_problem, order_by_uses, read_yaml
from grader.submission import Submission
from grader.types import Invalid


@dataclass
class Validation:
    problem: Problem
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _check_prose(problem: Problem, result: Validation) -> None:
    """Warn when a title, prompt, assumption, hint or feedback states a part's answer."""
    from grader.prose_leaks import prose_leaks

    try:
        leaks = prose_leaks(problem)
    except Exception as exc:  # noqa: BLE001 - a warning pass never sinks the validation
        result.notes.append(f"warning: the prose could not be checked for stated answers ({exc})")
        return
    result.notes.extend(f"warning: {leak}; move it to `solution:` (shown after the due date)"
                        for leak in leaks)


def examples_dir(problem: Problem) -> Path:
    return problem.folder.parent.parent / "submissions_example" / problem.id


def validate(problem_ref: str | Path, variants: int | None = None) -> Validation:
    """`variants`: how many students' drawn params to prove (default DEFAULT_VARIANTS; 0: the
    default variant only)."""
    from grader.variants import DEFAULT_VARIANTS

    problem = load_problem(problem_ref)
    result = Validation(problem)
    load_solvers(problem.folder)
    _check_reference(problem, None, result)
    if not result.errors:
        _check_carry_solvers(problem, None, result)
    if not result.errors:
        _check_variants(problem, DEFAULT_VARIANTS if variants is None else variants, result)
    _check_examples(problem, result)
    _check_prose(problem, result)
    if result.ok:
        from grader.solvers import save_reference_cache

        save_reference_cache(problem.folder)
    return result


def _check_variants(problem: Problem, n: int, result: Validation) -> None:
    """Every solver and code reference under n students' params (grader.variants)."""
    from grader.variants import check_variants

    path, declared = read_expected(problem)
    examples = {str(name): (path.parent / str(name), want) for name, want in declared.items()
                if isinstance(want, dict) and want.get("variants") is True and (path.parent / str(name)).exists()}
    check = check_variants(problem, n, examples)
    result.errors.extend(f"variants: {e}" for e in check.summary())
    if problem.has_draws:
        result.notes.append(f"variants: {check.variants} distinct parameter set(s) checked"
                            + (f" ({len(examples)} example(s) graded in each)" if examples else ""))
        if problem.seed is None:
            result.notes.append(
                f"warning: {problem.spec_file}: params are drawn per student but the spec has no `seed:`; "
                f"add `seed: {problem.id}` (top level) so that renaming or copying the problem keeps "
                f"every student's variant (with that value they stay what they are today)")


def reference_answers(problem: Problem, student: str | None) -> tuple[dict[str, Any], list[str]]:
    """The reference answer of every auto-graded part, as a student would submit it."""
    module = load_solvers(problem.folder)
    solvers = Solvers(module, resolve_params(problem.params, problem.variant_key, student), problem.folder)
    answers: dict[str, Any] = {}
    errors: list[str] = []
    for part in order_by_uses(problem.parts):
        if not part.kind.judges_value:
            continue
        ctx = part.context(str(problem.spec_file), solvers=module, params=solvers.params)
        try:
            uses = {arg: _reference_data(other, problem, solvers) for arg, other in part.uses.items()}
            answers[part.id] = part.kind.example(_expected(part, ctx, solvers, uses), ctx)
        except SolverError as exc:
            errors.append(f"part {part.id}: {exc}")
    return answers, errors


def _check_reference(problem: Problem, student: str | None, result: Validation) -> None:
    who = f" (variant of student {student})" if student else ""
    answers, errors = reference_answers(problem, student)
    result.errors.extend(e + who for e in errors)
    report = grade(problem, Submission(source="reference", answers=dict(answers), student_id=student))
    for part in report.parts:
        if part.id in answers and part.status != "correct":
            result.errors.append(f"part {part.id}: the reference answer scores {part.score:g}/{part.max_score:g}"
                                 f"{who}: {part.feedback}")
    if student is None:
        auto = sum(p.max_score for p in report.parts if p.id in answers)
        result.notes.append(f"reference answers score {report.score:g} of the {auto:g} points graded "
                            f"from answers ({report.manual_points:g} manual, "
                            f"{round(problem.total - auto - report.manual_points, 6) + 0.0:g} from code parts)")
        _check_mistakes(problem, answers, result)


def _check_carry_solvers(problem: Problem, student: str | None, result: Validation) -> None:
    """A carry_forward solver fed the reference answers of the parts it uses must give the part's
    reference answer; else students' carried errors would be judged by another key than theirs."""
    module = load_solvers(problem.folder)
    solvers = Solvers(module, resolve_params(problem.params, problem.variant_key, student), problem.folder)
    who = f" (variant of student {student})" if student else ""
    for part in problem.parts:
        if part.carry_answer is None:
            continue
        name = part.carry_answer["solver"]
        where = f"{problem.spec_file}:{part.line}: part {part.id}: carry_forward solver {name}()"
        ctx = part.context(str(problem.spec_file), solvers=module, params=solvers.params)
        try:
            got, expected = _carry_of_reference(part, problem, solvers, ctx)
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


def _carry_of_reference(part: Part, problem: Problem, solvers: Solvers, ctx) -> tuple[Any, Any]:
    """(what the carry_forward solver makes of the reference answers, the reference answer),
    both as the engine compares them (after the part's transform, if any)."""
    solvers.function(part.carry_answer["solver"])  # a missing function, named as such
    uses = {arg: _reference_data(other, problem, solvers) for arg, other in part.uses.items()}
    expected = _expected(part, ctx, solvers, uses)
    value = _raw_value(part.carry_answer, solvers, uses, seconds=STUDENT_VALUE_SECONDS)
    got = part.kind.expected(value, ctx)
    if part.transform:
        return _transformed(part, ctx, solvers, got), _transformed(part, ctx, solvers, expected)
    return got, expected


def _check_mistakes(problem: Problem, answers: dict[str, Any], result: Validation) -> None:
    module = load_solvers(problem.folder)
    solvers = Solvers(module, resolve_params(problem.params, problem.variant_key, None), problem.folder)
    for part in problem.parts:
        if part.id not in answers:
            continue
        ctx = part.context(str(problem.spec_file), solvers=module, params=solvers.params)
        for i, mistake in enumerate(part.mistakes):
            label = f"part {part.id}, mistake {i + 1}"
            try:
                value = solvers.call(mistake.solver, mistake.args, mistake.key) if mistake.solver else mistake.value
                data = part.kind.example(part.kind.expected(value, ctx), ctx)
            except Exception as exc:  # the instructor's spec: report, don't crash
                result.errors.append(f"{label}: cannot be computed: {exc}")
                continue
            trial = dict(answers)
            trial[part.id] = data
            # Parts that carry this one forward would shift too: grade only this part's mark.
            report = grade(problem, Submission(source="mistake", answers=trial))
            mark = next(p for p in report.parts if p.id == part.id)
            want = round(part.points * mistake.credit, 6)
            if mark.status == "correct" and mistake.credit < 1:
                result.errors.append(f"{label}: equals the reference answer (it scores full marks)")
            elif not math.isclose(mark.score, want, abs_tol=1e-6):
                result.errors.append(f"{label}: scores {mark.score:g}, not the declared {want:g} "
                                     f"({mark.feedback})")


def read_expected(problem: Problem) -> tuple[Path, dict[str, Any]]:
    folder = examples_dir(problem)
    path = folder / "expected.yaml"
    if not path.exists():
        return path, {}
    data, _ = read_yaml(path)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: must map file names to {{score: N, parts: {{id: score}}}}")
    return path, data


def grade_example(problem: Problem, file: Path, student: str | None):
    """An example submission's report, graded as the student `student` (None: the defaults)."""
    from grader.loaders import load_submission

    sub = load_submission(file, student, private=[problem.folder])
    try:
        return grade(problem, sub)
    finally:
        sub.close()


def not_full_marks(report, detail: bool = False) -> str:
    """'2: 0 (incorrect); 3: 0.5 (partial)': the parts of a report short of full marks."""
    return "; ".join(f"{p.id}: {p.score:g} ({p.status}" + (f": {p.feedback[:120]})" if detail else ")")
                     for p in report.parts if p.status not in ("correct", "manual"))


def _check_examples(problem: Problem, result: Validation) -> None:
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
        report = grade_example(problem, file, want.get("student"))
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
