"""The import files written from the gradebook database, read the way Canvas and Gradescope
read them, and `validate`'s check that a manual part's rubric fits its points.

Canvas: "How do I import grades in the Gradebook?" (Instructure Community, Instructor Guide,
https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807):
the CSV has the layout of Canvas's own gradebook export - the identity columns Student, ID,
SIS User ID, SIS Login ID, Section, then one column per assignment headed by its name; a
"Points Possible" row may follow the header; a student is matched on ID, SIS User ID or SIS
Login ID. PrairieLearn's maintainers tested the minimum Canvas accepts (PrairieLearn issue
#4547, https://github.com/PrairieLearn/PrairieLearn/issues/4547): Student, SIS Login ID and
Section must be present (Section may be blank); an assignment column is matched by its exact
name.

Gradescope: a course roster identifies a student by a unique e-mail address, optionally an SID
(Gradescope Help, "Adding Students and Staff",
https://help.gradescope.com/article/w59nl02vyt-instructor-course-add-members); its score
export and upload use the columns Name, SID, Email and Total Score (the layout of the
assignment's "Download Grades" CSV), matching on Email or SID.
"""

from __future__ import annotations

import csv
import io
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


def _read(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8")
    assert "\r\n" in text  # RFC 4180 line ends, as both importers expect
    return list(csv.reader(io.StringIO(text)))


def test_canvas_import_file_has_canvas_columns_and_the_total_with_manual_points(results):
    rows = _read(results / "canvas.csv")
    title = "Deep Learning 1 (UvA, 52041DEL6Y) 2022/23 - resit exam"
    assert rows[0] == CANVAS_IDENTITY + [title]  # the assignment column: its exact name
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "100"
    by_login = {r[3]: r for r in rows[2:]}
    assert by_login["s0000"][-1] == "52.25"  # 51 automatic + 1.25 by hand
    assert by_login["s0001"][-1] == "51"
    assert by_login["ana@uni.example"][-1] == "52.25"
    assert "'=HYPERLINK(1)" in by_login  # never a formula
    assert all(r[4] == "" for r in rows[2:])  # Section present, blank
    assert len(rows) == 2 + 6
    # every row has exactly the header's cells: nothing to fix by hand before importing
    assert {len(r) for r in rows} == {6}


def test_canvas_id_column_can_be_the_sis_user_id(results):
    from grader.exports import set_canvas_id_column

    conn = db.connect(results)
    set_canvas_id_column(conn, "SIS User ID")
    rows = {r["SIS User ID"]: r for r in csv.DictReader(io.StringIO(canvas_csv(conn)))}
    assert rows["s0000"]["SIS Login ID"] == "" and rows["s0000"]["Student"] == "s0000"
    with pytest.raises(ValueError):
        set_canvas_id_column(conn, "Email")


def test_gradescope_upload_file_matches_on_email_or_sid(results):
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
