"""The class gradebook as CSV: one row per student, one column per part, then the total.

Columns: ``student``, one per part (header = part id, in the spec's order), ``total``,
``status`` (graded | unreadable | error) and ``note`` (why a student was not graded, or the
warnings of their submission). Scores are written with at most four decimals and no trailing
zeros, so the same grades always give the same bytes.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

FIXED = ("student", "total", "status", "note")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Row:
    student: str
    status: str  # graded | unreadable | error
    scores: list[float | None] = field(default_factory=list)  # per part, spec order; None = no grade
    total: float | None = None
    note: str = ""


@functools.lru_cache(maxsize=4096)  # a class has few distinct scores and many cells
def format_score(x: float | None) -> str:
    """12.0 -> '12', 0.333333 -> '0.3333', None -> '' (no grade: spreadsheets keep it blank)."""
    if x is None:
        return ""
    text = f"{round(float(x), 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def header(part_ids: list[str]) -> list[str]:
    """Part ids as headers; one that clashes with a fixed column is written 'part <id>'."""
    cols = [f"part {p}" if p.strip().lower() in FIXED else p for p in part_ids]
    return ["student", *cols, "total", "status", "note"]


def safe_text(text: str, limit: int = 500) -> str:
    """One line, bounded, and never read as a spreadsheet formula (notes quote student input)."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def render(part_ids: list[str], rows: list[Row]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header(part_ids))
    for row in sorted(rows, key=lambda r: r.student):
        scores = list(row.scores) + [None] * (len(part_ids) - len(row.scores))
        student = row.student if not row.student.startswith(("=", "+", "@")) else "'" + row.student
        writer.writerow([student, *(format_score(s) for s in scores[: len(part_ids)]),
                         format_score(row.total), row.status, safe_text(row.note)])
    return buf.getvalue()


def write_gradebook(path: str | Path, part_ids: list[str], rows: list[Row]) -> Path:
    """Write atomically (a half-written gradebook is worse than none)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(render(part_ids, rows))
    tmp.replace(path)
    return path


def read_gradebook(path: str | Path) -> list[dict[str, str]]:
    """The rows back as dicts keyed by header (for tests and the class report)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
