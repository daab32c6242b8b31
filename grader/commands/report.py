"""Item analysis of a class graded with `grader grade PROBLEM DIR --batch --out RESULTS`, as one
self-contained HTML page or as JSON: per part facility, discrimination, weights and random guess
score, options by score group, parts that look miskeyed or do not discriminate, the exam's
reliability, score distribution and pass rate, and pairs of students whose identical answers
are far beyond chance."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``grader report`` options (CONTRACT.md: keep them stable)."""
    parser.add_argument("problem", help="a problem folder, or a problem id under problems/")
    parser.add_argument("results", help="the folder written by `grader grade ... --batch --out RESULTS`")
    parser.add_argument("-o", "--out", metavar="FILE",
                        help="the file to write (default: RESULTS/report.html; with --format json, stdout)")
    parser.add_argument("--format", choices=("html", "json"), default="html",
                        help="html: the page with plots (default); json: every figure as data")
    parser.add_argument("--pass-mark", metavar="MARK", default=None,
                        help="points (27.5) or a percentage of the points counted (55%%); default 50%%")


def run(args: argparse.Namespace) -> int:
    """Check the folder, pass mark and scipy first, so a usage error comes before any slow work; then write
    the report (JSON to stdout without ``--out``)."""
    from grader.errors import UsageError

    results = Path(args.results)
    if not results.is_dir():
        raise UsageError(f"{results}: no such folder (grade the class first with --batch --out {results})")
    if not any(results.glob("*.json")):
        raise UsageError(f"{results}: no JSON reports in it (grade the class with --batch --out {results})")
    if args.pass_mark is not None:
        from grader.class_stats import parse_pass_mark

        try:
            parse_pass_mark(args.pass_mark, 100.0)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:
        import scipy  # noqa: F401  (the statistics; matplotlib is checked where the plots are drawn)
    except ImportError:
        raise UsageError("grader report needs scipy for its statistics: install the 'report' extra "
                         "(pip install 'answer-grader[report]', or ./setup.sh --report)") from None
    from grader import api

    out = api.report(args.problem, results, out=args.out, format=args.format, pass_mark=args.pass_mark)
    if args.format == "json" and not args.out:
        sys.stdout.write(out)
        return 0
    print(f"grader report: wrote {out}", file=sys.stderr)
    return 0
