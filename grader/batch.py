"""Grading a whole class: every submission under a folder, in parallel, into a gradebook.

One file or one sub-folder per student; the student id is the file's stem or the folder's
name. Every student gets a row, even when nothing of theirs could be read or their grading
crashed. The output depends only on the inputs (students sorted, relative sources, no
timestamps), so re-running gives the same bytes.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import math
import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# what grading each student runs, imported once: an import statement costs about as much as
# grading a part whose answer was graded before, and a worker grades a thousand students
from grader import engine
from grader.formats.json_report import pretty_report
from grader.gradebook import Row, format_score, join_lines, row_line, write_text
from grader.gradebook_db import student_rows
from grader.loaders import load_submission
from grader.timelimit import TimeLimit, time_limit

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
        """The entry's name as messages show it (a folder with a trailing '/')."""
        return self.path.name + ("/" if self.folder else "")


@dataclass
class Outcome:
    """What grading one student gave: the gradebook row's data and the JSON report's text."""

    student: str
    status: str  # graded | unreadable | error
    scores: list[float | None]
    total: float | None
    note: str
    report_json: bytes | None  # the JSON report file's bytes; None when the worker wrote it into the results folder
    extra: dict[str, Any] = field(default_factory=dict)
    # made by the worker that graded the student (see with_rows): its gradebook.csv line and its
    # rows of the database's results table (gradebook_db.student_rows: flat)
    gradebook_row: str | None = None
    db_rows: tuple | None = None


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
        path = root / name  # (one pathlib parse of the name, not of the whole path: a class is long)
        if child.is_symlink():
            why = refusal(path, (), within=root, within_name="the class folder") or _into_classmate(root, child)
        is_dir = child.is_dir()
        if not is_dir and not child.is_file():  # a FIFO, a device, a socket, a dangling link
            why = why or refusal(path, ()) or f"{name}: not a file or a folder"
        found.append((name if is_dir else (_stem(name) or name), path, is_dir, why))
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


def _stem(name: str) -> str:
    """Path(name).stem, for a name with no '/' (a directory entry's)."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


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


def report_names(students) -> dict[str, str]:
    """Each student's report file name in a results folder (they depend on the whole class:
    two ids that differ only in case, or that clash with the gradebook, are told apart)."""
    taken: set[str] = {GRADEBOOK.lower()}
    return {s.student: report_filename(s.student, taken) for s in students}


# ---------------------------------------------------------------- grading, in a worker

@dataclass(frozen=True)
class ReportFolder:
    """The results folder (--out) and the file name of each student's report in it."""

    path: Path
    names: dict[str, str]

    @classmethod
    def make(cls, folder: Path, students) -> "ReportFolder":
        """Make the folder ready (an earlier run's reports removed) and name every report."""
        folder.mkdir(parents=True, exist_ok=True)
        names = report_names(students)
        _remove_stale(folder, keep=set(names.values()))
        return cls(folder, names)

    def write(self, student: str, data: bytes) -> bool:
        """Write a student's report (pretty_report's bytes); False for a student outside the
        class it was made for.
        Plain write, not tmp+rename: a run that dies is re-run; the index (_batch.json), written
        last and atomically, lists only the reports of a finished run."""
        name = self.names.get(student)
        if name is None:
            return False
        with open(os.path.join(self.path, name), "wb") as fh:  # (a str: no Path made per student)
            fh.write(data)
        return True


@dataclass
class ClassJob:
    """Everything grading one student of a class needs, handed to each worker explicitly.

    Forked workers inherit the prepared job (problem, warm grading session); a spawned worker
    gets it pickled without them and prepares its own (see __getstate__)."""

    problem_path: str
    timeout: float = DEFAULT_TIMEOUT
    private: tuple[str, ...] = ()  # folders student code must not read (the class, the results)
    reports: ReportFolder | None = None  # where workers write reports (else they return them)
    problem: Any = None
    session: Any = None

    def prepare(self) -> "ClassJob":
        """Load the problem and its solvers, and warm the session up (once, before forking)."""
        if self.problem is None:
            from grader.session import GradingSession
            from grader.spec import load_problem

            self.problem = load_problem(self.problem_path)
            self.session = self.session if self.session is not None else GradingSession()
            self.session.keys(self.problem)  # solver.py imported: a broken one stops here (exit 2)
            for part in self.problem.parts:
                part.kind  # noqa: B018  (loads the answer type's module)
            _warm(self.problem, self.session)
        return self

    def __getstate__(self) -> dict:
        state = {**vars(self), "problem": None, "session": None}
        state.pop("manual_types", None)  # the problem's: the worker that loads it makes its own
        return state

    @functools.cached_property
    def hidden(self) -> tuple[Path, ...]:
        """The private folders as Paths, made once (each student's submission lists them)."""
        return tuple(Path(p) for p in self.private)

    @functools.cached_property
    def manual_types(self) -> frozenset[str]:
        """The problem's answer types graded by hand (whose answers the gradebook database keeps)."""
        from grader.types import capabilities

        return frozenset(p.type for p in self.prepare().problem.parts if capabilities(p.type).by_hand)

    def grade(self, entry: Entry) -> Outcome:
        """Grade one student; any failure becomes that student's error row, never an exception."""
        self.prepare()
        problem, timeout = self.problem, self.timeout
        try:
            with time_limit(timeout):
                if entry.refused:  # never opened: it gets its row, every part 0, and the reason
                    from grader.submission import Submission

                    sub = Submission(source=entry.shown, student_id=entry.student, fatal=entry.refused)
                else:
                    sub = load_submission(entry.path, entry.student, private=[problem.folder], hide=self.hidden)
                try:
                    report = engine.grade(problem, sub, session=self.session)
                finally:
                    sub.close()
        except TimeLimit:
            return self.error(entry, f"grading took longer than {timeout:g} s and was stopped")
        except RecursionError:
            return self.error(entry, "grading failed: the submission is nested too deeply")
        except MemoryError:
            return self.error(entry, "grading failed: out of memory")
        except Exception as exc:  # the grader's bug, not the student's: keep the row, say what broke
            return self.error(entry, f"grading failed (internal error): {type(exc).__name__}: {exc}")
        report.source = entry.shown  # relative: the same bytes wherever the class folder lives
        report.student = entry.student
        return _outcome(report, entry, self._report_text(entry, report), self.manual_types)

    def grade_for_class(self, entry: Entry) -> Outcome:
        """grade(), plus the student's gradebook line and database rows: made in the worker, in
        parallel, so the parent only writes them out."""
        return with_rows(self.grade(entry), [p.id for p in self.problem.parts])

    def error(self, entry: Entry, reason: str) -> Outcome:
        """A student whose grading failed: no grades (blank, not 0) and the reason, in every output."""
        report = error_report(self.prepare().problem, entry, reason)
        note = f"{entry.note}; {reason}" if entry.note else reason
        return Outcome(student=entry.student, status="error", scores=[None] * len(report.parts), total=None,
                       note=note, report_json=self._report_text(entry, report))

    def _report_text(self, entry: Entry, report) -> bytes | None:
        """The report file's bytes, or None once written into the results folder (by the worker, in
        parallel: nothing large crosses back to the parent)."""
        # indented: `diff -r` of two runs shows the change per part
        data = pretty_report(report, self.session.report_texts if self.session is not None else None)
        if self.reports is not None and self.reports.write(entry.student, data):
            return None
        return data


def _warm(problem, session) -> None:
    """Grade the reference answers once before forking, so every worker starts with the solver
    results and the common right answers already computed (each would otherwise redo them)."""
    from grader.engine import grade
    from grader.reference import References
    from grader.submission import Submission

    import encodings.utf_8_sig  # noqa: F401  (every worker reads submissions, writes reports)

    try:
        refs = References(problem, session)
        answers, _ = refs.answers()
        grade(problem, Submission(source="reference", answers=answers), session=session)
        # and each part's first anticipated mistake: a wrong answer has every comparison set up
        # (the mistakes read, the random instances drawn, the reference evaluated there)
        grade(problem, Submission(source="mistakes", answers={**answers, **refs.first_mistakes()}),
              session=session)
    except Exception:  # noqa: BLE001 - a broken solver shows up in each student's row instead
        pass


def _outcome(report, entry: Entry, report_json: bytes | None, manual_types: frozenset[str]) -> Outcome:
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
                              if p.type in manual_types}}  # for the gradebook database
    if failed:
        extra["failed_parts"] = failed
    return Outcome(student=entry.student, status=status, scores=scores, total=report.score, note=note,
                   report_json=report_json, extra=extra)


def with_rows(o: Outcome, ids: list[str]) -> Outcome:
    """The outcome with its gradebook.csv line and its results rows (the hand-graded parts'
    answers go into those rows: extra["manual"] is dropped, nothing else needs it). Whatever
    goes wrong here is left to the parent, which makes the rows the same way."""
    try:
        o.gradebook_row = o.gradebook_row or row_line(_row(o), len(ids))
        if o.db_rows is None:
            manual = o.extra.get("manual") if o.status != "error" else None
            if o.status == "error" or manual is not None:
                o.db_rows = student_rows(o.student, o.status, ids, o.scores, manual)
                o.extra.pop("manual", None)
    except Exception:  # noqa: BLE001 - the parent's write_outputs meets it again, as before
        o.gradebook_row = o.db_rows = None
    return o


def _short(feedback: str) -> str:
    """The first sentence of a part's error feedback (what failed), for the gradebook's note."""
    head = feedback.split(". ", 1)[0]
    return head if len(head) <= 200 else head[:197] + "..."


def error_report(problem, entry: Entry, reason: str):
    """The report of a student whose grading failed: every part `error`, with the reason."""
    from grader.report import PartResult, Report
    from grader.templates import placeholders  # no variant was graded: [name] for its numbers

    parts = [PartResult(id=p.id, title=placeholders(p.title), type=p.type, max_score=p.points, score=0.0,
                        status="error", feedback=f"not graded: {reason}", visibility=p.visibility)
             for p in problem.parts]
    return Report(problem_id=problem.id, title=problem.title, student=entry.student,
                  source=entry.shown, score=0.0, max_score=round(problem.total + 0.0, 6),
                  parts=parts, fatal=reason)


# ---------------------------------------------------------------- the whole class

def grade_class(job: ClassJob | str, entries: list[Entry], *, jobs: int, timeout: float = DEFAULT_TIMEOUT,
                progress=None, on_result=None) -> list[Outcome]:
    """Every entry graded in `jobs` worker processes; outcomes sorted by student id. `job` is a
    ClassJob, or a problem path (graded with `timeout`, reports returned in the outcomes).
    `on_result(entries, outcomes)`: see batch_pool.run_all."""
    from grader.batch_pool import Lost, mp_context, run_all

    if not isinstance(job, ClassJob):
        job = ClassJob(str(job), timeout=timeout)
    job.prepare()
    forked = mp_context().get_start_method() == "fork"
    if forked:  # what the workers inherit stays out of their garbage collections: no copy-on-write
        gc.freeze()
    results = run_all(
        entries, key=lambda e: e.student, work=job.grade_for_class, jobs=jobs,
        hard_timeout=job.timeout + 30.0, on_done=(progress.advance if progress else lambda: None),
        initializer=_worker_gc if forked else _worker_init, on_result=on_result,
    )
    outcomes = []
    for entry in entries:
        got = results.get(entry.student, Lost("not graded (internal error)"))
        if isinstance(got, Lost):
            got = with_rows(job.error(entry, got.reason), [p.id for p in job.problem.parts])
        outcomes.append(got)
    return outcomes


# A worker's garbage collections: grading keeps what it computed (the session's memos), and with
# the default 700 allocations between young collections those were ~6% of a worker's time
# (csc413-hw2); 10,000 makes them a third fewer in time, with the same memory (gc still runs).
WORKER_GC_THRESHOLDS = (10_000, 10, 10)


def _worker_gc() -> None:
    gc.set_threshold(*WORKER_GC_THRESHOLDS)


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker_gc()


def default_jobs() -> int:
    """The cores this process may use: one worker each."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass
class ClassResult:
    """What grading a class gave: a row per student, the files written, what was skipped."""

    problem: Any
    outcomes: list[Outcome]
    written: list[Path]
    skipped: list[str]
    regraded: list[Outcome] | None = None  # with `only`: the students regraded

    @property
    def summary(self) -> str:
        """'N student(s): ... graded, ... unreadable, ... not graded (errors)[; parts not graded]',
        or for a regrade 'regraded K of N student(s): id (score), ...'."""
        if self.regraded is not None:
            told = ", ".join(f"{o.student} ({format_score(o.total) or o.status})" for o in self.regraded)
            partly = part_failures(self.regraded)
            return (f"regraded {len(self.regraded)} of {len(self.outcomes)} student(s): {told}"
                    + ("; " + partly if partly else ""))
        counts = {s: sum(1 for o in self.outcomes if o.status == s) for s in ("graded", "unreadable", "error")}
        text = (f"{len(self.outcomes)} student(s): {counts['graded']} graded, {counts['unreadable']} unreadable, "
                f"{counts['error']} not graded (errors)")
        partly = part_failures(self.outcomes)
        return text + ("; " + partly if partly else "")


def run_batch(problem: str | Path, submissions: str | Path, *, jobs: int = 0, timeout: float | None = None,
              out: str | Path | None = None, csv: str | Path | None = None, progress: bool = False,
              only: list[str] | None = None, session=None) -> ClassResult:
    """Grade every student under `submissions` into the gradebook files asked for (`out`: the
    results folder; `csv`: a gradebook CSV). Spec errors raise SpecError before any worker starts.
    With `only`, regrade just those students into the existing results folder `out`, in place
    (see grader.regrade)."""
    from grader.errors import UsageError
    from grader.progress import Progress

    root = Path(submissions)
    if not root.exists():
        raise UsageError(f"{root}: no such folder")
    if not root.is_dir():
        raise UsageError(f"{root}: --batch needs a folder holding one file or sub-folder per student")
    jobs = jobs if jobs and jobs > 0 else default_jobs()
    # Classmates' files and their reports are as private as the problem: where student code
    # gets no whitelist root (root without CAP_SYS_ADMIN) these folders lose "other" access.
    job = ClassJob(str(problem), timeout=float(timeout or DEFAULT_TIMEOUT),
                   private=tuple(str(p) for p in (root, out) if p), session=session)
    job.prepare()  # spec errors stop here, before any worker starts (exit 2)
    outputs = tuple(Path(p) for p in (out, csv) if p)
    entries, skipped = discover(root, outputs)
    if only:
        from grader.regrade import regrade_only

        return regrade_only(job, root, entries, skipped, only, out=out, csv=csv, jobs=jobs)
    stream = None
    if out:
        job.reports = ReportFolder.make(Path(out), entries)
        stream = _Stream(Path(out), job.problem, entries)
    bar = Progress(len(entries), enabled=progress)
    try:
        try:
            outcomes = grade_class(job, entries, jobs=jobs, progress=bar, on_result=stream)
        finally:
            bar.close()
        job.session.save_reference_cache()
        part_ids = [p.id for p in job.problem.parts]
        written = write_outputs(job.problem, part_ids, outcomes, csv_path=csv, out_dir=out, reports=job.reports,
                                build=stream.take() if stream else None)
    finally:
        if stream:
            stream.close()
    return ClassResult(job.problem, outcomes, written, skipped)


class _Stream:
    """The gradebook database of a run into a results folder, filled while the class is graded:
    each chunk of students the workers send back goes in at once (in class order: a chunk
    that arrives early waits for the ones before it), so the parent has little left to write
    once the pool is done. See gradebook_db.FreshBuild; anything unusual (a database with
    marks, a student without rows, an error) stops it, and the run's end writes the rest as
    it would have written all of it."""

    def __init__(self, folder: Path, problem, entries: list[Entry]):
        self.folder, self.problem = folder, problem
        self.position = {e.student: i for i, e in enumerate(entries)}
        self.waiting: dict[int, Outcome] = {}
        self.next = 0  # the first student not in yet
        self.build: Any = None
        self.stopped = False

    def __call__(self, entries: list[Entry], outcomes: list) -> None:
        if self.stopped:
            return
        try:
            for entry, o in zip(entries, outcomes):
                self.waiting[self.position[entry.student]] = o
            ready = []
            while self.next in self.waiting:
                o = self.waiting[self.next]
                if not isinstance(o, Outcome) or o.db_rows is None:
                    break
                del self.waiting[self.next]
                ready.append(o.db_rows)
                self.next += 1
            if ready:
                if self.build is None:
                    from grader import gradebook_db

                    if not gradebook_db.replaceable(self.folder):  # marks: recorded in place, at the end
                        self.stopped = True
                        return
                    self.build = gradebook_db.FreshBuild(self.folder, self.problem, len(self.position))
                self.build.add(ready)
        except Exception:  # noqa: BLE001 - the end of the run meets it again, and says so
            self.close()

    def take(self):
        """The database built so far (the caller finishes it), or None."""
        self.stopped = True
        return self.build

    def close(self) -> None:
        """Remove the file unless the caller put it in place (nothing to do then)."""
        self.stopped = True
        build, self.build = self.build, None
        if build is not None:
            build.abandon()


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


def write_outputs(problem, part_ids: list[str], outcomes: list[Outcome], *, csv_path: str | Path | None,
                  out_dir: str | Path | None, reports: ReportFolder | None = None, build=None) -> list[Path]:
    """The gradebook CSV and the results folder, as asked for (`build`: the folder's new
    database, as far as it was filled while grading)."""
    for o in outcomes:
        if o.gradebook_row is None:  # not made by a worker (kept by a regrade, say)
            with_rows(o, part_ids)
    text = join_lines(part_ids, [(o.student, o.gradebook_row or _line(o, part_ids)) for o in outcomes])
    written: list[Path] = []
    if csv_path:
        written.append(write_text(csv_path, text))
    if out_dir:
        written.extend(write_results_folder(Path(out_dir), problem, part_ids, outcomes, text, reports, build))
    return written


def _row(o: Outcome):
    return Row(student=o.student, status=o.status, scores=o.scores, total=o.total, note=o.note)


def _line(o: Outcome, part_ids: list[str]) -> str:
    return row_line(_row(o), len(part_ids))


def write_results_folder(folder: Path, problem, part_ids: list[str], outcomes: list[Outcome],
                         gradebook_text: str, reports: ReportFolder | None = None, build=None) -> list[Path]:
    """gradebook.csv, one <student>.json per student and _batch.json (the index the report reads)."""
    from grader.templates import placeholders  # class-wide titles: [name] for a student's number

    if reports is None or reports.path != folder:
        reports = ReportFolder.make(folder, outcomes)
    names = reports.names
    students = []
    for o in outcomes:
        name = names[o.student]
        if o.report_json is not None:  # not already written by the worker
            _write_bytes(folder / name, o.report_json)
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
    written = [write_text(folder / GRADEBOOK, gradebook_text), folder]
    from grader.gradebook_views import after_batch

    # the database; manual marks laid back over the new files. The index's entries go along as
    # they are when reading the file back would give the same (a non-finite total would not)
    plain = all(o.total is None or (isinstance(o.total, (int, float)) and math.isfinite(o.total))
                for o in outcomes)
    after_batch(folder, problem, outcomes, entries=students if plain else None, build=build)
    return written


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
    _write_bytes(path, text.encode("utf-8", "backslashreplace"))  # a file name's undecodable bytes


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def summary_table(problem, outcomes: list[Outcome]) -> str:
    """Student, total and status per line, for a terminal (no --csv or --out given)."""
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
