"""Lint a problem spec and prove it: the reference solution scores full marks, each declared
mistake scores what it declares, and each example submission scores what it declares."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``grader validate`` options (CONTRACT.md: keep them stable)."""
    parser.add_argument("problem", nargs="*", help="problem folders or ids (default with --all: every problem)")
    parser.add_argument("--all", action="store_true", help="validate every problem under problems/")
    parser.add_argument("--variants", type=int, default=None, metavar="N",
                        help="problems with drawn params: prove N students' variants (default 25; 0: "
                             "the default variant only)")


def run(args: argparse.Namespace) -> int:
    """Validate each named problem (or all with ``--all``), printing why each is invalid; exit 2 if any is."""
    from pathlib import Path

    from grader import api
    from grader.errors import SpecError, UsageError

    if args.variants is not None and args.variants < 0:
        raise UsageError("--variants must be 0 or more")
    targets = list(args.problem)
    if args.all:
        targets += [str(p.parent) for p in sorted(Path("problems").glob("*/problem.yaml"))]
    if not targets:
        raise UsageError("name a problem (a folder or an id), or use --all")
    status = 0
    for target in targets:
        try:
            result = api.validate(target, variants=args.variants)
        except SpecError as exc:
            print(f"{target}: INVALID")
            for problem in exc.problems:
                print(f"  {problem}")
            status = 2
            continue
        name = result.problem.id
        if result.ok:
            print(f"{name}: valid, reference scores 100% (total {result.problem.total:g} points)")
        else:
            print(f"{name}: INVALID")
            for err in result.errors:
                print(f"  error: {err}")
            status = 2
        for note in result.notes:
            print(f"  {note}")
    return status
