"""Gradescope's results.json: one test per part, named by part id, with the spec's visibility."""

from __future__ import annotations

from typing import Any

from grader.formats.json_report import dumps
from grader.report import Report

STATUS_WORD = {"correct": "passed", "partial": "failed", "incorrect": "failed", "invalid": "failed",
               "missing": "failed", "error": "failed", "manual": "passed"}


def results(report: Report, *, execution_time: float | None = None) -> dict[str, Any]:
    tests = []
    for p in report.parts:
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
        if p.status == "manual":
            test.pop("status")
            test["output"] = "Graded by hand. " + output
        tests.append(test)
    summary = [f"{report.title}: {report.score:g} / {report.max_score:g} points graded automatically."]
    if report.manual_points:
        summary.append(f"{report.manual_points:g} point(s) are graded by hand later.")
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
    return dumps(results(report, execution_time=execution_time))
