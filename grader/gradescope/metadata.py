"""Reading Gradescope's submission_metadata.json: who submitted, when, and the deadlines.

The file is Gradescope's, so every field is optional here: a missing or malformed file gives
empty metadata and a note, never a crash.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Metadata:
    """What the grader needs from Gradescope's submission_metadata.json: the student (for the variant) and dates."""
    student_id: str | None = None  # selects the student's variant (see student_id())
    due: _dt.datetime | None = None  # assignment.due_date
    late_due: _dt.datetime | None = None  # assignment.late_due_date
    created_at: _dt.datetime | None = None  # when the student submitted
    title: str = ""
    notes: list[str] = field(default_factory=list)  # for the instructor's stdout

    @property
    def deadline(self) -> _dt.datetime | None:
        """After this, every after_due_date test is shown (the late due date when there is one)."""
        dates = [d for d in (self.due, self.late_due) if d is not None]
        return max(dates) if dates else None


def parse_time(value: Any) -> _dt.datetime | None:
    """Gradescope's ISO 8601 timestamps (with microseconds and offset); UTC when naive."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        when = _dt.datetime.fromisoformat(text)
    except ValueError:
        # Python 3.10 reads at most 6 fractional digits; trim anything longer.
        head, dot, tail = text.partition(".")
        if not dot:
            return None
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits):]
        try:
            when = _dt.datetime.fromisoformat(f"{head}.{digits[:6]}{zone}")
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when


def student_id(users: Any) -> str | None:
    """The variant key: the submitter's e-mail, lower-cased.

    E-mail is what TAs have in Gradescope's and Canvas's exports, so `grader grade --student
    EMAIL` reproduces a student's variant offline. A group gets the alphabetically first
    member's e-mail, so every member's submission grades the same variant whatever the order
    of ``users``. Without e-mails, the Gradescope user id (as text) is used.
    """
    if not isinstance(users, list):
        return None
    emails = sorted(str(u["email"]).strip().lower() for u in users
                    if isinstance(u, dict) and isinstance(u.get("email"), str) and u["email"].strip())
    if emails:
        return emails[0]
    ids = sorted(str(u["id"]) for u in users
                 if isinstance(u, dict) and isinstance(u.get("id"), (int, str)) and str(u["id"]).strip())
    return ids[0] if ids else None


def read_metadata(path: Path) -> Metadata:
    """Read submission_metadata.json leniently: a missing or odd file grades the default variant with no due date
    and says so in ``notes`` rather than failing the submission."""
    meta = Metadata()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        meta.notes.append(f"{path}: not found; grading the default variant with no due date")
        return meta
    except (OSError, ValueError) as exc:
        meta.notes.append(f"{path}: unreadable ({exc}); grading the default variant with no due date")
        return meta
    if not isinstance(data, dict):
        meta.notes.append(f"{path}: not a JSON object; ignored")
        return meta
    assignment = data.get("assignment") if isinstance(data.get("assignment"), dict) else {}
    meta.due = parse_time(assignment.get("due_date"))
    meta.late_due = parse_time(assignment.get("late_due_date"))
    meta.title = str(assignment.get("title") or "")
    meta.created_at = parse_time(data.get("created_at"))
    meta.student_id = student_id(data.get("users"))
    if meta.student_id is None:
        meta.notes.append("no user e-mail or id in the metadata; grading the default variant")
    return meta
