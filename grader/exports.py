"""Import files for the course's gradebook, written from the gradebook database (automatic and
manual points): they upload as they are, with no column renamed by hand.

canvas.csv - Canvas's gradebook import (Grades > Import). Canvas reads the layout of its own
  export: the identity columns `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, then
  one column per assignment headed by its name, and an optional `Points Possible` row. It
  matches a student on ID, SIS User ID or SIS Login ID; a header that names no existing
  assignment creates one. The student id goes into `SIS Login ID` unless the results folder
  was told otherwise (`grader mark --canvas-id "SIS User ID"`).
gradescope.csv - Gradescope's score upload matches students by the roster's Email (or SID) and
  reads one score column: `Name`, `SID`, `Email`, `Total Score`, `Max Points`, the layout of
  Gradescope's own score export. An id with an @ goes into Email, any other into SID.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader import gradebook_db as db
from grader.gradebook import format_score

CANVAS = "canvas.csv"
GRADESCOPE = "gradescope.csv"
CANVAS_ID_COLUMNS = ("SIS Login ID", "SIS User ID", "ID")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Never read as a spreadsheet formula (an id could start with '=')."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _meta(conn, key: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else default


def set_canvas_id_column(conn, column: str) -> None:
    if column not in CANVAS_ID_COLUMNS:
        raise ValueError(f"the Canvas id column is one of {', '.join(CANVAS_ID_COLUMNS)}")
    with db.write(conn):
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('canvas_id_column', ?)", (column,))


def _graded(students):
    """Error rows have no grade: left out (an empty cell would be imported as 'no change' by
    Canvas and as an error by Gradescope); grade them again, then export."""
    return [s for s in students if s["status"] != "error" and s["total"] is not None]


def canvas_csv(conn, final=None) -> str:
    from grader.gradebook_views import final_scores

    _, students = final or final_scores(conn)
    assignment = _meta(conn, "canvas_assignment") or _meta(conn, "title") or _meta(conn, "problem_id")
    id_column = _meta(conn, "canvas_id_column", "SIS Login ID")
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerow(["Points Possible", "", "", "", "", format_score(float(_meta(conn, "max_score", "0")))])
    for s in _graded(students):
        row = {"Student": _cell(s["student"]), "ID": "", "SIS User ID": "", "SIS Login ID": "", "Section": ""}
        row[id_column] = _cell(s["student"])
        w.writerow([row["Student"], row["ID"], row["SIS User ID"], row["SIS Login ID"], row["Section"],
                    format_score(s["total"])])
    return buf.getvalue()


def gradescope_csv(conn, final=None) -> str:
    from grader.gradebook_views import final_scores

    _, students = final or final_scores(conn)
    top = format_score(float(_meta(conn, "max_score", "0")))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Name", "SID", "Email", "Total Score", "Max Points"])
    for s in _graded(students):
        sid = s["student"]
        email = sid if "@" in sid else ""
        w.writerow([_cell(sid), "" if email else _cell(sid), _cell(email), format_score(s["total"]), top])
    return buf.getvalue()


def write_exports(folder: Path, conn, final=None) -> list[Path]:
    from grader.gradebook_views import final_scores

    final = final or final_scores(conn)
    out = []
    for name, text in ((CANVAS, canvas_csv(conn, final)), (GRADESCOPE, gradescope_csv(conn, final))):
        path = Path(folder) / name
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        tmp.replace(path)
        out.append(path)
    return out
