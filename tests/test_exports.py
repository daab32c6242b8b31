"""The import files written from the gradebook database, read the way Canvas reads them, and
`validate`'s check that a manual part's rubric fits its points.

Canvas, sources: Instructure's guide "How do I import grades in the Gradebook?"
(https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807,
cited, its text not available to us; PrairieLearn's maintainers tested it against a real Canvas in
https://github.com/PrairieLearn/PrairieLearn/issues/4547: Student, SIS Login ID and Section must
be there, Section may be blank, an assignment is matched by its exact name) and the importer's
code, Canvas LMS app/models/gradebook_importer.rb, whose rules `canvas_import` below follows:
the header is `Student`, `ID`, then `SIS User ID` + `SIS Login ID` (or `SIS Login ID` alone),
then a column containing `Section` (row_has_student_headers?, update_column_count, header?);
later headers are assignments, `Name (123)` naming one by id (Assignment.title_and_id), and
headers containing Canvas's own total columns' names are dropped
(NON_ASSIGNMENT_COLUMN_HEADERS); a row whose first cell contains `Points Possible` gives the
points (check_for_non_student_row); a student is found by ID, SIS User ID, SIS Login ID, then
name (process_student).

Gradescope: its documentation describes no CSV upload of scores into an assignment (searched:
Gradescope Help / Gradescope Guides on rosters, grading and exports). What it documents is the
roster (Gradescope Guides, "Adding Students and Staff",
https://guides.gradescope.com/hc/en-us/articles/21926598776333-Adding-Students-and-Staff: a
header on every column, a unique e-mail address per member, a full-name column or first and
last name columns). gradescope.csv therefore only has the first columns of Gradescope's
assignment score export, as scripts that read that export use them (`SID`, `Total Score`: e.g.
https://gist.github.com/havron/554d0ffaec20a466a7f8ecca4d76c5da), and the test says no more.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

from grader import gradebook_db as db
from grader.exports import canvas_csv, gradescope_csv
from grader.gradebook_views import refresh
from tests.marking_class import grade_class, write_class

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("exports")
    subs = write_class(base / "subs", 6, hostile=False)
    # one student named by e-mail address, one whose id a spreadsheet would run as a formula
    (subs / "s0004.json").rename(subs / "ana@uni.example.json")
    (subs / "s0005.json").rename(subs / "=HYPERLINK(1).json")
    return grade_class(subs, base / "results")


@pytest.fixture
def results(graded, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(graded, out)
    conn = db.connect(out)
    item = db.rubric(conn, "3.3")[0]  # 1.25 points
    db.set_item(conn, "3.3", ["s0000", "ana@uni.example"], item.id, True, "ta")
    conn.close()
    refresh(out)
    return out


def canvas_import(text: str, known: dict[int, str] | None = None) -> dict:
    """What Canvas's GradebookImporter makes of a CSV (its header, points and student rules; see
    the module docstring): the assignments (title, id or None for a new one), their points, and
    each student row's identity and scores. `known`: the course's assignments, id -> title."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], header
    columns, login, user = 3, None, None
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        login, columns = 2, 4
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        user, login, columns = 2, 3, 5
    assert "Section" in header[columns - 1], "the last identity column must be Section"
    not_assignments = re.compile("|".join(["Current Score", "Current Points", "Current Grade", "Final Score",
                                           "Final Points", "Final Grade", "Override Score", "Override Grade",
                                           "Override Status"]))
    assignments = []
    for i, name in enumerate(header[columns:], columns):
        if not_assignments.search(name):
            continue
        m = re.fullmatch(r"(.*)\s\((\d+)\)", name, re.S)
        title, aid = (m.group(1), int(m.group(2))) if m else (name, None)
        if aid is None or aid not in (known or {}):
            aid = next((k for k, t in (known or {}).items() if t == name), None)
        assignments.append({"column": i, "title": (known or {}).get(aid, title), "id": aid})
    points, students = {}, []
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            points = {a["title"]: row[a["column"]] for a in assignments}
            continue
        students.append({"name": row[0], "id": row[1], "sis_user_id": row[user] if user is not None else "",
                         "sis_login_id": row[login] if login is not None else "",
                         "scores": {a["title"]: row[a["column"]].strip() for a in assignments}})
    return {"assignments": assignments, "points": points, "students": students}


def _read(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8")
    assert "\r\n" in text  # RFC 4180 line ends, as both importers expect
    return list(csv.reader(io.StringIO(text)))


def test_canvas_import_file_has_canvas_columns_and_the_total_with_manual_points(results):
    rows = _read(results / "canvas.csv")
    title = "Deep Learning 1 (UvA, 52041DEL6Y) 2022/23 - resit exam"
    assert rows[0] == CANVAS_IDENTITY + [title]  # the assignment column: its exact name
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "100"
    # every row has exactly the header's cells: nothing to fix by hand before importing
    assert {len(r) for r in rows} == {6} and len(rows) == 2 + 6
    # read as Canvas's importer reads it: one new assignment (no id), 100 points, each student
    # found by SIS Login ID with automatic + manual points
    got = canvas_import((results / "canvas.csv").read_text(encoding="utf-8"))
    assert [(a["title"], a["id"]) for a in got["assignments"]] == [(title, None)]
    assert got["points"] == {title: "100"}
    by_login = {s["sis_login_id"]: s for s in got["students"]}
    assert by_login["s0000"]["scores"] == {title: "52.25"}  # 51 automatic + 1.25 by hand
    assert by_login["s0001"]["scores"] == {title: "51"}
    assert by_login["ana@uni.example"]["scores"] == {title: "52.25"}
    assert "'=HYPERLINK(1)" in by_login  # never a formula
    assert all(s["id"] == "" and s["sis_user_id"] == "" for s in got["students"])
    # an existing assignment with that exact name receives the scores (no new one)
    again = canvas_import((results / "canvas.csv").read_text(encoding="utf-8"), known={4711: title})
    assert again["assignments"][0]["id"] == 4711


def test_canvas_assignment_can_name_an_existing_assignment_by_id(results):
    from grader.cli import main
    from tests.marking_class import PROBLEM

    assert main(["mark", str(PROBLEM), str(results), "--export", "--canvas-assignment", "Resit exam (4711)"]) == 0
    text = (results / "canvas.csv").read_text(encoding="utf-8")
    got = canvas_import(text, known={4711: "Resit exam", 12: "Midterm"})
    assert [(a["title"], a["id"]) for a in got["assignments"]] == [("Resit exam", 4711)]
    assert {s["sis_login_id"]: s["scores"]["Resit exam"] for s in got["students"]}["s0000"] == "52.25"
    # remembered by the folder; "" goes back to the problem's title
    assert main(["mark", str(PROBLEM), str(results), "--export"]) == 0
    assert "Resit exam (4711)" in (results / "canvas.csv").read_text(encoding="utf-8")
    assert main(["mark", str(PROBLEM), str(results), "--export", "--canvas-assignment", ""]) == 0
    assert canvas_import((results / "canvas.csv").read_text(encoding="utf-8"))["assignments"][0]["title"] == \
        "Deep Learning 1 (UvA, 52041DEL6Y) 2022/23 - resit exam"


@pytest.mark.parametrize("title,chosen,expected", [
    ("Quiz (3)", False, "reads the header 'Quiz (3)' as the assignment with id 3"),
    ("Exam - Final Grade part", False, "ignores a column whose header contains 'Final Grade'"),
    ("Quiz (3)", True, None),  # named on purpose with --canvas-assignment: no warning
    ("Deep Learning 1 (UvA, 52041DEL6Y) 2022/23 - resit exam", False, None),
])
def test_grader_mark_warns_of_an_assignment_header_canvas_would_misread(results, capsys, title, chosen, expected):
    from grader.cli import main
    from tests.marking_class import PROBLEM

    conn = db.connect(results)
    with db.write(conn):
        conn.execute("UPDATE meta SET value=? WHERE key='title'", (title,))
    conn.close()
    args = ["--canvas-assignment", title] if chosen else []
    assert main(["mark", str(PROBLEM), str(results), "--export", *args]) == 0
    err = capsys.readouterr().err
    if expected is None:
        assert "warning: canvas.csv" not in err
    else:
        assert expected in err and "--canvas-assignment" in err
        assert canvas_import((results / "canvas.csv").read_text(encoding="utf-8"))  # still a valid file


def test_canvas_id_column_can_be_the_sis_user_id(results):
    from grader.exports import set_canvas_id_column

    conn = db.connect(results)
    set_canvas_id_column(conn, "SIS User ID")
    rows = {r["SIS User ID"]: r for r in csv.DictReader(io.StringIO(canvas_csv(conn)))}
    assert rows["s0000"]["SIS Login ID"] == "" and rows["s0000"]["Student"] == "s0000"
    with pytest.raises(ValueError):
        set_canvas_id_column(conn, "Email")


def test_gradescope_file_has_the_first_columns_of_gradescopes_score_export(results):
    """Not an upload: Gradescope documents none (see the module docstring). The columns are the
    first ones of Gradescope's assignment score export; an id with @ is the roster's Email."""
    rows = list(csv.DictReader(io.StringIO((results / "gradescope.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["Name", "SID", "Email", "Total Score", "Max Points"]
    by = {r["Email"] or r["SID"]: r for r in rows}
    assert by["ana@uni.example"]["SID"] == "" and by["ana@uni.example"]["Total Score"] == "52.25"
    assert by["s0000"]["Email"] == "" and by["s0000"]["Total Score"] == "52.25"
    assert {r["Max Points"] for r in rows} == {"100"}


def test_error_rows_are_left_out_of_the_imports(results):
    conn = db.connect(results)
    with db.write(conn):
        conn.execute("UPDATE submissions SET status='error' WHERE student='s0001'")
    assert "s0001" not in canvas_csv(conn) and "s0001" not in gradescope_csv(conn)


def test_gradebook_csv_has_the_manual_points_in_the_part_column_and_total(results):
    from grader.gradebook import read_gradebook

    rows = {r["student"]: r for r in read_gradebook(results / "gradebook.csv")}
    assert rows["s0000"]["3.3"] == "1.25" and rows["s0000"]["total"] == "52.25"
    assert rows["s0001"]["3.3"] == "0"


def test_class_report_counts_manual_points(results):
    pytest.importorskip("matplotlib")
    from grader.class_stats import load_students

    students, _ = load_students(results)
    by = {s.id: s for s in students}
    assert by["s0000"].total == pytest.approx(52.25)


# ---------------------------------------------------------------- validate: rubric vs points

def _spec(tmp_path, points, rubric, extra=""):
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    items = "\n".join(f"      - {{item: \"{t}\", points: {p}}}" for t, p in rubric)
    (folder / "problem.yaml").write_text(
        f"id: p\ntitle: P\nparts:\n  - id: \"1\"\n    points: {points}\n    type: manual\n{extra}"
        f"    rubric:\n{items}\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("points,rubric,extra,message", [
    (2, [("a", 2), ("b", 2)], "", "add up to 4 points, more than the part's 2"),
    (4, [("a", 1)], "", "add up to 1 points, less than the part's 4"),
    (2, [("a", 3)], "    alternatives: true\n", "rubric item 1 is worth 3 points, more than the part's 2"),
    (2, [("a", "two")], "", "points must be a number"),
])
def test_validate_refuses_a_rubric_that_does_not_fit_the_points(tmp_path, points, rubric, extra, message):
    from grader.errors import SpecError
    from grader.spec import load_problem

    with pytest.raises(SpecError) as err:
        load_problem(_spec(tmp_path, points, rubric, extra))
    assert message in str(err.value) and "1" in str(err.value)


@pytest.mark.parametrize("points,rubric,extra", [
    (2, [("a", 1), ("b", 1)], ""),
    (2, [("a", 2), ("b", 2)], "    alternatives: true\n"),  # "any one of": capped
    (2, [("a", 2), ("deduction", -1)], ""),
])
def test_validate_accepts_a_rubric_that_fits(tmp_path, points, rubric, extra):
    from grader.spec import load_problem

    problem = load_problem(_spec(tmp_path, points, rubric, extra))
    assert problem.parts[0].points == points
