"""Statistics of a graded class, read back from the JSON reports that `--batch --out` wrote.

Everything here is plain data for the HTML report: per-part means and spread, the most common
wrong answers (and the anticipated mistake each matches), and parts that look miskeyed, judged
against each student's score on the *other* parts so a bad key does not hide itself.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "_batch.json"
WRONG = ("incorrect", "partial", "invalid")
STATUS_ORDER = ("correct", "partial", "incorrect", "invalid", "missing", "manual", "error")


@dataclass
class Student:
    id: str
    status: str  # graded | unreadable | error
    total: float | None
    parts: dict[str, dict[str, Any]]  # part id -> the report's part entry


@dataclass
class WrongAnswer:
    shown: str
    count: int
    top_count: int  # how many of them are in the top quartile
    matches: str  # the anticipated mistake it matches, or how it was credited, or ""
    example_feedback: str


@dataclass
class PartStats:
    id: str
    title: str
    type: str
    max_score: float
    n: int
    mean: float
    std: float
    correct_rate: float
    class_credit: float  # mean fraction of the points
    top_credit: float | None  # the same, for the top quartile on the other parts
    bottom_credit: float | None
    statuses: dict[str, int]
    wrong: list[WrongAnswer] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class ClassStats:
    problem_id: str
    title: str
    max_score: float
    students: list[Student]
    parts: list[PartStats]
    warnings: list[str] = field(default_factory=list)

    @property
    def graded(self) -> list[Student]:
        return [s for s in self.students if s.status == "graded"]


def load_students(folder: Path) -> tuple[list[Student], list[str]]:
    """The students of a results folder (its index when present, else every report in it)."""
    warnings: list[str] = []
    index = folder / MANIFEST
    listed: list[tuple[str, str | None]] = []
    if index.is_file():
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
            listed = [(s["file"], s.get("status")) for s in data["students"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warnings.append(f"{MANIFEST} could not be read ({exc}); reading every report instead")
    if not listed:
        listed = [(p.name, None) for p in sorted(folder.glob("*.json")) if p.name != MANIFEST]
    students = []
    for name, status in listed:
        path = folder / name
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            parts = {str(p["id"]): p for p in report["parts"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warnings.append(f"{name}: not a report ({type(exc).__name__}); left out")
            continue
        if status is None:
            status = "unreadable" if report.get("fatal") else "graded"
            if report.get("fatal") and all(p.get("status") == "error" for p in parts.values()):
                status = "error"
        total = None if status == "error" else report.get("score")
        students.append(Student(str(report.get("student") or Path(name).stem), status, total, parts))
    students.sort(key=lambda s: s.id)
    return students, warnings


def credit(entry: dict[str, Any] | None) -> float:
    """A part's score as a fraction of its points (0-point parts: 1 when correct)."""
    if not entry:
        return 0.0
    top = float(entry.get("max_score") or 0)
    if top <= 0:
        return 1.0 if entry.get("status") == "correct" else 0.0
    return max(0.0, min(1.0, float(entry.get("score") or 0) / top))


def analyse(problem, folder: Path) -> ClassStats:
    students, warnings = load_students(folder)
    graded = [s for s in students if s.status == "graded"]
    ids = {p.id for p in problem.parts}
    extra = sorted({pid for s in graded for pid in s.parts} - ids)
    if extra:
        warnings.append(f"reports have parts that are not in {problem.id}: {', '.join(extra)} "
                        f"(graded with another version of the spec?)")
    parts = [_part_stats(part, graded) for part in problem.parts]
    return ClassStats(problem.id, problem.title, float(problem.total), students, parts, warnings)


def _quartiles(part_id: str, graded: list[Student]) -> tuple[list[Student], list[Student]]:
    """Top and bottom quarter by the score on the other parts (ties broken by id: stable)."""
    def rest(s: Student) -> float:
        return (s.total or 0.0) - float((s.parts.get(part_id) or {}).get("score") or 0)

    ranked = sorted(graded, key=lambda s: (-rest(s), s.id))
    k = max(1, math.ceil(len(ranked) / 4))
    return ranked[:k], ranked[-k:]


def _part_stats(part, graded: list[Student]) -> PartStats:
    entries = [s.parts.get(part.id) for s in graded]
    scores = [float((e or {}).get("score") or 0) for e in entries]
    credits = [credit(e) for e in entries]
    n = len(graded)
    mean = sum(scores) / n if n else 0.0
    std = math.sqrt(sum((x - mean) ** 2 for x in scores) / n) if n else 0.0
    statuses = {st: 0 for st in STATUS_ORDER}
    for e in entries:
        st = (e or {}).get("status", "missing")
        statuses[st] = statuses.get(st, 0) + 1
    stats = PartStats(
        id=part.id, title=part.title, type=part.type, max_score=float(part.points), n=n, mean=mean,
        std=std, correct_rate=statuses["correct"] / n if n else 0.0,
        class_credit=sum(credits) / n if n else 0.0, top_credit=None, bottom_credit=None,
        statuses=statuses,
    )
    if n == 0 or part.type == "manual":
        return stats
    top, bottom = _quartiles(part.id, graded)
    top_ids = {s.id for s in top}
    if n >= 8:
        stats.top_credit = sum(credit(s.parts.get(part.id)) for s in top) / len(top)
        stats.bottom_credit = sum(credit(s.parts.get(part.id)) for s in bottom) / len(bottom)
    stats.wrong = _wrong_answers(part, graded, top_ids)
    stats.flags = _flags(stats, len(top))
    return stats


def _shown(answer: Any) -> str:
    try:
        text = json.dumps(answer, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(answer)
    return text if len(text) <= 120 else text[:117] + "..."


def _matches(part, entry: dict[str, Any]) -> str:
    via = entry.get("via") or ""
    feedback = entry.get("feedback") or ""
    if via == "mistake":
        for m in part.mistakes:
            if m.feedback and feedback.startswith(m.feedback):
                return f"anticipated: {m.feedback} (credit {m.credit:g})"
        return "an anticipated mistake"
    if via == "tier":
        return "within a looser tolerance (partial credit)"
    if via == "carry_forward":
        return "error carried forward"
    return ""


def _wrong_answers(part, graded: list[Student], top_ids: set[str], limit: int = 5) -> list[WrongAnswer]:
    groups: dict[str, WrongAnswer] = {}
    for s in graded:
        e = s.parts.get(part.id) or {}
        if e.get("status") not in WRONG:
            continue
        key = _shown(e.get("answer"))
        got = groups.get(key)
        if got is None:
            got = groups[key] = WrongAnswer(key, 0, 0, _matches(part, e), e.get("feedback") or "")
        got.count += 1
        got.top_count += s.id in top_ids
    return sorted(groups.values(), key=lambda w: (-w.count, w.shown))[:limit]


def _clearly_below(st: PartStats, quartile: int) -> bool:
    """The top quartile earns less than the bottom one by more than chance would explain
    (two standard errors of the difference, and at least 5 points): in a class of 1,000 a part
    nobody's ability predicts still shows the top a point or two behind now and then."""
    gap = st.bottom_credit - st.top_credit
    mean = (st.bottom_credit + st.top_credit) / 2
    spread = math.sqrt(max(mean * (1 - mean), 0.01) * 2 / max(quartile, 1))
    return gap >= max(0.05, 2 * spread)


def _flags(st: PartStats, top_size: int) -> list[str]:
    """Why a part may be miskeyed; empty when nothing looks wrong."""
    flags = []
    answered = st.n - st.statuses.get("missing", 0)
    if answered < max(5, st.n / 5):  # a part most students skipped says nothing about its key
        return flags
    if st.n >= 5 and st.class_credit < 0.1:
        flags.append(f"almost everyone fails it: the class earns {st.class_credit:.0%} of its points")
    if st.top_credit is not None:
        if st.top_credit < st.class_credit - 0.1:
            flags.append(f"strong students do worse than the class: the top quartile earns "
                         f"{st.top_credit:.0%} of its points, the class {st.class_credit:.0%}")
        elif st.top_credit < 0.5 and st.bottom_credit is not None and _clearly_below(st, top_size):
            flags.append(f"strong students fail it: the top quartile earns {st.top_credit:.0%} of its "
                         f"points, the bottom quartile {st.bottom_credit:.0%}")
    common = [w for w in st.wrong if not w.matches and w.count >= 0.25 * st.n
              and w.top_count >= 0.4 * top_size] if st.n >= 8 else []
    if common:
        w = max(common, key=lambda w: (w.top_count, w.count))
        flags.append(f"one wrong answer dominates: {w.count} students ({w.top_count} of the top "
                     f"quartile) gave {w.shown}; is the key right?")
    return flags
