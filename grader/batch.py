"""Grading a whole class: every submission under a folder, in parallel, into a gradebook.

One file or one sub-folder per student; the student id is the file's stem or the folder's
name. Every student gets a row, even when nothing of theirs could be read or their grading
crashed. The output depends only on the inputs (students sorted, relative sources, no
timestamps), so re-running gives the same bytes.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IGNORED_SUFFIXES = (".csv", ".yaml", ".yml")  # gradebooks, specs: not students
# alice.md is a student's answer sheet; README.md is not
README_SUFFIXES = (".md", ".tex")
SKIP_NAMES = {"__MACOSX", "__pycache__", "node_modules", ".ipynb_checkpoints"}
DEFAULT_TIMEOUT = 600.0  # seconds per student; code parts have their own, smaller limits
MANIFEST = "_batch.json"
GRADEBOOK = "gradebook.csv"


@dataclass(frozen=True)
class Entry:
    """One student's submission: a file or a folder directly under the class folder."""

    student: str
    path: Path
    folder: bool  # a folder of files (else one file), from the directory listing
    note: str = ""
    refused: str = ""  # why it is not read at all (a FIFO, a link out of the class folder...)

    @property
    def shown(self) -> str:
        return self.path.name + ("/" if self.folder else "")


@dataclass
class Outcome:
    """What grading one student gave: the gradebook row's data and the JSON report's text."""

    student: str
    status: str  # graded | unreadable | error
    scores: list[float | None]
    total: float | None
    note: str
    report_json: str
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- finding the students

def discover(root: Path, exclude: tuple[Path, ...] = ()) -> tuple[list[Entry], list[str]]:
    """(students sorted by id, names of the entries that were skipped and why).

    An entry that cannot be a student's own work (a FIFO, a device, a link out of the class
    folder or into another student's entry) is still a student: it gets a row saying why it
    was not read."""
    from grader.loaders.file_checks import refusal

    excluded = {p.resolve() for p in exclude}
    real_root = root.resolve()
    excluded_names = {p.name for p in excluded if p.parent == real_root}
    found: list[tuple[str, Path, bool]] = []
    skipped: list[str] = []
    with os.scandir(root) as listing:  # one directory read; no stat per student but for links
        children = sorted(listing, key=lambda e: e.name)
    for child in children:
        name = child.name
        if name.startswith(".") or name in SKIP_NAMES:
            continue
        if name in excluded_names or (child.is_symlink() and Path(child.path).resolve() in excluded):
            skipped.append(f"{name} (an output of this run)")
            continue
        if not child.is_dir() and (name.lower().endswith(IGNORED_SUFFIXES) or (
                name.lower().endswith(README_SUFFIXES) and name.lower().startswith("readme"))):
            skipped.append(f"{name} (not a submission: {Path(name).suffix} files are skipped)")
            continue
        why = ""
        if child.is_symlink():
            why = refusal(Path(child.path), (), within=root, within_name="the class folder") or _into_classmate(root, child)
        is_dir = child.is_dir()
        if not is_dir and not child.is_file():  # a FIFO, a device, a socket, a dangling link
            why = why or refusal(Path(child.path), ()) or f"{name}: not a file or a folder"
        found.append((name if is_dir else (Path(name).stem or name), Path(child.path), is_dir, why))
    counts: dict[str, int] = {}
    for sid, _, _, _ in found:
        counts[sid] = counts.get(sid, 0) + 1
    entries = []
    for sid, path, folder, why in found:
        refused = f"skipped: {why}" if why else ""
        if counts[sid] > 1:
            entries.append(Entry(path.name, path, folder, f"id taken from the full name: several "
                                                          f"entries are named '{sid}'", refused))
        else:
            entries.append(Entry(sid, path, folder, refused=refused))
    entries.sort(key=lambda e: e.student)
    return entries, skipped


def _into_classmate(root: Path, child: os.DirEntry) -> str:
    """A link to another entry of the class folder: that is a classmate's work, graded as theirs."""
    real_root = Path(os.path.realpath(root))
    try:
        first = Path(os.path.realpath(child.path)).relative_to(real_root).parts[0]
    except (ValueError, IndexError):
        return ""
    if first.startswith(".") or first in SKIP_NAMES or first == child.name:
        return ""
    return (f"{child.name}: a symbolic link to {first}, another entry of the class folder; "
            f"links are not followed: hand in the file itself")


def report_filename(student: str, taken: set[str]) -> str:
    """A safe, unique file name for a student's report: the id, sanitized, plus a hash if altered."""
    base = re.sub(r"[^A-Za-z0-9._@+-]", "_", student).lstrip(".")[:100] or "student"
    if base != student or base.lower() in taken or base + ".json" == MANIFEST:
        base = f"{base[:90]}-{hashlib.sha1(student.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    taken.add(base.lower())
    return base + ".json"


# ---------------------------------------------------------------- grading, in a worker

_STATE: dict[str, Any] = {}


def prepare(problem_path: str, timeout: float) -> None:
    """Load the problem and its solvers once per process (before forking, or in each worker)."""
    from grader.engine import grade  # noqa: F401  (imported now so forked workers start warm)
    from grader.loaders import load_submission  # noqa: F401
    from grader.solvers import load_solvers
    from grader.spec import load_problem

    if _STATE.get("path") != problem_path:
        problem = load_problem(problem_path)
        load_solvers(problem.folder)
        for part in problem.parts:
            part.kind  # noqa: B018  (loads the answer type's module)
        _warm(problem)
        _STATE.update(path=problem_path, problem=problem)
    _STATE["timeout"] = timeout


def _warm(problem) -> None:
    """Grade the reference answers once before forking, so every worker starts with the solver
    results and the common right answers already computed (each would otherwise redo them)."""
    from grader.engine import grade
    from grader.submission import Submission
    from grader.validate import reference_answers

    import encodings.utf_8_sig  # noqa: F401  (every worker reads submissions, writes reports)

    import grader.formats.json_report  # noqa: F401

    try:
        answers, _ = reference_answers(problem, None)
        grade(problem, Submission(source="reference", answers=answers))
        # and each part's first anticipated mistake: a wrong answer has every comparison set up
        # (the mistakes read, the random instances drawn, the reference evaluated there)
        grade(problem, Submission(source="mistakes", answers={**answers, **_first_mistakes(problem)}))
    except Exception:  # noqa: BLE001 - a broken solver shows up in each student's row instead
        pass


def _first_mistakes(problem) -> dict:
    from grader.solvers import Solvers, load_solvers, resolve_params

    module = load_solvers(problem.folder)
    solvers = Solvers(module, resolve_params(problem.params, problem.variant_key, None), problem.folder)
    out = {}
    for part in problem.parts:
        if not part.mistakes or not part.kind.judges_value:
            continue
        mistake = part.mistakes[0]
        try:
            ctx = part.context(problem.spec_source, solvers=module, params=solvers.params)
            value = solvers.call(mistake.solver, mistake.args, mistake.key) if mistake.solver else mistake.value
            out[part.id] = part.kind.example(part.kind.expected(value, ctx), ctx)
        except Exception:  # noqa: BLE001 - validate reports it; warming up skips it
            continue
    return out


def _worker_init(problem_path: str, timeout: float) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    prepare(problem_path, timeout)


def grade_entry(entry: Entry) -> Outcome:
    """Grade one student; any failure becomes that student's error row, never an exception."""
    from grader.engine import grade
    from grader.loaders import load_submission
    from grader.timelimit import TimeLimit, time_limit

    problem = _STATE["problem"]
    timeout = _STATE.get("timeout", DEFAULT_TIMEOUT)
    try:
        with time_limit(timeout):
            if entry.refused:  # never opened: it gets its row, every part 0, and the reason
                from grader.submission import Submission

                sub = Submission(source=entry.shown, student_id=entry.student, fatal=entry.refused)
            else:
                sub = load_submission(entry.path, entry.student, private=[problem.folder],
                                      hide=_STATE.get("private", ()))
            try:
                report = grade(problem, sub)
            finally:
                sub.close()
    except TimeLimit:
        return error_outcome(problem, entry, f"grading took longer than {timeout:g} s and was stopped")
    except RecursionError:
        return error_outcome(problem, entry, "grading failed: the submission is nested too deeply")
    except MemoryError:
        return error_outcome(problem, entry, "grading failed: out of memory")
    except Exception as exc:  # the grader's bug, not the student's: keep the row, say what broke
        return error_outcome(problem, entry, f"grading failed (internal error): {type(exc).__name__}: {exc}")
    return _outcome(report, entry)


def _outcome(report, entry: Entry) -> Outcome:
    from grader.types import capabilities

    report.source = entry.shown  # relative: the same bytes wherever the class folder lives
    report.student = entry.student
    failed: list[str] = []
    if report.fatal:
        status, note = "unreadable", report.fatal
        scores: list[float | None] = [p.score for p in report.parts]
    else:
        status, note = "graded", "; ".join(report.messages)
        # a part the grader failed on is blank (not graded), not 0; the rest of the row stands
        failed = [p.id for p in report.parts if p.status == "error"]
        scores = [None if p.status == "error" else p.score for p in report.parts]
        if failed:
            said = "; ".join(f"part {p.id} {_short(p.feedback)}" for p in report.parts if p.status == "error")
            note = f"{said}; {note}" if note else said
    if entry.note:
        note = f"{entry.note}; {note}" if note else entry.note
    extra: dict = {"manual": {p.id: (p.answer, p.status, p.feedback) for p in report.parts
                              if capabilities(p.type).by_hand}}  # for the gradebook database
    if failed:
        extra["failed_parts"] = failed
    return Outcome(student=entry.student, status=status, scores=scores, total=report.score, note=note,
                   report_json=_report_text(entry, report), extra=extra)


def _short(feedback: str) -> str:
    """The first sentence of a part's error feedback (what failed), for the gradebook's note."""
    head = feedback.split(". ", 1)[0]
    return head if len(head) <= 200 else head[:197] + "..."


def _report_text(entry: Entry, report) -> str:
    """The report as JSON; written straight into --out by the worker when there is one (in
    parallel, and nothing large crosses back to the parent), else returned."""
    from grader.formats.json_report import pretty_report

    text = pretty_report(report)  # indented: `diff -r` of two runs shows the change per part
    target = _STATE.get("reports")
    if target is None:
        return text
    folder, names = target
    if entry.student not in names:  # graded outside run_batch's class: the caller writes it
        return text
    # Plain write, not tmp+rename: a run that dies is re-run; the index (_batch.json), written
    # last and atomically, lists only the reports of a finished run.
    with open(folder / names[entry.student], "wb") as fh:
        fh.write(text.encode("utf-8", "backslashreplace"))  # a file name's undecodable bytes
    return ""


def error_outcome(problem, entry: Entry, reason: str) -> Outcome:
    """A student whose grading failed: no grades (blank, not 0) and the reason, in every output."""
    from grader.report import PartResult, Report
    from grader.templates import placeholders  # no variant was graded: [name] for its numbers

    parts = [PartResult(id=p.id, title=placeholders(p.title), type=p.type, max_score=p.points, score=0.0,
                        status="error", feedback=f"not graded: {reason}", visibility=p.visibility)
             for p in problem.parts]
    report = Report(problem_id=problem.id, title=problem.title, student=entry.student,
                    source=entry.shown, score=0.0, max_score=round(problem.total + 0.0, 6),
                    parts=parts, fatal=reason)
    note = f"{entry.note}; {reason}" if entry.note else reason
    return Outcome(student=entry.student, status="error", scores=[None] * len(parts), total=None,
                   note=note, report_json=_report_text(entry, report))


# ---------------------------------------------------------------- the whole class

def grade_class(problem_path: str, entries: list[Entry], *, jobs: int, timeout: float = DEFAULT_TIMEOUT,
                progress=None) -> list[Outcome]:
    """Every entry graded in `jobs` worker processes; outcomes sorted by student id."""
    from grader.batch_pool import Lost, mp_context, run_all

    prepare(problem_path, timeout)
    forked = mp_context().get_start_method() == "fork"
    if forked:  # what the workers inherit stays out of their garbage collections: no copy-on-write
        gc.freeze()
    results = run_all(
        entries, key=lambda e: e.student, work=grade_entry, jobs=jobs,
        hard_timeout=timeout + 30.0, on_done=(progress.advance if progress else lambda: None),
        initializer=None if forked else _worker_init, initargs=() if forked else (problem_path, timeout),
    )
    problem = _STATE["problem"]
    outcomes = []
    for entry in entries:
        got = results.get(entry.student, Lost("not graded (internal error)"))
        if isinstance(got, Lost):
            got = error_outcome(problem, entry, got.reason)
        outcomes.append(got)
    return outcomes


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run_batch(args: argparse.Namespace) -> int:
    """`grader grade PROBLEM DIR --batch`: exit 0 when every student has a row, 2 on spec errors."""
    from grader.errors import UsageError
    from grader.progress import Progress

    root = Path(args.submission)
    if not root.exists():
        raise UsageError(f"{root}: no such folder")
    if not root.is_dir():
        raise UsageError(f"{root}: --batch needs a folder holding one file or sub-folder per student")
    jobs = args.jobs if args.jobs and args.jobs > 0 else default_jobs()
    timeout = float(getattr(args, "timeout", None) or DEFAULT_TIMEOUT)
    problem_path = str(args.problem)
    prepare(problem_path, timeout)  # spec errors stop here, before any worker starts (exit 2)
    problem = _STATE["problem"]
    outputs = tuple(Path(p) for p in (args.out, args.csv) if p)
    # Classmates' files and their reports are as private as the problem: where student code
    # gets no whitelist root (root without CAP_SYS_ADMIN) these folders lose "other" access.
    _STATE["private"] = tuple(str(p) for p in (root, args.out) if p)
    entries, skipped = discover(root, outputs)
    from grader.printable import for_terminal

    for line in skipped:
        print(f"grader grade --batch: skipped {for_terminal(line)}", file=sys.stderr)
    if getattr(args, "only", None):  # some students, into an existing results folder
        from grader.regrade import run_only

        return run_only(args, root, problem, entries, args.only)
    _STATE["reports"] = _report_folder(Path(args.out), entries) if args.out else None
    show = not args.no_progress and sys.stderr.isatty()
    bar = Progress(len(entries), enabled=show)
    try:
        outcomes = grade_class(problem_path, entries, jobs=jobs, timeout=timeout, progress=bar)
    finally:
        bar.close()
    part_ids = [p.id for p in problem.parts]
    written = write_outputs(problem, part_ids, outcomes, csv_path=args.csv, out_dir=args.out)
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("graded", "unreadable", "error")}
    summary = (f"{len(outcomes)} student(s): {counts['graded']} graded, {counts['unreadable']} unreadable, "
               f"{counts['error']} not graded (errors)")
    partly = part_failures(outcomes)
    if partly:
        summary += "; " + partly
    if written:
        print(f"grader grade --batch: {summary}; wrote {', '.join(map(str, written))}", file=sys.stderr)
    else:
        sys.stdout.write(summary_table(problem, outcomes) + summary + "\n")  # escaped: no surrogate
    return 0


def part_failures(outcomes: list[Outcome]) -> str:
    """'N part(s) of M graded student(s) not graded: part 2.1 (N), ...' for the summary line."""
    per_part: dict[str, int] = {}
    students = 0
    for o in outcomes:
        failed = o.extra.get("failed_parts") or []
        students += bool(failed)
        for pid in failed:
            per_part[pid] = per_part.get(pid, 0) + 1
    if not per_part:
        return ""
    listed = ", ".join(f"part {pid} ({n})" for pid, n in per_part.items())
    return (f"{sum(per_part.values())} part(s) of {students} graded student(s) not graded because the "
            f"grader failed on them, left blank: {listed} (see the note column)")


def write_outputs(problem, part_ids: list[str], outcomes: list[Outcome], *, csv_path: str | None,
                  out_dir: str | None) -> list[Path]:
    from grader.gradebook import write_gradebook

    rows = [_row(o) for o in outcomes]
    written: list[Path] = []
    if csv_path:
        written.append(write_gradebook(csv_path, part_ids, rows))
    if out_dir:
        written.extend(write_results_folder(Path(out_dir), problem, part_ids, outcomes, rows))
    return written


def _row(o: Outcome):
    from grader.gradebook import Row

    return Row(student=o.student, status=o.status, scores=o.scores, total=o.total, note=o.note)


def write_results_folder(folder: Path, problem, part_ids: list[str], outcomes: list[Outcome],
                         rows) -> list[Path]:
    """gradebook.csv, one <student>.json per student and _batch.json (the index the report reads)."""
    from grader.gradebook import write_gradebook
    from grader.templates import placeholders  # class-wide titles: [name] for a student's number

    target = _STATE.get("reports")
    if target is None or target[0] != folder:
        target = _report_folder(folder, outcomes)
    names = target[1]
    students = []
    for o in outcomes:
        name = names[o.student]
        if o.report_json:  # not already written by the worker
            _write_text(folder / name, o.report_json)
        students.append({"student": o.student, "file": name, "status": o.status,
                         "total": o.total, "note": o.note})
    manifest = {
        "problem_id": problem.id, "title": problem.title, "max_score": round(problem.total + 0.0, 6),
        "parts": [{"id": p.id, "title": placeholders(p.title), "type": p.type, "max_score": p.points}
                  for p in problem.parts],
        "gradebook": GRADEBOOK, "students": students,
    }
    from grader.formats.json_report import dumps

    _write_text(folder / MANIFEST, dumps(manifest, compact=True))  # for tools: a class is long
    written = [write_gradebook(folder / GRADEBOOK, part_ids, rows), folder]
    from grader.gradebook_views import after_batch

    after_batch(folder, problem, outcomes)  # the database; manual marks laid back over the new files
    return written


def _report_folder(folder: Path, students) -> tuple[Path, dict[str, str]]:
    """Make the --out folder ready (an earlier run's reports removed) and name every report."""
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = {GRADEBOOK.lower()}
    names = {s.student: report_filename(s.student, taken) for s in students}
    _remove_stale(folder, keep=set(names.values()))
    return folder, names


def _remove_stale(folder: Path, keep: set[str]) -> None:
    """An earlier run into the same folder: its index goes first (a run that dies leaves no
    index, so no half-old class is taken for a result), then the reports of students who are
    no longer in the class. The others are overwritten in place."""
    index = folder / MANIFEST
    if not index.is_file():
        return
    try:
        old = json.loads(index.read_text(encoding="utf-8"))
        names = [s["file"] for s in old.get("students", [])]
    except (OSError, ValueError, TypeError, KeyError):
        names = []
    try:
        index.unlink()
    except OSError:
        pass
    for name in names:
        if (isinstance(name, str) and "/" not in name and name.endswith(".json") and name != MANIFEST
                and name not in keep):
            try:
                (folder / name).unlink()
            except OSError:
                pass


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
        fh.write(text)
    tmp.replace(path)


def summary_table(problem, outcomes: list[Outcome]) -> str:
    """Student, total and status per line, for a terminal (no --csv or --out given)."""
    from grader.gradebook import format_score
    from grader.printable import for_terminal

    shown = {o.student: for_terminal(o.student) for o in outcomes}  # ESC, CR... never obeyed
    width = max([7] + [len(s) for s in shown.values()])
    lines = [f"{problem.id}: {problem.title}", "",
             f"{'student':<{width}}  {'total':>9}  {'status':<10}  note", "-" * (width + 40)]
    for o in outcomes:
        total = f"{format_score(o.total) or '-'}/{format_score(problem.total)}"
        note = for_terminal(" ".join(o.note.split()))
        note = note if len(note) <= 70 else note[:67] + "..."
        lines.append(f"{shown[o.student]:<{width}}  {total:>9}  {o.status:<10}  {note}".rstrip())
    graded = [o.total for o in outcomes if o.status != "error" and o.total is not None]
    lines.append("")
    if graded:
        mean = sum(graded) / len(graded)
        lines.append(f"mean total: {format_score(mean)} / {format_score(problem.total)} "
                     f"over {len(graded)} student(s)")
    return "\n".join(lines) + "\n"
