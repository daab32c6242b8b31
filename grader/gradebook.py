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

from grader.numbers import fixed

FIXED = ("student", "total", "status", "note")
# OWASP, CSV Injection (https://owasp.org/www-community/attacks/CSV_Injection): no cell may
# begin with = + - @ tab or carriage return; ASVS 1.2.10 adds the null character. Their
# full-width (U+FF1D, U+FF0B, U+FF0D, U+FF20) and small (U+FE66, U+FE62, U+FE63, U+FE6B) forms and
# the minus sign U+2212 are escaped too (some spreadsheets fold them to ASCII), and so is a
# line feed. Leading spaces do not hide them (an import may trim them).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00",
                  "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66", "\ufe62", "\ufe63", "\ufe6b",
                  "\u2212")


@dataclass
class Row:
    """One student's gradebook.csv row: status, per-part scores in spec order (None: no grade) and total."""
    student: str
    status: str  # graded | unreadable | error
    scores: list[float | None] = field(default_factory=list)  # per part, spec order; None = no grade
    total: float | None = None
    note: str = ""


@functools.lru_cache(maxsize=4096)  # a class has few distinct scores and many cells
def format_score(x: float | None) -> str:
    """12.0 -> '12', 0.333333 -> '0.3333', None -> '' (no grade: spreadsheets keep it blank)."""
    return fixed(None if x is None else float(x), 4)


def header(part_ids: list[str]) -> list[str]:
    """Part ids as headers; one that clashes with a fixed column is written 'part <id>'."""
    cols = [f"part {p}" if p.strip().lower() in FIXED else p for p in part_ids]
    return ["student", *cols, "total", "status", "note"]


def safe_text(text: str, limit: int = 500) -> str:
    """One line, bounded, and never read as a spreadsheet formula (notes quote student input)."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return inert_cell(text)


def inert_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: prefixed with ' when it would start a formula."""
    if text.lstrip(" ").startswith(_FORMULA_START) or text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Number(str):
    """A score cell: format_score's text, which csv's QUOTE_NONNUMERIC leaves bare (a number
    the sheet can sum) as it has __float__; written as the str it is, with no call into Python
    (a float subclass's __str__ was one per cell)."""

    def __float__(self) -> float:
        return float(str.__str__(self))


class _Cells(dict):
    """Each distinct score's cell ('' for no grade), made once per process (a class has few
    scores): a row's cells are dict lookups."""

    def __missing__(self, x: float | None) -> str:
        if len(self) >= MAX_CELLS:
            self.clear()
        cell = self[x] = "" if x is None else _Number(format_score(x))  # (0 and -0.0 both "0")
        return cell


MAX_CELLS = 4096
_CELLS = _Cells()


def _cells(row: Row, n_parts: int) -> list:
    scores = list(row.scores) + [None] * (n_parts - len(row.scores))
    return [inert_cell(row.student), *map(_CELLS.__getitem__, scores[:n_parts]), _CELLS[row.total], row.status,
            safe_text(row.note)]


def header_line(part_ids: list[str]) -> str:
    """gradebook.csv's first line."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([inert_cell(h) for h in header(part_ids)])
    return buf.getvalue()


def row_line(row: Row, n_parts: int) -> str:
    """One student's line of gradebook.csv, as render writes it (a batch worker makes it for the
    students it graded: the parent only joins the lines)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC).writerow(_cells(row, n_parts))
    return buf.getvalue()


def join_lines(part_ids: list[str], lines: list[tuple[str, str]]) -> str:
    """gradebook.csv from (student, row_line) pairs: the header, then the lines by student id."""
    return header_line(part_ids) + "".join(line for _, line in sorted(lines, key=lambda sl: sl[0]))


def render(part_ids: list[str], rows: list[Row]) -> str:
    """Every text cell in double quotes (so a ; or a tab inside it never starts a new cell where
    the sheet splits on them) and made inert; scores bare numbers."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    n = len(part_ids)
    for row in sorted(rows, key=lambda r: r.student):
        writer.writerow(_cells(row, n))
    return header_line(part_ids) + buf.getvalue()


def write_gradebook(path: str | Path, part_ids: list[str], rows: list[Row]) -> Path:
    """Write atomically (a half-written gradebook is worse than none)."""
    return write_text(path, render(part_ids, rows))


def write_text(path: str | Path, text: str) -> Path:
    """A gradebook's text written atomically (a temporary file renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", errors="backslashreplace", newline="") as fh:
        fh.write(text)
    tmp.replace(path)
    return path


def read_gradebook(path: str | Path) -> list[dict[str, str]]:
    """The rows back as dicts keyed by header (for tests and the class report)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
