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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``grader`` argument parser; each command module under grader/commands supplies its own
    options and run. With `only` (a command's name), that command alone: the others' modules
    are not imported (a class is graded by one command; startup is serial time)."""
    parser = argparse.ArgumentParser(prog="grader", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version="grader " + _version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_text in COMMANDS.items():
        if only is not None and name != only:
            continue
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
    argv = sys.argv[1:] if argv is None else list(argv)
    # `grader COMMAND ...`: only that command's parser (its usage, help and errors are the same);
    # anything else (-h, --version, a typo) gets the full parser and its message
    parser = build_parser(only=argv[0] if argv and argv[0] in COMMANDS else None)
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
