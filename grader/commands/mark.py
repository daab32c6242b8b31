"""Mark the hand-graded parts of a class graded with `grader grade PROBLEM DIR --batch --out
RESULTS`, in a local web app: answers grouped by identical answer, the spec's rubric items,
comments and point adjustments. Marks go into RESULTS/gradebook.sqlite; gradebook.csv, the
reports, canvas.csv and gradescope.csv are rewritten from it as you mark."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``grader mark`` options (CONTRACT.md: keep them stable)."""
    parser.add_argument("problem", help="a problem folder, or a problem id under problems/")
    parser.add_argument("results", help="the folder written by `grader grade ... --batch --out RESULTS`")
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=0, help="the port (default: any free port)")
    parser.add_argument("--name", default=None, help="your name in the marks' history (default: your login)")
    parser.add_argument("--token", default=None,
                        help="the session token (default: a new random one; share the URL with co-TAs)")
    parser.add_argument("--canvas-id", default=None, choices=("SIS Login ID", "SIS User ID", "ID"),
                        help="the Canvas column that holds the student id in canvas.csv (default: SIS Login ID)")
    parser.add_argument("--canvas-assignment", default=None, metavar="NAME",
                        help="the assignment column's header in canvas.csv: an existing Canvas assignment "
                             "as Canvas's own export names it, \"NAME (ID)\", or a name (default: the "
                             "problem's title; a name Canvas does not know creates a new assignment)")
    parser.add_argument("--export", action="store_true",
                        help="only rewrite gradebook.csv, the reports and the exports from the database, then exit")


def run(args: argparse.Namespace) -> int:
    """Refresh the exports from the gradebook, then serve the marking app (or just export with ``--export``)."""
    from grader import gradebook_db as db
    from grader.errors import UsageError
    from grader.gradebook_views import refresh
    from grader.spec import load_problem

    results = Path(args.results)
    if not results.is_dir():
        raise UsageError(f"{results}: no such folder (grade the class first with --batch --out {results})")
    problem = load_problem(args.problem)
    conn = db.connect(results)
    try:
        pid = conn.execute("SELECT value FROM meta WHERE key='problem_id'").fetchone()
        if pid and pid[0] != problem.id:
            raise UsageError(f"{results} holds the class of problem '{pid[0]}', not '{problem.id}'")
        from grader import exports

        if args.canvas_id:
            exports.set_canvas_id_column(conn, args.canvas_id)
        if args.canvas_assignment is not None:
            exports.set_canvas_assignment(conn, args.canvas_assignment)
        for warning in exports.canvas_warnings(conn):
            print(f"grader mark: warning: {warning}", file=sys.stderr)
        written = refresh(results, conn, everything=True)
        if args.export:
            print(f"grader mark: wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
            unmarked = unmarked_note(db.progress(conn))
            if unmarked:
                print(f"grader mark: warning: {unmarked}", file=sys.stderr)
            return 0
        if not db.parts(conn, manual_only=True):
            print(f"grader mark: {problem.id} has no hand-graded parts (type: manual): nothing to mark",
                  file=sys.stderr)
            return 0
    finally:
        conn.close()
    try:
        from grader.marking.server import serve
    except ImportError as exc:
        raise UsageError("grader mark needs the marking app's packages: install the 'mark' extra "
                         "(pip install 'answer-grader[mark]', or ./setup.sh --mark)") from exc
    token = args.token or secrets.token_urlsafe(24)
    name = args.name or _login()
    return serve(results, token=token, host=args.host, port=args.port, grader_name=name)


def unmarked_note(progress: list[dict]) -> str:
    """What the files hold as 0 because nobody has marked it yet (a TA about to import should
    know), or "" when every hand-graded answer is marked."""
    left = [(p["id"], p["total"] - p["graded"]) for p in progress if p["graded"] < p["total"]]
    if not left:
        return ""
    shown = ", ".join(f"{pid} ({n})" for pid, n in left[:8]) + (" ..." if len(left) > 8 else "")
    return (f"{sum(n for _, n in left)} hand-graded answer(s) not marked yet, counted as 0 in "
            f"gradebook.csv, canvas.csv and gradescope.csv: part (unmarked) {shown}")


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in a container: any label will do
        return "TA"
