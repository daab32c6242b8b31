"""The result of grading one submission: plain data that every output format reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("correct", "partial", "incorrect", "invalid", "missing", "manual", "error")


@dataclass(frozen=True)
class PartResult:
    """One part's mark. Frozen: a class repeats answers, and a repeated answer's result is
    handed out again (engine memo; json_report caches its text), so it must never change."""

    id: str
    title: str
    type: str
    max_score: float
    score: float
    status: str  # one of STATUSES
    feedback: str
    visibility: str = "visible"
    answer: Any = None  # what the student gave, as plain data (None when missing)
    expected: str | None = None  # shown form of the reference; None for hidden parts
    via: str = ""  # "", "tier", "mistake", "carry_forward"
    revealed: bool = True  # whether the feedback may state the expected answer (see show_expected)
    rubric: list = field(default_factory=list)


@dataclass
class Report:
    """One student's graded problem: per-part results and totals, as written to the JSON report."""
    problem_id: str
    title: str
    student: str | None
    source: str
    score: float
    max_score: float
    parts: list[PartResult]
    messages: list[str] = field(default_factory=list)
    fatal: str | None = None
    manual_points: float = 0.0  # points left for a human (manual parts)
    # Tracebacks of parts whose grading raised (status `error`): for the instructor's log and
    # the TA's terminal, never in the report itself (a traceback is not for students).
    failures: list[str] = field(default_factory=list)
    # Problems with drawn params: {"student": the id the variant was drawn for, "params": the
    # drawn values the problem's text shows}; None (left out of the JSON) otherwise.
    variant: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the JSON report; tracebacks (``failures``) are left out since reports reach students."""
        # Shallow on purpose (asdict deep-copies every answer): the result is for serializing.
        data = dict(vars(self))
        data.pop("failures", None)
        if data.get("variant") is None:
            data.pop("variant", None)
        data["parts"] = [dict(vars(p)) for p in self.parts]
        data["messages"] = list(self.messages)
        return data
