"""Print the JSON Schema of problem.yaml (for editors that check YAML as it is typed)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``grader schema`` options."""
    parser.add_argument("--out", metavar="FILE", help="write the schema to FILE")


def run(args: argparse.Namespace) -> int:
    """Print or write the problem.yaml JSON Schema; exit status 0."""
    from pathlib import Path

    from grader.formats.json_report import dumps
    from grader.spec_schema import spec_schema

    text = dumps(spec_schema())
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
