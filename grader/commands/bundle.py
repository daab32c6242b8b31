"""bundle: not available yet in this version."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs="*")


def run(args: argparse.Namespace) -> int:
    from grader.errors import UsageError

    raise UsageError("'bundle' is not implemented yet")
