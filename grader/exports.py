"""Import files for the course's gradebook, written from the gradebook database (automatic and
manual points).

canvas.csv - Canvas's gradebook import (Grades > Import). Sources: Instructure's guide "How do I
  import grades in the Gradebook?" (https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-
  import-grades-in-the-Gradebook/ta-p/807) and the importer itself, Canvas LMS's
  app/models/gradebook_importer.rb (GradebookImporter) with Assignment.title_and_id. The importer
  wants the header `Student`, `ID`, then `SIS User ID` + `SIS Login ID` (or `SIS Login ID`
  alone), then a column whose header contains `Section`; every later column is an assignment,
  matched by the id in a `Name (123)` header, else by its exact name, else created; a row whose
  first cell contains `Points Possible` gives the points; a student is matched on ID (Canvas's
  numeric user id), then SIS User ID, then SIS Login ID, then name. The student id goes into
  `SIS Login ID` unless told otherwise (`grader mark --canvas-id`), and the assignment header is
  the problem's title unless told otherwise (`grader mark --canvas-assignment "Exam (4711)"`).
gradescope.csv - NOT an import: Gradescope's documentation describes no CSV upload of scores
  into an assignment (searched: its help center's roster, grading and export guides). The file
  has the first columns of Gradescope's own assignment score export (`Name`, `SID`, `Email`,
  `Total Score`, `Max Points`), for the scripts and spreadsheets that read that export. A class
  graded on Gradescope marks its hand-graded parts there (manual questions).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from grader import gradebook_db as db
from grader.gradebook import format_score, inert_cell

CANVAS = "canvas.csv"
GRADESCOPE = "gradescope.csv"
CANVAS_ID_COLUMNS = ("SIS Login ID", "SIS User ID", "ID")
# GradebookImporter::NON_ASSIGNMENT_COLUMN_HEADERS: a header containing one of these is not an
# assignment to Canvas, and its scores are silently dropped.
CANVAS_NOT_ASSIGNMENTS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points",
                          "Final Grade", "Override Score", "Override Grade", "Override Status")
_CANVAS_TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z", re.S)  # Assignment.title_and_id
_cell = inert_cell  # the gradebook's OWASP rule: an id never reads as a spreadsheet formula


def _meta(conn, key: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else default


def set_canvas_id_column(conn, column: str) -> None:
    """Remember which Canvas column holds the student id (kept in the results folder's database)."""
    if column not in CANVAS_ID_COLUMNS:
        raise ValueError(f"the Canvas id column is one of {', '.join(CANVAS_ID_COLUMNS)}")
    with db.write(conn):
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('canvas_id_column', ?)", (column,))


def set_canvas_assignment(conn, header: str) -> None:
    """The assignment column's header: an existing Canvas assignment as Canvas's own export names
    it (`Exam (4711)`: matched by the id), or a name (matched exactly, or a new assignment);
    an empty one goes back to the problem's title."""
    header = " ".join(str(header).split())
    with db.write(conn):  # remembered by the results folder; "" goes back to the problem's title
        if header:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('canvas_assignment', ?)", (header,))
        else:
            conn.execute("DELETE FROM meta WHERE key='canvas_assignment'")


def canvas_assignment(conn) -> str:
    """The assignment header for canvas.csv: the one chosen with --canvas-assignment, else the problem's title."""
    return _meta(conn, "canvas_assignment") or _meta(conn, "title") or _meta(conn, "problem_id")


def canvas_warnings(conn) -> list[str]:
    """What Canvas's importer would do with the assignment header that the TA may not expect."""
    header = canvas_assignment(conn)
    chosen = bool(_meta(conn, "canvas_assignment"))
    out = []
    hit = next((n for n in CANVAS_NOT_ASSIGNMENTS if n in header), None)
    if hit:
        out.append(f"canvas.csv: Canvas ignores a column whose header contains '{hit}' (its own total "
                   f"columns), so the scores under '{header}' would not be imported; name the "
                   f"assignment with grader mark --canvas-assignment NAME")
    m = _CANVAS_TITLE_AND_ID.match(header)
    if m and not chosen:
        out.append(f"canvas.csv: Canvas reads the header '{header}' as the assignment with id {m.group(2)} "
                   f"(or, if the course has none, a new assignment named '{m.group(1)}'); to be sure, "
                   f"give it with grader mark --canvas-assignment \"NAME (ID)\" as Canvas's export names it")
    return out


def _graded(students):
    """Error rows have no grade: left out (an empty cell would be imported as 'no change' by
    Canvas and as an error by Gradescope); grade them again, then export."""
    return [s for s in students if s["status"] != "error" and s["total"] is not None]


def canvas_csv(conn, final=None) -> str:
    """The gradebook as Canvas's import CSV (Points Possible row; ids never read as spreadsheet formulas)."""
    from grader.gradebook_views import final_scores

    _, students = final or final_scores(conn)
    assignment = canvas_assignment(conn)
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
    """The gradebook as Gradescope's score import CSV (an id with '@' goes in Email, else SID)."""
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
    """Write canvas.csv and gradescope.csv through temporary files (a reader never sees half a file)."""
    from grader.gradebook_views import final_scores

    return write_texts(folder, export_texts(conn, final or final_scores(conn)))


def export_texts(conn, final) -> list[tuple[str, str]]:
    """(file name, text) of canvas.csv and gradescope.csv."""
    return [(CANVAS, canvas_csv(conn, final)), (GRADESCOPE, gradescope_csv(conn, final))]


def write_texts(folder: Path, texts: list[tuple[str, str]]) -> list[Path]:
    """The import files written through temporary files."""
    out = []
    for name, text in texts:
        path = Path(folder) / name
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        tmp.replace(path)
        out.append(path)
    return out
