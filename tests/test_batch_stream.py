"""The batch's gradebook database, filled while the class is graded (batch._Stream and
gradebook_db.FreshBuild): the same database as building it at the end, and crash-safe."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import DEMO
from test_batch import make_class


def _dump(folder: Path) -> str:
    conn = sqlite3.connect(str(folder / "gradebook.sqlite"))
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream") / "submissions"
    make_class(folder, n=40)
    return folder


def _outcomes(klass: Path):
    from grader import batch

    entries, _ = batch.discover(klass)
    job = batch.ClassJob(str(DEMO)).prepare()
    return batch, job, entries, batch.grade_class(job, entries, jobs=2)


def test_the_database_filled_while_grading_is_the_one_built_at_the_end(klass, tmp_path):
    from grader import gradebook_views

    batch, job, entries, outcomes = _outcomes(klass)
    streamed = tmp_path / "streamed"
    batch.run_batch(DEMO, klass, jobs=2, out=streamed)
    assert not list(streamed.glob(".gradebook*")), "no half-built file is left behind"
    # the same outcomes, the database made at the end in one go (record_batch, the in-place path)
    at_end = tmp_path / "at_end"
    shutil.copytree(streamed, at_end)
    (at_end / "gradebook.sqlite").unlink()
    outcomes = [job.grade(e) for e in entries]  # graded here, without the rows a worker makes
    assert all(o.db_rows is None for o in outcomes)
    names = batch.report_names(entries)
    index = [{"student": o.student, "file": names[o.student], "status": o.status, "total": o.total, "note": o.note}
             for o in outcomes]
    students = gradebook_views._recorded(at_end, job.problem, outcomes, index)
    from grader import gradebook_db

    gradebook_db.record_batch(at_end, job.problem, students)
    assert _dump(streamed) == _dump(at_end)


def test_chunks_arriving_out_of_order_go_in_in_class_order(klass, tmp_path):
    batch, job, entries, outcomes = _outcomes(klass)
    out = tmp_path / "out"
    out.mkdir()
    stream = batch._Stream(out, job.problem, entries)
    half = len(entries) // 2
    stream(entries[half:], outcomes[half:])  # the second half first: it waits
    assert stream.build is None and stream.next == 0
    stream(entries[:half], outcomes[:half])
    assert stream.next == len(entries)
    build = stream.take()
    assert [r for rows in build.added for r in rows] == [r for o in outcomes for r in o.db_rows]
    build.abandon()
    assert not list(out.glob(".gradebook*"))


def test_a_run_that_dies_while_grading_leaves_the_folder_as_it_was(klass, tmp_path, monkeypatch):
    from grader import batch

    out = tmp_path / "out"
    batch.run_batch(DEMO, klass, jobs=2, out=out)
    before = _dump(out)
    real = batch.write_outputs

    def dies(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "write_outputs", dies)
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch(DEMO, klass, jobs=2, out=out)
    assert _dump(out) == before
    assert not list(out.glob(".gradebook*"))
    monkeypatch.setattr(batch, "write_outputs", real)
    # a half-built file left by a process that was killed is never used, and goes
    (out / ".gradebook.sqlite.new").write_bytes(b"half a database")
    batch.run_batch(DEMO, klass, jobs=2, out=out)
    assert _dump(out) == before and not list(out.glob(".gradebook*"))


def test_a_database_with_marks_is_updated_in_place_not_replaced(klass, tmp_path):
    from grader import batch, gradebook_db

    out = tmp_path / "out"
    batch.run_batch(DEMO, klass, jobs=2, out=out)
    conn = gradebook_db.connect(out)
    gradebook_db.set_graded(conn, "8", ["s001"], "ta")
    conn.close()
    batch.run_batch(DEMO, klass, jobs=2, out=out)
    conn = gradebook_db.connect(out)
    try:
        assert conn.execute("SELECT graded_by FROM marks WHERE student='s001' AND part='8'").fetchone()[0] == "ta"
        assert conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == len(batch.discover(klass)[0])
    finally:
        conn.close()
    assert not list(out.glob(".gradebook*"))


def test_results_reach_the_caller_chunk_by_chunk_and_never_lost_ones(tmp_path):
    from test_batch import _crashy

    from grader.batch_pool import Lost, run_all

    seen: list[tuple[list, list]] = []
    got = run_all(list(range(10)), key=lambda i: i, work=_crashy, jobs=2, hard_timeout=1.5,
                  on_result=lambda items, results: seen.append((list(items), list(results))))
    told = {i: r for items, results in seen for i, r in zip(items, results)}
    assert told == {i: i * 10 for i in range(10) if i not in (3, 6)}
    assert all(not isinstance(r, Lost) for _, results in seen for r in results)
    assert isinstance(got[3], Lost) and isinstance(got[6], Lost)


def test_gradebook_lines_made_one_by_one_are_the_rendered_gradebook():
    import random

    from grader.gradebook import Row, join_lines, render, row_line

    rng = random.Random(3)
    values = [0, 0.0, -0.0, 1, 2.5, None, 1 / 3, float("nan"), float("inf"), True, 1e-9, -2.0, 12.34567]
    notes = ["", "=x", 'a"b', "-1", "  +x", "line\nbreak", "x" * 600, "caf\udce9"]
    ids = ["1", "2", "total", "Note", "x"]
    rows = [Row(f"s{i}", rng.choice(["graded", "error"]), [rng.choice(values) for _ in range(rng.randint(3, 6))],
                rng.choice(values), rng.choice(notes)) for i in range(500)]
    rng.shuffle(rows)
    assert join_lines(ids, [(r.student, row_line(r, len(ids))) for r in rows]) == render(ids, rows)
