"""Grade one submission (a .json or .py file, or a folder of a student's files), or with --batch
every submission under a folder, into a gradebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``grader grade`` options, single and ``--batch`` (CONTRACT.md: keep them stable)."""
    parser.add_argument("problem", help="a problem folder, or a problem id under problems/")
    parser.add_argument("submission", help="a .json or .py file, or a folder of a student's files")
    parser.add_argument("--format", choices=("table", "json", "gradescope"), default="table",
                        help="output format (default: table)")
    parser.add_argument("--out", metavar="FILE", help="write the output to FILE (with --batch: a folder)")
    parser.add_argument("--student", metavar="ID",
                        help="student id (selects the student's variant; default: the file's stem or the "
                             "folder's name, as --batch names it)")
    parser.add_argument("--default-variant", action="store_true",
                        help="grade the params' default values (no student), as before a student is known")
    parser.add_argument("--timing", action="store_true",
                        help="include execution_time in Gradescope output (makes output vary run to run)")
    batch = parser.add_argument_group("class grading")
    batch.add_argument("--batch", action="store_true", help="grade every submission under SUBMISSION")
    batch.add_argument("--jobs", type=int, default=0, metavar="N", help="parallel workers (default: all cores)")
    batch.add_argument("--csv", metavar="FILE", help="write the gradebook CSV to FILE")
    batch.add_argument("--timeout", type=float, default=None, metavar="S",
                       help="seconds allowed per student in --batch (default 600)")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.add_argument("--only", nargs="+", metavar="ID",
                       help="regrade only these students (ids as in the gradebook) into the existing "
                            "results folder --out RESULTS, in place")


def run(args: argparse.Namespace) -> int:
    """Grade one submission (or a class with ``--batch``); exit 1 when the submission could not be graded at all,
    0 whatever the score."""
    if args.batch:
        return _run_batch(args)
    import time

    from grader import api
    from grader.errors import UsageError
    from grader.regrade import student_for

    start = time.monotonic()
    if args.only:
        raise UsageError("--only needs --batch (and --out RESULTS)")
    path = Path(args.submission)
    # the id the batch gives this file or folder, so that a regrade grades the same variant
    student = args.student if args.student is not None else (
        None if args.default_variant or not path.exists() else student_for(path))
    report = api.grade(args.problem, path, student=student)
    if report.variant is not None:
        from grader.variants import describe

        how = ("" if student is None else " (id from --student)" if args.student is not None
               else " (id from the file's stem or folder's name, as --batch names it; --student ID for another)")
        sys.stderr.write(f"grader grade: graded {describe(report.variant)}{how}\n")
    for failure in report.failures:  # the report says which part and why; the TA gets the traceback
        sys.stderr.write(f"grader grade: {failure}\n")
    if report.failures:
        sys.stderr.write(f"grader grade: {len(report.failures)} part(s) not graded because the grader "
                         f"failed on them (status error); the other parts were graded\n")
    text = api.render(report, args.format, execution_time=time.monotonic() - start if args.timing else None)
    # backslashreplace: a lone surrogate (from a file name or an argument) is written as its
    # escape, never a UnicodeEncodeError after grading
    data = text.encode("utf-8", "backslashreplace")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 1 if report.fatal else 0


def _run_batch(args: argparse.Namespace) -> int:
    """`--batch`: exit 0 when every student has a row (spec errors exit 2, from the CLI)."""
    from grader import api
    from grader.batch import summary_table
    from grader.printable import for_terminal

    result = api.grade_class(args.problem, args.submission, jobs=args.jobs, timeout=args.timeout, out=args.out,
                             csv=args.csv, progress=not args.no_progress and sys.stderr.isatty(),
                             only=args.only)
    for line in result.skipped:
        print(f"grader grade --batch: skipped {for_terminal(line)}", file=sys.stderr)
    if result.regraded is not None:
        print(f"grader grade --batch --only: {result.summary}; wrote {', '.join(map(str, result.written))}",
              file=sys.stderr)
    elif result.written:
        print(f"grader grade --batch: {result.summary}; wrote {', '.join(map(str, result.written))}",
              file=sys.stderr)
    else:
        sys.stdout.write(summary_table(result.problem, result.outcomes) + result.summary + "\n")  # escaped
    return 0
