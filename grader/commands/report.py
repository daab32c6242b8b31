"""Per-part statistics of a class graded with `grader grade PROBLEM DIR --batch --out RESULTS`, as
one self-contained HTML page: score histogram, per-part mean and spread, the most common wrong
answers and the anticipated mistake each matches, and parts that look miskeyed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("problem", help="a problem folder, or a problem id under problems/")
    parser.add_argument("results", help="the folder written by `grader grade ... --batch --out RESULTS`")
    parser.add_argument("-o", "--out", metavar="FILE",
                        help="the HTML file to write (default: RESULTS/report.html)")


def run(args: argparse.Namespace) -> int:
    from grader.class_report import write_report
    from grader.errors import UsageError
    from grader.spec import load_problem

    results = Path(args.results)
    if not results.is_dir():
        raise UsageError(f"{results}: no such folder (grade the class first with --batch --out {results})")
    if not any(results.glob("*.json")):
        raise UsageError(f"{results}: no JSON reports in it (grade the class with --batch --out {results})")
    problem = load_problem(args.problem)
    out = write_report(problem, results, Path(args.out) if args.out else results / "report.html")
    print(f"grader report: wrote {out}", file=sys.stderr)
    return 0
