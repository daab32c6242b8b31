"""The `grader` command line: one sub-command per module in grader.commands, imported on use.

Exit status: 0 when the command did its job (whatever the score), 1 when a submission could not
be graded at all, 2 for usage errors and invalid specs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from grader.errors import SpecError, UsageError

# One BLAS thread, set before numpy loads: grading multiplies small arrays, a class is parallel
# by process, and OpenBLAS would otherwise start a spinning thread per core in every worker.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

COMMANDS = {
    "grade": "grade one submission, or a whole class with --batch",
    "validate": "check a spec, its solvers, its mistakes and its example submissions",
    "schema": "print the JSON Schema of problem.yaml, for editors",
    "bundle": "make the students' self-check bundle (no reference answers)",
    "check": "a student's self-check of a submission",
    "gradescope": "build the autograder zip to upload to Gradescope",
    "report": "item analysis of a graded class (HTML page or JSON): parts, options, reliability, copying signals",
    "mark": "mark the hand-graded parts of a graded class in a local web app",
}


def build_parser() -> argparse.ArgumentParser:
    """The ``grader`` argument parser; each command module under grader/commands supplies its own options and run."""
    parser = argparse.ArgumentParser(prog="grader", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version="grader " + _version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_text in COMMANDS.items():
        module = _command(name)
        cmd = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip())
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def _version() -> str:
    from grader import __version__

    return __version__


def _command(name: str):
    return importlib.import_module(f"grader.commands.{name}")


def main(argv: list[str] | None = None) -> int:
    """Run the command; spec and usage errors become a message on stderr and exit status 2 (no traceback)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except SpecError as exc:
        print(f"grader {args.command}: the problem spec is invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"grader {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
