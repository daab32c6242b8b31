"""Build the zip to upload to Gradescope as a programming assignment's autograder: setup.sh,
run_autograder, the grader and the problem (plus the instructor's unittest tests, if any)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``grader gradescope`` options (CONTRACT.md: keep them stable)."""
    parser.add_argument("problem", help="a problem folder, or a problem id under problems/")
    parser.add_argument("-o", "--out", default="autograder.zip", metavar="FILE",
                        help="the zip to write (default: autograder.zip)")
    parser.add_argument("--tests", metavar="DIR",
                        help="gradescope-utils unittest tests to include (default: PROBLEM/tests/)")
    parser.add_argument("--unittest-timeout", type=float, default=300.0, metavar="S",
                        help="time limit of the instructor's unittest tests, in seconds (default 300)")
    parser.add_argument("--no-validate", action="store_true",
                        help="build even if `grader validate` finds errors")


def run(args: argparse.Namespace) -> int:
    """Validate, then build the autograder zip; exit 2 without building when the spec does not validate
    (unless ``--no-validate``), since a broken autograder would grade a whole class wrongly."""
    from grader import api

    if not args.no_validate:
        result = api.validate(args.problem)
        if not result.ok:
            print(f"grader gradescope: {result.problem.id} does not validate (use --no-validate to build anyway):")
            for err in result.errors:
                print(f"  error: {err}")
            return 2
    built = api.gradescope(args.problem, args.out, tests=args.tests, unittest_timeout=args.unittest_timeout)
    tests = [f for f in built.files if f.startswith(f"problems/{built.problem_id}/tests/")]
    print(f"wrote {built.path}: autograder for {built.problem_id} ({len(built.files)} files"
          + (f", {len(tests)} instructor test file(s)" if tests else "") + ")")
    print("Upload it in Gradescope: assignment > Configure Autograder > Zip file upload.")
    if built.outline is not None:
        print(f"wrote {built.outline}: the hand-graded parts, to add as manual questions "
              "(Edit Outline) with their rubrics; the autograder's points cover the other parts only.")
    return 0
