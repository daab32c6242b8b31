"""A student's self-check of a submission. On a bundle (from `grader bundle`): every part
checked for presence and form, self-checkable parts graded, the rest left to the real grader.
On a full problem: what Gradescope shows before the deadline."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``grader check`` options (CONTRACT.md: keep them stable)."""
    parser.add_argument("target", help="a bundle folder (from `grader bundle`), or a problem folder or id")
    parser.add_argument("submission", help="a .json or .py file, or a folder of your files")
    parser.add_argument("--student", metavar="ID", help="student id (full problems: selects the variant)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")


def run(args: argparse.Namespace) -> int:
    """Print the self-check (control characters escaped, never obeyed); exit 1 when nothing could be checked."""
    import sys

    from grader.formats.json_report import dumps
    from grader import api
    from grader.selfcheck import render

    from grader.printable import for_terminal

    report = api.check(args.target, args.submission, student=args.student)
    # The table with control characters shown escaped (never obeyed by the terminal); either
    # format with undecodable file-name bytes written as escapes, not a UnicodeEncodeError.
    text = dumps(report.to_dict()) if args.format == "json" else for_terminal(render(report), keep_newlines=True)
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.buffer.flush()
    return 1 if report.fatal else 0
