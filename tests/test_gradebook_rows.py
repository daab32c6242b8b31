"""The results rows a batch worker makes (flat) and how they go into the database."""

import sqlite3
import unicodedata

import pytest

from grader import gradebook_db as db


def _one_by_one(student, status, ids, scores, manual):
    """student_rows written out a part at a time (what it gives, row by row)."""
    rows = []
    for pid, score in zip(ids, scores):
        kept = (manual or {}).get(pid)
        if kept is None:
            rows.append((db._text(student), pid, score, status or "", None, None, ""))
            continue
        answer, part_status, feedback = kept
        cells = (None, None) if answer is None else db._answer_cells(answer)
        fb = (db._text(str(feedback)) if feedback else "") if answer is None else db._text(str(feedback or ""))
        rows.append((db._text(student), pid, score, part_status or "", *cells, fb))
    return rows


@pytest.mark.parametrize("manual", [None, {}, {"b": ("x  y", "manual", "recorded")}, {"b": (None, "missing", None)},
                                    {"c": ([1, "a"], None, 0), "zz": ("not a part", "manual", "")}])
@pytest.mark.parametrize("scores", [[1.0, None, 0.5], [1.0], [1.0, 0.0, 0.5, 9.0]])
def test_student_rows_are_the_rows_one_by_one_flat(manual, scores):
    ids = ["a", "b", "c"]
    flat = db.student_rows("s\ud800", "graded", ids, scores, manual)
    rows = _one_by_one("s\ud800", "graded", ids, scores, manual)
    assert flat == tuple(v for row in rows for v in row)
    assert db.row_scores(flat) == [row[2] for row in rows]


@pytest.mark.parametrize("text", ["a b", " a b", "a b ", "a  b", "a\tb", "a\u00a0b", "a\u3000b", "a\u2028b", "",
                                  " ", "e\u0301", "\u212b x", "x\x1fy", "tab\t", "\ud800 a"])
def test_normalize_answer_collapses_as_split_and_join(text):
    assert db.normalize_answer(text) == (" ".join(unicodedata.normalize("NFC", text).split()) or None)


def test_students_rows_go_in_in_order_whatever_their_count():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE results (student, part, score, status, answer, answer_key, feedback)")
    many = tuple(v for i in range(250) for v in ("s1", f"p{i}", float(i), "graded", None, None, ""))
    students = [db.student_rows("s0", "graded", ["a", "b"], [1.0, None], None), many, (),
                db.student_rows("s2", "error", ["a", "b"], [None, None], None),
                db.student_rows("s3", "graded", ["a", "b"], [0.5, 0.25], {"b": ("t", "manual", "f")})]
    db._insert_results(conn, students)
    got = conn.execute("SELECT * FROM results ORDER BY rowid").fetchall()
    assert got == [tuple(rows[i:i + db.ROW_WIDTH]) for rows in students for i in range(0, len(rows), db.ROW_WIDTH)]
