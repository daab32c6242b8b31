"""Make what students are given for self-checking: the spec without reference answers,
solvers or hidden cases, with the public cases of code parts and every part's answer format."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``grader bundle`` options (CONTRACT.md: keep them stable)."""
    parser.add_argument("problem", help="a problem folder, or a problem id under problems/")
    parser.add_argument("-o", "--out", required=True, metavar="DIR", help="the folder to write")
    parser.add_argument("--student", metavar="ID",
                        help="make the bundle of this student's variant (problems with drawn params)")


def run(args: argparse.Namespace) -> int:
    """Write the bundle and say which parts students can self-check; exit status 0."""
    from grader import api

    result = api.bundle(args.problem, args.out, student=args.student)
    files = sorted(p.name for p in result.folder.iterdir() if p.is_file())
    print(f"wrote {result.folder}: {', '.join(files)}")
    print("self-checkable parts: " + (", ".join(result.self_checkable) or "none (code parts still run "
                                      "their public cases)"))
    for note in result.notes:
        print(f"note: {note}")
    return 0
