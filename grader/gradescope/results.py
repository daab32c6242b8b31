"""Gradescope's results.json from a report: visibility from the spec, dates from the metadata.

The per-part tests come from :mod:`grader.formats.gradescope`; this module adds what depends
on Gradescope's context: worked solutions only where the student can no longer use them,
a summary that counts only what the student is shown, the instructor's unittest results,
and the results written when something went wrong (Gradescope must never be left without a
results.json).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from grader.formats.gradescope import results as report_results
from grader.gradescope.metadata import Metadata
from grader.numbers import figures
from grader.report import Report
from grader.types import capabilities

_num = figures


def past_deadline(problem: Any, meta: Metadata, now: _dt.datetime) -> bool:
    """Whether ``now`` is past Gradescope's deadline (the late one if set), else the spec's due date."""
    deadline = meta.deadline or getattr(problem, "due", None)
    return deadline is not None and now >= deadline


def part_tests(report: Report, problem: Any, meta: Metadata, now: _dt.datetime) -> list[dict[str, Any]]:
    """One test per automatically graded part; worked solutions only after the deadline.

    Nothing that states an answer is written before the deadline, whatever the test's
    visibility: Gradescope hands every earlier results.json back to the next submission's
    code (``previous_submissions[].results`` in submission_metadata.json), so an
    ``after_due_date`` test is not hidden from a student's program. Regrading after the
    deadline adds the expected answers and the solutions.
    """
    tests = report_results(report)["tests"]
    if not past_deadline(problem, meta, now):
        return tests
    by_id = {p.id: p for p in getattr(problem, "parts", [])}
    for test in tests:
        part = by_id.get(test.get("number"))
        solution = _solution(part, problem, report) if part is not None else ""
        if solution and test["visibility"] != "hidden":
            test["output"] = (test.get("output") or "") + f"\n\nWorked solution:\n{solution}"
    return tests


def _solution(part: Any, problem: Any, report: Report) -> str:
    """A part's worked solution with the student's own numbers (templates.py)."""
    from grader.templates import is_template, render_part

    text = getattr(part, "solution", "") or ""
    if not is_template(text):
        return text
    from grader.solvers import resolve_params

    return render_part(part, resolve_params(problem.params, problem.variant_key, report.student)).solution


def summary(tests: list[dict[str, Any]], report: Report | None, notes: list[str]) -> str:
    """The top-level text a student reads: only what the visible tests already show."""
    lines = []
    if report is not None and report.variant and report.variant.get("params"):
        from grader.variants import describe

        lines.append(f"Graded with your numbers: {describe(report.variant)}.")
    if report is not None and report.fatal:
        lines.append(f"Your submission could not be read: {report.fatal}")
        lines.append("Every part scores 0. Fix the file and submit again.")
    failed = [] if report is None or report.fatal else [p.id for p in report.parts
                                                             if p.status == "error" and p.visibility != "hidden"]
    if failed:
        lines.append(f"The autograder failed on part(s) {', '.join(failed)}: not your fault, and your "
                     f"other parts were graded as usual. Your instructor can see the details.")
    shown = [t for t in tests if t.get("visibility", "visible") == "visible"]
    later = [t for t in tests if t.get("visibility") == "after_due_date"]
    got = sum(t.get("score", 0.0) for t in shown)
    out_of = sum(t.get("max_score", 0.0) for t in shown)
    if shown:
        lines.append(f"Scored now: {_num(got)} / {_num(out_of)} points on the {len(shown)} test(s) shown below.")
    if later:
        pts = sum(t.get("max_score", 0.0) for t in later)
        which = f"{len(later)} more part(s)" if shown else f"All {len(later)} part(s)"
        lines.append(f"{which}, worth {_num(pts)} points, are graded now and shown after the due date.")
    if report is not None and report.manual_points:
        manual = [p for p in report.parts if capabilities(p.type).by_hand]
        lines.append(f"{_num(report.manual_points)} more point(s) in {len(manual)} question(s) are graded "
                     "by hand on Gradescope (not part of this score).")
    lines.extend(notes)
    return "\n".join(lines)


def assemble(report: Report, problem: Any, meta: Metadata, now: _dt.datetime,
             instructor: Any = None, execution_time: float | None = None) -> dict[str, Any]:
    """The results.json data: one test per part plus the instructor's unittest tests, with notes and timing."""
    tests = part_tests(report, problem, meta, now)
    notes = list(report.messages)
    leaderboard: list = []
    if instructor is not None:
        tests.extend(instructor.tests)
        notes.extend(instructor.student_notes)
        leaderboard = instructor.leaderboard
    data: dict[str, Any] = {
        "score": round(sum(t.get("score", 0.0) for t in tests), 6),
        "output": summary(tests, report, notes),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if leaderboard:
        data["leaderboard"] = leaderboard
    if execution_time is not None:
        data["execution_time"] = round(execution_time, 3)
    return data


def crash_results(message: str, problem: Any = None, execution_time: float | None = None) -> dict[str, Any]:
    """Results when the grader itself failed: 0 points, said plainly, one test per part if known."""
    text = ("The autograder could not grade this submission because of an internal error "
            "(not a problem with your answers). Your instructor can see the details; please "
            f"tell them, and submit again later.\nDetails: {message}")
    tests = []
    for part in getattr(problem, "parts", []) or []:
        if part.kind.by_hand:
            continue
        tests.append({"name": f"{part.id} {part.title}".strip() if part.title else f"Part {part.id}",
                      "number": part.id, "score": 0.0, "max_score": part.points, "status": "failed",
                      "output": "not graded: internal error of the autograder",
                      "visibility": part.visibility})
    data: dict[str, Any] = {"score": 0.0, "output": text, "visibility": "visible",
                            "stdout_visibility": "hidden", "tests": tests}
    if execution_time is not None:
        data["execution_time"] = round(execution_time, 3)
    return data


def write_results(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: Gradescope never reads a half-written file."""
    from grader.formats.json_report import dumps

    path.parent.mkdir(parents=True, exist_ok=True)
    text = dumps(data)
    json.loads(text)  # never write something Gradescope cannot parse
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
