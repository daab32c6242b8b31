"""Gradescope's results.json: one test per automatically graded part, named by part id, with
the spec's visibility.

Hand-graded (``manual``) parts are not tests: on Gradescope they are manual questions the
instructor adds to the programming assignment (``grader gradescope`` writes their outline), so
the autograder's points cover the automatic parts only and students never see a hand-graded
part as "0.0 / 2.0".
"""

from __future__ import annotations

from typing import Any

from grader.formats.json_report import dumps
from grader.report import Report
from grader.types import capabilities

STATUS_WORD = {"correct": "passed", "partial": "failed", "incorrect": "failed", "invalid": "failed",
               "missing": "failed", "error": "failed", "manual": "passed"}


def results(report: Report, *, execution_time: float | None = None) -> dict[str, Any]:
    """Gradescope's results.json data: one test per automatically graded part (hand-graded parts are left to Gradescope)."""
    tests = []
    for p in report.parts:
        if capabilities(p.type).by_hand:  # a question graded on Gradescope by hand
            continue
        name = f"{p.id} {p.title}".strip() if p.title else f"Part {p.id}"
        output = p.feedback
        if p.expected is not None and p.revealed and p.status not in ("correct", "manual") \
                and p.visibility != "hidden":
            if "expected" not in output:
                output += f"\nExpected: {p.expected}"
        test = {
            "name": name, "number": p.id, "score": p.score, "max_score": p.max_score,
            "status": STATUS_WORD.get(p.status, "failed"), "output": output,
            "visibility": p.visibility,
        }
        tests.append(test)
    summary = [f"{report.title}: {report.score:g} / {report.max_score:g} points graded automatically."]
    if report.variant and report.variant.get("params"):
        from grader.variants import describe

        summary.append(f"Graded with your numbers: {describe(report.variant)}.")
    if report.manual_points:
        summary.append(f"{report.manual_points:g} more point(s) are graded by hand later "
                       "(not part of this score).")
    failed = [p.id for p in report.parts if p.status == "error" and p.visibility != "hidden"]
    if failed and not report.fatal:
        summary.append(f"The autograder failed on part(s) {', '.join(failed)}: not your fault, and your "
                       f"other parts were graded as usual.")
    if report.fatal:
        summary = [f"Your submission could not be graded: {report.fatal}",
                   "Every part scores 0. Fix the file and submit again."]
    summary.extend(report.messages)
    data: dict[str, Any] = {
        "score": report.score,
        "output": "\n".join(summary),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if execution_time is not None:
        data["execution_time"] = round(execution_time, 3)
    return data


def to_gradescope(report: Report, *, execution_time: float | None = None, **_: Any) -> str:
    """The results.json text; ``execution_time`` only when asked for, since it makes output vary run to run."""
    return dumps(results(report, execution_time=execution_time))
