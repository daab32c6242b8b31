"""Regrading some students of a class into its results folder, in place.

`grader grade PROBLEM DIR --batch --out RESULTS --only ID...` grades the named students as the
whole batch would (same ids, same variants, same report file names) and rewrites their
reports and gradebook rows; every other student's row is rebuilt from their report and the
index, untouched. The folder ends up byte-identical to a full re-run with the same inputs.
And `grader grade PROBLEM FILE` names the student as the batch does (see student_for).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.errors import UsageError


def student_for(path: Path) -> str:
    """The id a batch gives this file or folder: a folder's name, a file's stem (its full name
    when another entry beside it has the same stem, as batch.discover does)."""
    name = path.resolve().name if path.name in ("", ".", "..") else path.name
    if path.is_dir():
        return name
    stem = Path(name).stem or name
    from grader.batch import IGNORED_SUFFIXES, SKIP_NAMES

    try:
        twins = [p for p in path.parent.iterdir() if p.name != name and not p.name.startswith(".")
                 and p.name not in SKIP_NAMES and not p.name.lower().endswith(IGNORED_SUFFIXES)
                 and (p.name if p.is_dir() else (p.stem or p.name)) == stem]
    except OSError:
        twins = []
    return name if twins else stem


def regrade_only(job, root: Path, entries: list, skipped: list[str], only: list[str], *,
                 out, csv, jobs: int):
    """Regrade the students `only` names; the rest of the results folder stays as it is. Returns
    the batch's ClassResult (every row, the files written, the students regraded)."""
    from grader import batch

    problem = job.problem
    if not out:
        raise UsageError("--only regrades into an existing results folder: give it with --out RESULTS")
    folder = Path(out)
    try:
        manifest = json.loads((folder / batch.MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{folder}: not a results folder of `grader grade --batch --out` "
                         f"({batch.MANIFEST} unreadable: {exc}); grade the whole class first") from None
    ids = [p.id for p in problem.parts]
    old_ids = [p.get("id") for p in manifest.get("parts", [])]
    if manifest.get("problem_id") != problem.id or old_ids != ids:
        raise UsageError(f"{folder}: graded with another problem or another version of its parts "
                         f"({manifest.get('problem_id')}: {', '.join(map(str, old_ids))}); re-run the "
                         f"whole batch instead of --only")
    by_id = {e.student: e for e in entries}
    unknown = [s for s in only if s not in by_id]
    if unknown:
        raise UsageError(f"--only: no submission for {', '.join(unknown)} in {root} "
                         f"(ids are file stems or folder names)")
    kept = {s["student"]: s for s in manifest.get("students", []) if s.get("student") not in set(only)}
    gone = sorted(set(kept) - set(by_id))
    if gone:
        raise UsageError(f"{folder}: student(s) {', '.join(gone[:10])} are in the results but not in {root}; "
                         f"re-run the whole batch")
    missing = sorted(set(by_id) - set(kept) - set(only))
    if missing:
        raise UsageError(f"{root}: student(s) {', '.join(missing[:10])} were never graded into {folder}; "
                         f"add them to --only or re-run the whole batch")
    names = batch.report_names(entries)  # exactly as a full run names them
    for sid, entry in kept.items():
        if entry.get("file") != names[sid]:
            raise UsageError(f"{folder}: {sid}'s report is {entry.get('file')}, not {names[sid]}; "
                             f"re-run the whole batch")
    job.reports = batch.ReportFolder(folder, names)  # not make(): the other reports stay
    chosen = [by_id[s] for s in sorted(set(only))]
    fresh = {o.student: o for o in batch.grade_class(job, chosen, jobs=jobs)}
    outcomes = [fresh[e.student] if e.student in fresh else _kept(folder, kept[e.student], problem)
                for e in entries]
    job.session.save_reference_cache()
    written = batch.write_outputs(problem, ids, outcomes, csv_path=csv, out_dir=str(folder), reports=job.reports)
    return batch.ClassResult(problem, outcomes, written, skipped, regraded=[fresh[s] for s in sorted(fresh)])


def _kept(folder: Path, entry: dict[str, Any], problem):
    """A student not regraded: their gradebook row rebuilt from their report and the index."""
    from grader.batch import Outcome

    status = entry.get("status")
    try:
        report = json.loads((folder / entry["file"]).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{folder}: {entry.get('student')}'s report cannot be read ({exc}); "
                         f"re-run the whole batch") from None
    parts = {p.get("id"): p for p in report.get("parts", [])}
    scores: list[float | None] = []
    for part in problem.parts:
        p = parts.get(part.id) or {}
        if status == "error" or (status == "graded" and p.get("status") == "error"):
            scores.append(None)
        else:
            scores.append(p.get("score"))
    extra: dict[str, Any] = {"manual": {p.id: (parts.get(p.id, {}).get("answer"), parts.get(p.id, {}).get("status"),
                                               parts.get(p.id, {}).get("feedback"))
                                        for p in problem.parts if p.kind.by_hand}}
    failed = [p.id for p in problem.parts if status == "graded" and (parts.get(p.id) or {}).get("status") == "error"]
    if failed:
        extra["failed_parts"] = failed
    if status == "error":
        extra = {}
    return Outcome(student=entry["student"], status=status, scores=scores, total=entry.get("total"),
                   note=entry.get("note") or "", report_json=None, extra=extra)
