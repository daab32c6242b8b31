"""The class's gradebook database: one SQLite file (`gradebook.sqlite`) in the results folder.

It holds what `--batch --out` graded automatically and what TAs marked by hand (rubric items
applied, comments, point adjustments, who and when, and the history of every change). A batch
re-run replaces the automatic results and keeps every manual mark; gradebook.csv, the JSON
reports and the class report are written from it (grader/gradebook_views.py).

Concurrency: every write is one short transaction (`BEGIN IMMEDIATE`), rubric items are applied
and removed by explicit set/unset (never a blind toggle), and comments and adjustments carry a
version number checked on write, so two TAs marking at once never overwrite each other unseen.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Any, Iterator

from grader.templates import placeholders

# Binding None makes the sqlite3 module look for an adapter, and failing to find one formats
# an AttributeError each time: registered, None is bound (as NULL) after one dict lookup. A
# class's results rows hold ~60,000 Nones.
sqlite3.register_adapter(type(None), lambda _: None)

DB_NAME = "gradebook.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parts (
    id TEXT PRIMARY KEY, position INTEGER NOT NULL, title TEXT NOT NULL, type TEXT NOT NULL,
    max_score REAL NOT NULL, manual INTEGER NOT NULL, prompt TEXT NOT NULL DEFAULT '',
    reference TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS students (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT PRIMARY KEY REFERENCES students(id), status TEXT NOT NULL, note TEXT NOT NULL,
    report_file TEXT NOT NULL, total REAL, graded_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL, part TEXT NOT NULL, score REAL, status TEXT NOT NULL,
    answer TEXT, answer_key TEXT, feedback TEXT NOT NULL DEFAULT '', PRIMARY KEY (student, part));
CREATE INDEX IF NOT EXISTS results_by_group ON results (part, answer_key);
CREATE TABLE IF NOT EXISTS rubric_items (
    id INTEGER PRIMARY KEY, part TEXT NOT NULL, position INTEGER NOT NULL, text TEXT NOT NULL,
    points REAL NOT NULL, origin TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rubric_by_part ON rubric_items (part, position);
CREATE TABLE IF NOT EXISTS marks (
    student TEXT NOT NULL, part TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '',
    adjustment REAL NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 1,
    graded_by TEXT NOT NULL, graded_at TEXT NOT NULL, PRIMARY KEY (student, part));
CREATE TABLE IF NOT EXISTS applied (
    student TEXT NOT NULL, part TEXT NOT NULL, item INTEGER NOT NULL REFERENCES rubric_items(id),
    applied_by TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (student, part, item));
CREATE INDEX IF NOT EXISTS applied_by_item ON applied (item);
CREATE INDEX IF NOT EXISTS applied_by_part ON applied (part, student);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
    part TEXT, student TEXT, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dirty (student TEXT PRIMARY KEY);
"""


class Conflict(Exception):
    """Someone else changed this mark since it was read: the caller gets the current state."""

    def __init__(self, message: str, current: dict[str, Any]):
        super().__init__(message)
        self.current = current


class NotFound(Exception):
    """A part, student or rubric item named in a request is not in the gradebook (the app answers 404)."""
    pass


@dataclass(frozen=True)
class RubricItem:
    """One rubric line of a part; ``version`` grows with each edit so concurrent markers can detect conflicts."""
    id: int
    part: str
    position: int
    text: str
    points: float
    version: int


def db_path(folder: str | Path) -> Path:
    """Where a class folder's gradebook database lives."""
    return Path(folder) / DB_NAME


def now() -> str:
    """UTC timestamp for audit fields, to the second, in ISO form (sorts as text)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def normalize_answer(answer: Any) -> str | None:
    """The key that groups identical answers: Unicode NFC, whitespace collapsed; None when
    nothing was answered. Case is kept (in math, x and X differ)."""
    if answer is None:
        return None
    text = answer if isinstance(answer, str) else json.dumps(answer, sort_keys=True, ensure_ascii=False)
    if not text.isascii():  # (ASCII text is its own NFC form)
        text = unicodedata.normalize("NFC", text)
    if not _collapsed(text):
        text = " ".join(text.split())
    return text or None


def _collapsed(text: str) -> bool:
    """Whether " ".join(text.split()) is `text` itself (the common answer: splitting and joining
    it costs ~10 times this test). Every whitespace character but the space is unprintable."""
    return text.isprintable() and "  " not in text and not text.startswith(" ") and not text.endswith(" ")


def connect(folder: str | Path, *, create: bool = False, journal: str = "WAL") -> sqlite3.Connection:
    """Open the folder's database (WAL: readers never wait for a writer), migrating if needed.
    journal="DELETE" is for building a new file in one transaction (see record_batch)."""
    path = db_path(folder)
    if not create and not path.is_file():
        from grader.errors import UsageError

        raise UsageError(f"{path}: no gradebook database here (grade the class first: "
                         f"grader grade PROBLEM SUBMISSIONS --batch --out {Path(folder)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA journal_mode={'DELETE' if journal == 'DELETE' else 'WAL'}")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    _migrate(conn)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        from grader.errors import UsageError

        raise UsageError(f"the gradebook database has schema version {version}; this grader knows "
                         f"up to {SCHEMA_VERSION}: update the grader")
    if version < 1:  # CREATE ... IF NOT EXISTS: safe when two processes open a new folder at once
        # one transaction (one sync), not one per statement
        conn.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}\nPRAGMA user_version={SCHEMA_VERSION};\nCOMMIT;")
    # later versions: `if version < 2: ...` steps here, each in its own transaction


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (IMMEDIATE) so concurrent writers queue, not fail."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _log(conn, who: str, action: str, part: str | None, student: str | None, detail: dict,
         at: str | None = None) -> None:
    conn.execute("INSERT INTO history (at, who, action, part, student, detail) VALUES (?,?,?,?,?,?)",
                 (now() if at is None else at, who, action, part, student,
                  json.dumps(detail, sort_keys=True, ensure_ascii=False)))


# ---------------------------------------------------------------- written by --batch

def record_batch(folder: str | Path, problem, students: list[dict[str, Any]]) -> None:
    """Replace the automatic results with this run's; manual marks and rubric edits stay.

    `students`: one dict per student with student, status, note, file, total and parts
    (the report's parts: id, score, status, answer)."""
    _drop_if_untouched(folder)
    # A new file is built in rollback-journal mode: pages past the file's end need no journal,
    # so the class is written once (WAL would write it twice: log, then checkpoint). Still
    # crash-safe (synchronous=NORMAL, one transaction); WAL is switched on once it is written.
    fresh = not db_path(folder).is_file()
    conn = connect(folder, create=True, journal="DELETE" if fresh else "WAL")
    try:
        with write(conn):
            _record_parts(conn, problem)
            conn.execute("DELETE FROM results")
            conn.execute("DELETE FROM submissions")
            conn.executemany("INSERT OR IGNORE INTO students (id) VALUES (?)",
                             [(_text(s["student"]),) for s in students])
            conn.executemany("INSERT INTO submissions VALUES (?,?,?,?,?,?)", _submission_rows(students))
            conn.execute("DROP INDEX IF EXISTS results_by_group")  # one bulk insert, then the index
            _insert_results(conn, _result_rows(students))
            conn.execute("CREATE INDEX results_by_group ON results (part, answer_key)")
            _record_meta(conn, problem, len(students))
        if fresh:
            conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


class FreshBuild:
    """A new database for a batch, built beside the folder's own (a hidden file) while the
    class is graded, then renamed into place: the results go in as the workers send them, in
    class order, so little is left to do once the last student is graded.

    For a folder whose database is absent or holds nothing but the last run (replaceable()):
    the new file gives the same `sqlite3 .dump` as record_batch. Crash-safe: until the rename
    the folder keeps its database as it was, and a half-built file is never used (so it needs
    no journal: it is synced as it is written, and once more before the rename)."""

    def __init__(self, folder: str | Path, problem, students: int):
        self.folder = Path(folder)
        # the index is built (at once) when nine in ten of the class's `students` are in: the
        # last ones are graded meanwhile, and go in with the index kept up to date
        self.index_at = max(1, students * 9 // 10)
        self.indexed = False
        self.path = self.folder / f".{DB_NAME}.new"
        _unlink(self.path)
        self.added: list[tuple] = []  # the students' rows inserted so far, in class order
        self.installed = False
        self.conn: sqlite3.Connection | None = sqlite3.connect(str(self.path), isolation_level=None,
                                                                check_same_thread=False)
        self._fd = -1
        try:
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=ON"):
                self.conn.execute(f"PRAGMA {pragma}")
            _migrate(self.conn)
            self._fd = os.open(self.path, os.O_RDONLY)  # for syncing (SQLite has made the file)
            self.conn.execute("BEGIN IMMEDIATE")
            _record_parts(self.conn, problem)
            # made anew, as record_batch does (kept up to date from the start, it would cost the
            # workers' cores more than building it at once)
            self.conn.execute("DROP INDEX IF EXISTS results_by_group")
        except BaseException:
            self.abandon()
            raise

    def add(self, rows: list[tuple], sync: bool = True) -> None:
        """The next students' results rows (each student's as student_rows made them).
        Whatever the chunks, the file is written by the same steps (a re-run, another --jobs,
        a regrade with --only, gives the same bytes)."""
        assert self.conn is not None
        if not self.indexed and len(self.added) + len(rows) >= self.index_at:
            cut = self.index_at - len(self.added)  # at that very student, however the rows come
            self._insert(rows[:cut])
            self._index()
            rows = rows[cut:]
        self._insert(rows)
        if sync:  # what SQLite has written so far goes to the disk now, while the workers grade:
            os.fdatasync(self._fd)  # the sync before the rename then has little left to write

    def holds_rows_of(self, students: list[dict[str, Any]]) -> bool:
        """Whether the rows added so far are the first `students`' own (as record_batch gets them)."""
        done = len(self.added)
        return done <= len(students) and all(students[i].get("rows") is self.added[i] for i in range(done))

    def finish(self, problem, students: list[dict[str, Any]]) -> None:
        """Everything record_batch writes (the rest of the students' rows first, then the rest
        of the tables), committed, in WAL mode. The caller has checked holds_rows_of."""
        conn = self.conn
        assert conn is not None
        self.add(_result_rows(students[len(self.added):]), sync=False)
        if not self.indexed:  # (no student)
            self._index()
        conn.executemany("INSERT OR IGNORE INTO students (id) VALUES (?)", [(_text(s["student"]),) for s in students])
        conn.executemany("INSERT INTO submissions VALUES (?,?,?,?,?,?)", _submission_rows(students))
        _record_meta(conn, problem, len(students))
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")

    def _insert(self, rows: list[tuple]) -> None:
        assert self.conn is not None
        _insert_results(self.conn, rows)
        self.added.extend(rows)

    def _index(self) -> None:
        assert self.conn is not None
        self.conn.execute("CREATE INDEX results_by_group ON results (part, answer_key)")
        self.indexed = True

    def install(self) -> bool:
        """Sync the finished file and rename it over the folder's database, unless that one
        holds marks by now (False: the caller records the run in it, in place)."""
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
        if not replaceable(self.folder):
            self.abandon()
            return False
        os.fsync(self._fd)
        self._close_fd()
        real = db_path(self.folder)
        _unlink(real, ("-journal", "-wal", "-shm"))  # never laid over the new file
        os.replace(self.path, real)  # the old file goes in the same step
        self.installed = True
        try:
            fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(fd)  # the rename itself
            finally:
                os.close(fd)
        except OSError:
            pass
        return True

    def abandon(self) -> None:
        """Close and remove the unfinished file (nothing to do once installed)."""
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
        self._close_fd()
        if not self.installed:
            _unlink(self.path)

    def _close_fd(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


def _unlink(path: Path, suffixes: tuple[str, ...] = ("", "-journal", "-wal", "-shm")) -> None:
    """A database file and its journal, WAL and shared-memory files, where they exist."""
    for suffix in suffixes:
        try:
            Path(str(path) + suffix).unlink()
        except FileNotFoundError:
            pass


def _submission_rows(students: list[dict[str, Any]]) -> list[tuple]:
    stamp = ""  # no clock in what a batch writes: the same class gives the same bytes
    return [(_text(s["student"]), s["status"], _text(s.get("note") or ""), _text(s["file"]), s.get("total"), stamp)
            for s in students]


def _record_meta(conn, problem, students: int) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('problem_id', ?)", (problem.id,))
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('title', ?)", (problem.title,))
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('max_score', ?)", (repr(float(problem.total)),))
    _log(conn, "grader --batch", "batch", None, None, {"students": students}, at="")


_answer_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(.., ensure_ascii=False), made once


def _made_answer_cells(answer: Any) -> tuple[Any, Any]:
    """A hand-graded answer's JSON and its normal form (see normalize_answer), as stored."""
    made = _encode_str(answer) if type(answer) is str else _answer_json(answer)  # (what encode does for a str)
    return _text(made), _text(normalize_answer(answer))


_encode_str = json.encoder.encode_basestring  # ensure_ascii=False


# a class repeats answers (a report's texts are at most a few thousand characters)
_text_answer_cells = functools.lru_cache(maxsize=4096)(_made_answer_cells)


def _answer_cells(answer: Any) -> tuple[Any, Any]:
    """_made_answer_cells, made once per process for each distinct text."""
    return _text_answer_cells(answer) if type(answer) is str else _made_answer_cells(answer)


ROW_WIDTH = 7  # the results table's columns: a student's rows are ROW_WIDTH values per part, flat


def _result_rows(students: list[dict[str, Any]]) -> list[tuple]:
    """Each student's rows of the results table (flat, as student_rows makes them). Most parts
    carry no answer and no feedback (only hand-graded parts keep them): those rows skip the
    JSON and normalizing work (a class is ~40,000 rows)."""
    out: list[tuple] = []
    for s in students:
        made = s.get("rows")
        if made is not None:  # built where the student was graded (student_rows)
            out.append(made)
            continue
        student = _text(s["student"])
        values: list[Any] = []
        for p in s.get("parts", ()):
            answer, feedback = p.get("answer"), p.get("feedback")
            status = p.get("status") or ""
            if answer is None:
                values += (student, p["id"], p.get("score"), status, None, None,
                           _text(str(feedback)) if feedback else "")
            else:
                values += (student, p["id"], p.get("score"), status, *_answer_cells(answer),
                           _text(str(feedback or "")))
        out.append(tuple(values))
    return out


def student_rows(student: str, status: str, ids: list[str], scores: list, manual: dict | None) -> tuple:
    """One student's rows of the results table, as _result_rows makes them from the parts the
    batch records: a hand-graded part (in `manual`: id -> (answer, status, feedback)) with its
    answer and feedback, every other part with the student's status. Flat (ROW_WIDTH values
    a part), as the database takes them (see _insert_results). A batch worker builds them for
    the students it graded, so the parent only inserts them. `ids`: the spec's part ids (no
    two alike)."""
    student = _text(student)
    # every part's row as an automatic one (made in C: a class is ~40,000 rows) ...
    rows = list(zip(repeat(student), ids, scores, repeat(status or ""), repeat(None), repeat(None), repeat("")))
    for pid, (answer, part_status, feedback) in (manual or {}).items():  # ... then the hand-graded ones
        try:
            at = ids.index(pid, 0, len(rows))
        except ValueError:  # not a part of the spec (or past the scores given)
            continue
        if answer is None:
            rows[at] = (student, pid, rows[at][2], part_status or "", None, None,
                        _text(str(feedback)) if feedback else "")
        else:
            rows[at] = (student, pid, rows[at][2], part_status or "", *_answer_cells(answer),
                        _text(str(feedback or "")))
    return tuple(chain.from_iterable(rows))


def row_scores(rows: tuple) -> list:
    """The score column of a student's rows (student_rows's), one per part."""
    return list(rows[2::ROW_WIDTH])


def _insert_results(conn, rows: list[tuple]) -> None:
    """Students' rows (student_rows's) into the results table, in order, each student's in one
    statement (a VALUES list of its rows): a row at a time, SQLite's statement overhead and
    the sqlite3 module's cost per step were twice a row's own insertion."""
    run: list[tuple] = []  # students with as many rows: one executemany
    for piece in _pieces(rows):
        if run and len(piece) != len(run[0]):
            _insert_run(conn, run)
            run = []
        run.append(piece)
    _insert_run(conn, run)


def _pieces(rows: list[tuple]):
    """The students' rows, a student with more than _PIECE values cut in pieces."""
    for mine in rows:
        if len(mine) <= _PIECE:
            yield mine
        else:
            yield from (mine[i:i + _PIECE] for i in range(0, len(mine), _PIECE))


def _insert_run(conn, run: list[tuple]) -> None:
    if run and run[0]:
        conn.executemany(_values_sql(len(run[0]) // ROW_WIDTH), run)


_PIECE = 100 * ROW_WIDTH  # values per statement at most: SQLite before 3.32 takes 999 parameters


@functools.lru_cache(maxsize=None)  # at most _PIECE / ROW_WIDTH texts
def _values_sql(rows: int) -> str:
    return "INSERT OR REPLACE INTO results VALUES " + ",".join(["(?,?,?,?,?,?,?)"] * rows)


def _text(value):
    """SQLite stores UTF-8: a lone surrogate (an undecodable file name's byte, a JSON "\\ud800")
    is written as its escape, the way gradebook.csv writes it."""
    if isinstance(value, str) and not value.isascii():
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _drop_if_untouched(folder: str | Path) -> None:
    """A database that nobody marked in holds nothing but the last run: it is built anew, so a
    re-run gives the same bytes as a run into an empty folder. One with marks is kept."""
    if replaceable(folder):
        _unlink(db_path(folder))


def replaceable(folder: str | Path) -> bool:
    """Whether the folder's database may be replaced by a new one: there is none, or it holds
    nothing but the last run (nobody marked in it). A file that is not a gradebook database
    stops the run (it may hold manual marks)."""
    path = db_path(folder)
    if not path.is_file():
        return True
    try:
        conn = connect(folder)
        try:
            touched = conn.execute("SELECT COUNT(*) FROM history WHERE action != 'batch'").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        from grader.errors import UsageError

        raise UsageError(f"{path} is not a gradebook database (or is damaged): move it away "
                         f"before grading into this folder; it may hold manual marks") from None
    return not touched


def _record_parts(conn, problem) -> None:
    """The spec's parts; a hand-graded part's rubric items are seeded from the spec once (the
    app may have edited them since: those edits win), and items added to the spec later are
    appended."""
    conn.execute("DELETE FROM parts")
    for pos, part in enumerate(problem.parts):
        manual = part.kind.by_hand
        conn.execute("INSERT INTO parts VALUES (?,?,?,?,?,?,?,?)",
                     (part.id, pos, placeholders(part.title), part.type, float(part.points), int(manual),
                      placeholders(part.prompt or ""), str(part.options.get("reference") or "") if manual else ""))
        if not manual:
            continue
        known = {r["text"] for r in conn.execute(
            "SELECT text FROM rubric_items WHERE part=? AND origin='spec'", (part.id,))}
        top = conn.execute("SELECT COALESCE(MAX(position), -1) FROM rubric_items WHERE part=?",
                           (part.id,)).fetchone()[0]
        for item in part.options.get("rubric") or []:
            if not isinstance(item, dict) or str(item.get("item", "")) in known:
                continue
            top += 1
            conn.execute("INSERT INTO rubric_items (part, position, text, points, origin, updated_by, "
                         "updated_at) VALUES (?,?,?,?, 'spec', 'spec', '')",
                         (part.id, top, str(item.get("item", "")), float(item.get("points", 0) or 0)))


# ---------------------------------------------------------------- read by the app and the views

def parts(conn, manual_only: bool = False) -> list[sqlite3.Row]:
    """The parts in spec order (only the manually graded ones with ``manual_only``)."""
    sql = "SELECT * FROM parts" + (" WHERE manual=1" if manual_only else "") + " ORDER BY position"
    return conn.execute(sql).fetchall()


def part(conn, part_id: str) -> sqlite3.Row:
    """One part's row; raises NotFound so the app can answer with a clear message."""
    row = conn.execute("SELECT * FROM parts WHERE id=?", (part_id,)).fetchone()
    if row is None:
        raise NotFound(f"no part '{part_id}' in this gradebook")
    return row


def rubric(conn, part_id: str) -> list[RubricItem]:
    """A part's live rubric items in display order (deleted ones are left out but kept in the history)."""
    return [RubricItem(r["id"], r["part"], r["position"], r["text"], r["points"], r["version"])
            for r in conn.execute("SELECT * FROM rubric_items WHERE part=? AND deleted=0 ORDER BY position",
                                  (part_id,))]


def manual_scores(conn, part_id: str | None = None, student: str | None = None) -> dict[tuple[str, str], float]:
    """(student, part) -> points earned by hand, for every mark (of the part, of the student):
    applied items (not deleted) plus the adjustment, kept within 0 and the part's points."""
    where, args = [], []
    if part_id is not None:
        where.append("m.part = ?")
        args.append(part_id)
    if student is not None:
        where.append("m.student = ?")
        args.append(student)
    sql = """
        SELECT m.student, m.part, p.max_score, m.adjustment, COALESCE(SUM(r.points), 0) AS items
        FROM marks m JOIN parts p ON p.id = m.part
        LEFT JOIN applied a ON a.student = m.student AND a.part = m.part
        LEFT JOIN rubric_items r ON r.id = a.item AND r.deleted = 0""" + \
        (" WHERE " + " AND ".join(where) if where else "") + " GROUP BY m.student, m.part"
    out = {}
    for r in conn.execute(sql, args):
        out[(r["student"], r["part"])] = _clamp(r["items"] + r["adjustment"], r["max_score"])
    return out


def _clamp(x: float, top: float) -> float:
    return round(max(0.0, min(float(top), float(x))), 6)


def part_view(conn, part_id: str) -> dict[str, Any]:
    """Everything the marking page shows for one part: its answer groups (largest first), each
    with its students and their marks, and the progress."""
    info = part(conn, part_id)
    items = rubric(conn, part_id)
    applied: dict[str, list[int]] = {}
    for r in conn.execute("SELECT student, item FROM applied WHERE part=? ORDER BY item", (part_id,)):
        applied.setdefault(r["student"], []).append(r["item"])
    marks = {r["student"]: r for r in conn.execute("SELECT * FROM marks WHERE part=?", (part_id,))}
    scores = manual_scores(conn, part_id)
    groups: dict[str, dict[str, Any]] = {}
    rows = conn.execute("""SELECT r.student, r.answer, r.answer_key, s.status FROM results r
                           JOIN submissions s ON s.student = r.student
                           WHERE r.part=? AND s.status != 'error' ORDER BY r.student""", (part_id,))
    for r in rows:
        key = r["answer_key"] or ""
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"key": key, "answer": _loads(r["answer"]), "students": []}
        m = marks.get(r["student"])
        g["students"].append({
            "student": r["student"], "graded": m is not None,
            "items": applied.get(r["student"], []),
            "comment": m["comment"] if m else "", "adjustment": m["adjustment"] if m else 0.0,
            "version": m["version"] if m else 0, "graded_by": m["graded_by"] if m else "",
            "graded_at": m["graded_at"] if m else "",
            "score": scores.get((r["student"], part_id)),
        })
    ordered = sorted(groups.values(), key=lambda g: (-len(g["students"]), g["key"] == "", g["key"]))
    for i, g in enumerate(ordered):
        g["index"] = i
        g["graded"] = sum(1 for s in g["students"] if s["graded"])
        g["size"] = len(g["students"])
    total = sum(g["size"] for g in ordered)
    done = sum(g["graded"] for g in ordered)
    return {"part": dict(info), "rubric": [item.__dict__ for item in items], "groups": ordered,
            "progress": {"graded": done, "total": total}}


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def progress(conn) -> list[dict[str, Any]]:
    """Per hand-graded part: how many of the students who have a row are marked."""
    out = []
    total = conn.execute("SELECT COUNT(*) FROM submissions WHERE status != 'error'").fetchone()[0]
    for p in parts(conn, manual_only=True):
        done = conn.execute("""SELECT COUNT(*) FROM marks m JOIN submissions s ON s.student = m.student
                               WHERE m.part=? AND s.status != 'error'""", (p["id"],)).fetchone()[0]
        out.append({"id": p["id"], "title": p["title"], "points": p["max_score"], "graded": done,
                    "total": total})
    return out


def part_progress(conn, part_id: str) -> dict[str, int]:
    """How many gradable submissions (not errored) have a mark for this part, of how many."""
    total = conn.execute("SELECT COUNT(*) FROM submissions WHERE status != 'error'").fetchone()[0]
    done = conn.execute("""SELECT COUNT(*) FROM marks m JOIN submissions s ON s.student = m.student
                           WHERE m.part=? AND s.status != 'error'""", (part_id,)).fetchone()[0]
    return {"graded": done, "total": total}


def mark_states(conn, part_id: str, students: list[str]) -> list[dict[str, Any]]:
    """mark_state for many students of one part, in three queries (a group can be hundreds)."""
    wanted = set(students)
    marks = {r["student"]: r for r in conn.execute("SELECT * FROM marks WHERE part=?", (part_id,))
             if r["student"] in wanted}
    items: dict[str, list[int]] = {}
    for r in conn.execute("SELECT student, item FROM applied WHERE part=? ORDER BY item", (part_id,)):
        if r["student"] in wanted:
            items.setdefault(r["student"], []).append(r["item"])
    scores = manual_scores(conn, part_id) if marks else {}
    out = []
    for s in students:
        m = marks.get(s)
        out.append({"student": s, "graded": m is not None, "items": items.get(s, []),
                    "comment": m["comment"] if m else "", "adjustment": m["adjustment"] if m else 0.0,
                    "version": m["version"] if m else 0, "graded_by": m["graded_by"] if m else "",
                    "graded_at": m["graded_at"] if m else "", "score": scores.get((s, part_id)) if m else None})
    return out


def mark_state(conn, student: str, part_id: str) -> dict[str, Any]:
    """One student's mark on one part as the app shows it (applied items, comment, score, version for conflicts)."""
    m = conn.execute("SELECT * FROM marks WHERE student=? AND part=?", (student, part_id)).fetchone()
    items = [r[0] for r in conn.execute("SELECT item FROM applied WHERE student=? AND part=? ORDER BY item",
                                        (student, part_id))]
    score = manual_scores(conn, part_id, student).get((student, part_id)) if m else None
    return {"student": student, "graded": m is not None, "items": items,
            "comment": m["comment"] if m else "", "adjustment": m["adjustment"] if m else 0.0,
            "version": m["version"] if m else 0, "graded_by": m["graded_by"] if m else "",
            "graded_at": m["graded_at"] if m else "", "score": score}


# ---------------------------------------------------------------- marking (the app's writes)

def _students_exist(conn, part_id: str, students: list[str]) -> None:
    part(conn, part_id)
    if not students:
        raise NotFound("no students given")
    if len(students) == 1:
        known = conn.execute("SELECT 1 FROM submissions WHERE student=?", students).fetchone() is not None
    else:  # a group: one scan, no query-parameter limit
        ids = {r[0] for r in conn.execute("SELECT student FROM submissions")}
        known = all(s in ids for s in students)
    if not known:
        raise NotFound("unknown student id")


def _ensure_marks(conn, part_id: str, students: list[str], who: str, stamp: str) -> None:
    conn.executemany("INSERT OR IGNORE INTO marks (student, part, graded_by, graded_at) VALUES (?,?,?,?)",
                     [(s, part_id, who, stamp) for s in students])
    conn.executemany("UPDATE marks SET version = version + 1, graded_by=?, graded_at=? "
                     "WHERE student=? AND part=?", [(who, stamp, s, part_id) for s in students])
    conn.executemany("INSERT OR IGNORE INTO dirty VALUES (?)", [(s,) for s in students])


def set_item(conn, part_id: str, students: list[str], item_id: int, on: bool, who: str) -> None:
    """Apply (on) or remove an item for these students: idempotent, so two TAs clicking the
    same item at once agree, and clicks on different items never undo each other."""
    with write(conn):
        _students_exist(conn, part_id, students)
        row = conn.execute("SELECT part, deleted FROM rubric_items WHERE id=?", (item_id,)).fetchone()
        if row is None or row["part"] != part_id or row["deleted"]:
            raise NotFound(f"no rubric item {item_id} on part {part_id}")
        stamp = now()
        _ensure_marks(conn, part_id, students, who, stamp)
        if on:
            conn.executemany("INSERT OR IGNORE INTO applied VALUES (?,?,?,?,?)",
                             [(s, part_id, item_id, who, stamp) for s in students])
        else:
            conn.executemany("DELETE FROM applied WHERE student=? AND part=? AND item=?",
                             [(s, part_id, item_id) for s in students])
        _log(conn, who, "apply" if on else "remove", part_id, None, {"item": item_id, "students": students})


def set_graded(conn, part_id: str, students: list[str], who: str) -> None:
    """Mark as graded with no item (0 points plus any adjustment): 'seen, nothing earned'."""
    with write(conn):
        _students_exist(conn, part_id, students)
        _ensure_marks(conn, part_id, students, who, now())
        _log(conn, who, "graded", part_id, None, {"students": students})


def clear_mark(conn, part_id: str, students: list[str], who: str) -> None:
    """Back to ungraded: the items, comment and adjustment go (the history keeps them)."""
    with write(conn):
        _students_exist(conn, part_id, students)
        for s in students:
            before = mark_state(conn, s, part_id)
            conn.execute("DELETE FROM applied WHERE student=? AND part=?", (s, part_id))
            conn.execute("DELETE FROM marks WHERE student=? AND part=?", (s, part_id))
            conn.execute("INSERT OR IGNORE INTO dirty VALUES (?)", (s,))
            _log(conn, who, "clear", part_id, s, {"before": before})


def set_feedback(conn, part_id: str, student: str, *, comment: str | None, adjustment: float | None,
                 version: int, who: str) -> dict[str, Any]:
    """Comment and adjustment of one student's mark, if nobody changed it since `version`
    (0: not marked yet); else Conflict with the current state, so nothing is lost unseen."""
    if adjustment is not None and (adjustment != adjustment or abs(adjustment) > 1e6):
        raise ValueError("the adjustment must be a number")
    if comment is not None and len(comment) > 20_000:
        raise ValueError("the comment is longer than 20,000 characters")
    with write(conn):
        _students_exist(conn, part_id, [student])
        current = mark_state(conn, student, part_id)
        if current["version"] != version:
            raise Conflict(f"{student}'s mark on part {part_id} was changed by {current['graded_by']} "
                           f"at {current['graded_at']}", current)
        stamp = now()
        _ensure_marks(conn, part_id, [student], who, stamp)
        if comment is not None:
            conn.execute("UPDATE marks SET comment=? WHERE student=? AND part=?", (comment, student, part_id))
        if adjustment is not None:
            conn.execute("UPDATE marks SET adjustment=? WHERE student=? AND part=?",
                         (float(adjustment), student, part_id))
        _log(conn, who, "feedback", part_id, student, {"comment": comment, "adjustment": adjustment})
    return mark_state(conn, student, part_id)


def edit_item(conn, item_id: int, *, text: str | None, points: float | None, version: int,
              who: str) -> RubricItem:
    """Change an item's text or points: everyone it is applied to is re-scored (scores are
    computed from the items, never stored), and their rows are rewritten."""
    if points is not None and (points != points or abs(points) > 1e6):
        raise ValueError("points must be a number")
    with write(conn):
        row = conn.execute("SELECT * FROM rubric_items WHERE id=? AND deleted=0", (item_id,)).fetchone()
        if row is None:
            raise NotFound(f"no rubric item {item_id}")
        if row["version"] != version:
            raise Conflict(f"rubric item {item_id} was changed by {row['updated_by']} at {row['updated_at']}",
                           dict(row))
        conn.execute("UPDATE rubric_items SET text=?, points=?, version=version+1, updated_by=?, updated_at=? "
                     "WHERE id=?", (row["text"] if text is None else text,
                                    row["points"] if points is None else float(points), who, now(), item_id))
        conn.execute("INSERT OR IGNORE INTO dirty SELECT student FROM applied WHERE item=?", (item_id,))
        _log(conn, who, "edit item", row["part"], None,
             {"item": item_id, "before": {"text": row["text"], "points": row["points"]},
              "after": {"text": text, "points": points}})
    new = conn.execute("SELECT * FROM rubric_items WHERE id=?", (item_id,)).fetchone()
    return RubricItem(new["id"], new["part"], new["position"], new["text"], new["points"], new["version"])


def add_item(conn, part_id: str, text: str, points: float, who: str) -> RubricItem:
    """Append a rubric item to a part, logged in the history under ``who``; rejects NaN and absurd points."""
    if points != points or abs(points) > 1e6:
        raise ValueError("points must be a number")
    with write(conn):
        part(conn, part_id)
        top = conn.execute("SELECT COALESCE(MAX(position), -1) FROM rubric_items WHERE part=?",
                           (part_id,)).fetchone()[0]
        cur = conn.execute("INSERT INTO rubric_items (part, position, text, points, origin, updated_by, "
                           "updated_at) VALUES (?,?,?,?, 'app', ?, ?)",
                           (part_id, top + 1, text, float(points), who, now()))
        _log(conn, who, "add item", part_id, None, {"item": cur.lastrowid, "text": text, "points": points})
        item_id = cur.lastrowid
    return next(i for i in rubric(conn, part_id) if i.id == item_id)


def delete_item(conn, item_id: int, who: str) -> None:
    """Deleted items stop counting for everyone they were applied to (the history keeps them)."""
    with write(conn):
        row = conn.execute("SELECT * FROM rubric_items WHERE id=? AND deleted=0", (item_id,)).fetchone()
        if row is None:
            raise NotFound(f"no rubric item {item_id}")
        conn.execute("UPDATE rubric_items SET deleted=1, version=version+1, updated_by=?, updated_at=? "
                     "WHERE id=?", (who, now(), item_id))
        conn.execute("INSERT OR IGNORE INTO dirty SELECT student FROM applied WHERE item=?", (item_id,))
        _log(conn, who, "delete item", row["part"], None, {"item": item_id, "text": row["text"]})


def take_dirty(conn) -> list[str]:
    """The students whose rows changed since the views were last written (and forget them)."""
    with write(conn):
        rows = [r[0] for r in conn.execute("SELECT student FROM dirty ORDER BY student")]
        conn.execute("DELETE FROM dirty")
    return rows


def history(conn, limit: int = 200) -> list[dict[str, Any]]:
    """The latest audit entries, newest first."""
    return [dict(r) for r in conn.execute("SELECT * FROM history ORDER BY id DESC LIMIT ?", (limit,))]
