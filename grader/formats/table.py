"""A per-part table for a terminal: what a TA or a student reads first."""

from __future__ import annotations

import textwrap
from typing import Any

from grader.report import Report


def _num(x: float) -> str:
    return f"{x:.4g}" if x != int(x) else str(int(x))


def to_table(report: Report, *, width: int = 100, **_: Any) -> str:
    lines = [f"{report.problem_id}: {report.title}", f"submission: {report.source}"
             + (f" (student {report.student})" if report.student else "")]
    if report.fatal:
        lines.append(f"NOT GRADED: {report.fatal}")
    ids = [p.id for p in report.parts] or [""]
    idw = max(4, max(len(i) for i in ids))
    lines.append("")
    lines.append(f"{'part':<{idw}}  {'score':>11}  {'status':<9}  feedback")
    lines.append("-" * min(width, idw + 36 + 20))
    indent = " " * (idw + 26)
    for p in report.parts:
        score = f"{_num(p.score)}/{_num(p.max_score)}"
        feedback = p.feedback or ""
        wrapped = textwrap.wrap(feedback, max(30, width - len(indent))) or [""]
        lines.append(f"{p.id:<{idw}}  {score:>11}  {p.status:<9}  {wrapped[0]}")
        lines.extend(indent + more for more in wrapped[1:])
    lines.append("")
    total = f"total: {_num(report.score)} / {_num(report.max_score)}"
    if report.manual_points:
        total += f"  ({_num(report.manual_points)} point(s) await manual grading)"
    lines.append(total)
    if report.messages:
        lines.append("")
        lines.append("notes:")
        lines.extend(f"- {m}" for m in report.messages)
    return "\n".join(lines) + "\n"
