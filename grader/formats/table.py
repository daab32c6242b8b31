"""A per-part table for a terminal: what a TA or a student reads first."""

from __future__ import annotations

import textwrap
from typing import Any

from grader.numbers import figures
from grader.printable import for_terminal as _t
from grader.report import Report


def _num(x: float) -> str:
    return figures(x, whole=True)


def to_table(report: Report, *, width: int = 100, **_: Any) -> str:
    """Every text that may come from a student (ids, answers quoted in feedback, file names) is
    shown with its control characters escaped: a terminal must not obey them."""
    lines = [f"{_t(report.problem_id)}: {_t(report.title)}", f"submission: {_t(report.source)}"
             + (f" (student {_t(report.student)})" if report.student else "")]
    if report.variant:
        from grader.variants import describe

        lines.append(f"graded: {_t(describe(report.variant))}")
    if report.fatal:
        lines.append(f"NOT GRADED: {_t(report.fatal)}")
    ids = [_t(p.id) for p in report.parts] or [""]
    idw = max(4, max(len(i) for i in ids))
    lines.append("")
    lines.append(f"{'part':<{idw}}  {'score':>11}  {'status':<9}  feedback")
    lines.append("-" * min(width, idw + 36 + 20))
    indent = " " * (idw + 26)
    for p, pid in zip(report.parts, ids):
        score = f"{_num(p.score)}/{_num(p.max_score)}"
        feedback = _t(p.feedback or "", keep_newlines=True)
        wrapped = textwrap.wrap(feedback, max(30, width - len(indent))) or [""]
        lines.append(f"{pid:<{idw}}  {score:>11}  {p.status:<9}  {wrapped[0]}")
        lines.extend(indent + more for more in wrapped[1:])
    lines.append("")
    total = f"total: {_num(report.score)} / {_num(report.max_score)}"
    if report.manual_points:
        total += f"  ({_num(report.manual_points)} point(s) await manual grading)"
    lines.append(total)
    if report.messages:
        lines.append("")
        lines.append("notes:")
        lines.extend(f"- {_t(m)}" for m in report.messages)
    return "\n".join(lines) + "\n"
