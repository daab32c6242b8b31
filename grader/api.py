"""The grader as a Python API: what each command does, with keyword arguments.

The commands in grader/commands/ parse their arguments, call one function here and print what
it returns, so a script, a notebook, a marking server or a watch mode can do what the CLI does
without going through argparse or a subprocess::

    from grader import api

    report = api.grade("problems/csc413-hw2", "submissions_example/csc413-hw2/full-credit.json")
    print(api.render(report, "table"))
    result = api.grade_class("csc413-hw2", "class/", out="results/", jobs=2)

Problems are given as a folder, a problem.yaml or an id under ./problems/, and are read as they
are at each call: an edited spec or solver.py is graded as edited. What grading remembers lives
in a :class:`~grader.session.GradingSession`: pass the same one to successive calls to reuse it
(it is keyed by content, so an edit is never served an old grade); without one, each call makes
its own and writes the reference cache (see grader.reference_cache) when it is done.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from grader.session import GradingSession


@contextmanager
def _session(session: GradingSession | None) -> Iterator[GradingSession]:
    """The caller's session, or one of this call's own that persists the reference cache."""
    if session is not None:
        yield session
        return
    own = GradingSession(persist=True)
    try:
        yield own
    finally:
        own.close()


def grade(problem: str | Path, submission: str | Path, *, student: str | None = None, reveal: bool = True,
          session: GradingSession | None = None):
    """Grade one submission (a .json, .py, .ipynb, answers.md or answers.tex file, or a folder of
    them); returns the Report. `student` selects the student's variant; `reveal=False` gives the
    students' view before the due date (no expected answers where the spec withholds them)."""
    from grader.engine import grade as grade_submission
    from grader.errors import UsageError
    from grader.loaders import load_submission
    from grader.spec import load_problem

    loaded = load_problem(problem)
    path = Path(submission)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    with _session(session) as own:
        sub = load_submission(path, student, private=[loaded.folder])
        try:
            return grade_submission(loaded, sub, reveal=reveal, session=own)
        finally:
            sub.close()


def render(report, format: str = "table", *, execution_time: float | None = None) -> str:
    """A report as text: `table` (for a terminal), `json`, or `gradescope` (results.json);
    `execution_time` goes into the Gradescope output only (it makes the bytes vary)."""
    from grader.formats import FORMATS

    extra = {"execution_time": execution_time} if execution_time is not None else {}
    return FORMATS[format](report, **extra)


def grade_class(problem: str | Path, submissions: str | Path, *, jobs: int = 0, timeout: float | None = None,
                out: str | Path | None = None, csv: str | Path | None = None, progress: bool = False,
                only: list[str] | None = None, session: GradingSession | None = None):
    """Grade every student under `submissions` (one file or folder each) in `jobs` processes
    (0: every core); `out` is the results folder (reports, index, gradebook.csv, database),
    `csv` a gradebook CSV; `only` regrades just those students into the existing folder `out`.
    Returns a batch.ClassResult (outcomes, files written, summary)."""
    from grader.batch import run_batch

    with _session(session) as own:
        return run_batch(problem, submissions, jobs=jobs, timeout=timeout, out=out, csv=csv, progress=progress,
                         only=only, session=own)


def validate(problem: str | Path, *, variants: int | None = None, session: GradingSession | None = None):
    """Lint a spec and prove it (reference full marks, mistakes and examples as declared, under
    `variants` drawn students' parameters: default 25, 0 for the default values only); returns a
    validate.Validation (`ok`, `errors`, `notes`)."""
    from grader.validate import validate as validate_problem

    return validate_problem(problem, variants=variants, session=session)


def bundle(problem: str | Path, out: str | Path, *, student: str | None = None):
    """Write the students' self-check bundle into the folder `out`; returns a bundle.BundleResult."""
    from grader.bundle import make_bundle

    return make_bundle(problem, out, student)


def check(target: str | Path, submission: str | Path, *, student: str | None = None):
    """A student's self-check against a bundle folder or a full problem; returns a
    selfcheck.CheckReport (render it with selfcheck.render)."""
    from grader.selfcheck import check as self_check

    return self_check(target, submission, student)


def gradescope(problem: str | Path, out: str | Path = "autograder.zip", *, tests: str | Path | None = None,
               unittest_timeout: float = 300.0):
    """Build the Gradescope autograder zip (validate first: see the command); returns a
    gradescope.build.Built (path, files, outline)."""
    from grader.gradescope.build import build_zip

    return build_zip(Path(problem) if Path(problem).exists() else problem, Path(out),
                     tests=Path(tests) if tests else None, unittest_timeout=unittest_timeout)


def report(problem: str | Path, results: str | Path, *, out: str | Path | None = None, format: str = "html",
           pass_mark: Any = None) -> Path | str:
    """Item analysis of a graded class: the page (or JSON) written to `out` (default
    RESULTS/report.html) and its path; with format="json" and no `out`, the JSON text."""
    from grader.class_report import build_data, write_report
    from grader.spec import load_problem

    loaded = load_problem(problem)
    results = Path(results)
    if format == "json" and not out:
        return build_data(loaded, results, pass_mark)
    return write_report(loaded, results, Path(out) if out else results / "report.html", pass_mark, format)
