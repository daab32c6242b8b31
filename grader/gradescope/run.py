"""What ``run_autograder`` runs inside Gradescope's container:

    python -m grader.gradescope.run [--root /autograder] [--problem DIR] [--now ISO]

It grades ``<root>/submission/`` against the problem packed in ``<root>/source/`` (named in
``<root>/source/gradescope.json``), adds the instructor's unittest tests when the problem has
a ``tests/`` folder, and writes ``<root>/results/results.json``. The root also comes from
``GRADER_AUTOGRADER_ROOT``. Whatever happens (unreadable submission, invalid spec, a bug in
the grader), a valid results.json is written and the exit status is 0, so Gradescope never
shows "The autograder failed to execute correctly"; the details go to stdout, which only
instructors see.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
import traceback
from pathlib import Path

DEFAULT_ROOT = "/autograder"
CONFIG = "gradescope.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options of ``python -m grader.gradescope.run``; the defaults fit Gradescope, the overrides are for tests."""
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope.run", description=__doc__.splitlines()[0])
    parser.add_argument("--root", help=f"Gradescope's folder (default: $GRADER_AUTOGRADER_ROOT or {DEFAULT_ROOT})")
    parser.add_argument("--source", help="the unpacked zip (default: <root>/source)")
    parser.add_argument("--problem", help="the problem folder (default: from <source>/gradescope.json)")
    parser.add_argument("--now", help="grading time, ISO 8601 (default: the clock); for tests")
    return parser.parse_args(argv)


def read_config(source: Path) -> dict:
    """The zip's gradescope.json written by ``grader gradescope``; {} when absent or not an object."""
    try:
        data = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def problem_folder(source: Path, config: dict, override: str | None) -> Path:
    """The problem to grade: ``--problem``, else the config's, else the only one under problems/
    (RuntimeError when that is ambiguous)."""
    if override:
        return Path(override)
    if config.get("problem"):
        return source / str(config["problem"])
    found = sorted(p.parent for p in (source / "problems").glob("*/problem.yaml"))
    if len(found) != 1:
        raise RuntimeError(f"{source / CONFIG} names no problem and {source / 'problems'} holds "
                           f"{len(found)} problems")
    return found[0]


def grade_on_gradescope(root: Path, args: argparse.Namespace, log: list[str], state: dict) -> dict:
    """Grade Gradescope's submission folder into results.json data: the student's variant and the deadline
    come from Gradescope's metadata, and answers are revealed only after the deadline."""
    from grader.engine import grade
    from grader.gradescope.metadata import parse_time, read_metadata
    from grader.gradescope.results import assemble
    from grader.gradescope.unittests import DEFAULT_TIMEOUT, run_instructor_tests, tests_dir
    from grader.loaders import load_submission
    from grader.spec import load_problem

    start = state["start"]
    source = Path(args.source) if args.source else root / "source"
    _close_to_students(root)
    config = read_config(source)
    folder = problem_folder(source, config, args.problem)
    problem = load_problem(folder)
    state["problem"] = problem
    meta = read_metadata(root / "submission_metadata.json")
    log.extend(meta.notes)
    now = parse_time(args.now) if args.now else _dt.datetime.now(_dt.timezone.utc)
    if now is None:  # else a comparison with the deadline below fails with a TypeError
        raise SystemExit(f"grader.gradescope.run: --now {args.now!r} is not an ISO 8601 time")
    if problem.due and meta.due and abs((problem.due - meta.due).total_seconds()) > 60:
        log.append(f"note: the spec's due date {problem.due.isoformat()} differs from Gradescope's "
                   f"{meta.due.isoformat()}; Gradescope's is used")
    import grader

    log.append(f"grader {grader.__version__} from {Path(grader.__file__).resolve().parent}")
    log.append(f"problem {problem.id}, student variant: {meta.student_id or '(default)'}")
    submission = root / "submission"
    sub = load_submission(submission, meta.student_id, private=[problem.folder])
    deadline = meta.deadline or problem.due
    reveal = deadline is not None and now >= deadline
    try:  # before the deadline, feedback does not state the answers (show_expected)
        report = grade(problem, sub, reveal=reveal)
    finally:
        for warning in getattr(sub.runtime, "warnings", None) or []:
            log.append(f"sandbox: {warning}")
        sub.close()
    for failure in report.failures:  # stdout is for instructors only: the traceback goes there
        log.append(f"GRADER FAILURE on {failure}")
    instructor = None
    folder_tests = tests_dir(problem.folder)
    if folder_tests is not None:
        timeout = float(config.get("unittest_timeout") or DEFAULT_TIMEOUT)
        instructor = run_instructor_tests(folder_tests, submission, timeout=timeout,
                                          hide=[problem.folder, source], reveal=reveal)
        log.extend(instructor.log)
    return assemble(report, problem, meta, now, instructor, execution_time=time.monotonic() - start)


def _close_to_students(root: Path) -> None:
    """As root: Gradescope's metadata (it holds earlier results) and the results folder are
    for the grader only. Student code never sees them where it gets a whitelist root; where it
    does not (a container without CAP_SYS_ADMIN) they lose every permission of others."""
    if os.geteuid() != 0:
        return
    for path, mode in ((root / "submission_metadata.json", 0o600), (root / "results", 0o700)):
        try:
            os.chmod(path, mode)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> int:
    """Entry point of run_autograder: always writes a results.json (a crash becomes a 0 with a message)
    and exits 0, because Gradescope shows nothing useful for a missing results file."""
    start = time.monotonic()
    args = parse_args(argv)
    root = Path(args.root or os.environ.get("GRADER_AUTOGRADER_ROOT") or DEFAULT_ROOT)
    results_file = root / "results" / "results.json"
    log: list[str] = []
    state: dict = {"start": start, "problem": None}
    try:
        data = grade_on_gradescope(root, args, log, state)
    except BaseException as exc:  # noqa: BLE001 - a results.json must be written whatever happened
        if isinstance(exc, KeyboardInterrupt):
            raise
        data = _failure(exc, state, log, start)
    try:
        from grader.gradescope.results import write_results

        write_results(results_file, data)
    except Exception:  # noqa: BLE001 - the results could not be built as planned: write the minimum
        log.append(traceback.format_exc())
        _write_minimal(results_file, "the autograder failed while writing its results")
    for line in log:
        print(line)
    print(f"results written to {results_file}: score {data.get('score')}")
    return 0


def _failure(exc: BaseException, state: dict, log: list[str], start: float) -> dict:
    from grader.errors import SpecError
    from grader.gradescope.results import crash_results

    if isinstance(exc, SpecError):
        message = "the problem spec is invalid: " + "; ".join(exc.problems)
    else:
        message = f"{type(exc).__name__}: {exc}"
    log.append("GRADER FAILURE: " + message)
    log.append(traceback.format_exc())
    return crash_results(message[:2000], state.get("problem"), time.monotonic() - start)


def _write_minimal(path: Path, message: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"score": 0.0, "output": f"{message}; please tell your instructor.",
                                "visibility": "visible", "stdout_visibility": "hidden", "tests": []}),
                    encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
