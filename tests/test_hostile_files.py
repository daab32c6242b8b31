"""Hostile input that never runs code: encodings, sizes, special files, links, spreadsheet and
terminal injection, notebook magics. Each gets a clear message naming the file or part, a row in
the gradebook, and no traceback; nothing of the instructor's or a classmate's is graded."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEMO, ROOT, run_cli

CODE_DEMO = ROOT / "tests" / "problems" / "code-demo"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def _no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr and "Error:" not in proc.stderr.split("\n")[-2:][0], proc.stderr


def _gradebook(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


# ---------------------------------------------------------------- encodings

@pytest.mark.parametrize("fmt", ["table", "json", "gradescope"])
def test_a_lone_surrogate_is_reported_not_a_crash(tmp_path, fmt):
    sub = tmp_path / "sur.json"
    sub.write_text('{"answers": {"1": "\\ud800", "\\udc00x": 2, "5": "B"}}', encoding="utf-8")
    out = tmp_path / "out.txt"
    proc = run_cli("grade", DEMO, sub, "--format", fmt, "--out", out)
    assert proc.returncode == 0, proc.stderr
    text = out.read_bytes().decode("utf-8")  # valid UTF-8, not empty
    assert "sur.json: the answer to part 1 holds invalid Unicode" in text
    if fmt != "table":
        json.loads(text)
    proc = run_cli("grade", DEMO, sub, "--format", fmt)  # and to the terminal
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


def test_an_undecodable_file_name_in_a_class_gets_its_row(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ok.json").write_text('{"5": "B"}')
    try:
        with open(os.path.join(os.fsencode(folder), b"\xff\xfe.json"), "w") as fh:
            fh.write('{"5": "B"}')
    except OSError:
        pytest.skip("this file system refuses non-UTF-8 names")
    proc = run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--out", tmp_path / "r")
    assert proc.returncode == 0, proc.stderr
    rows = _gradebook(tmp_path / "r" / "gradebook.csv")
    assert len(rows) == 2 and all(r["status"] == "graded" for r in rows.values())
    proc = run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--no-progress")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


# ---------------------------------------------------------------- size

def test_a_flood_of_unknown_part_ids_gives_a_small_report(tmp_path):
    """The bound: 20 ids named, the rest counted (10 MB of ids: a results.json of a few KB)."""
    ids = {f"zz{i:07d}": 1 for i in range(200_000)}
    sub = tmp_path / "flood.json"
    sub.write_text(json.dumps({"answers": {**ids, "5": "B"}}))
    out = tmp_path / "results.json"
    proc = run_cli("grade", DEMO, sub, "--format", "gradescope", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size < 50_000
    text = out.read_text(encoding="utf-8")
    assert text.count("unknown part id 'zz") == 20
    assert "199980 more unknown part id(s) ignored (200000 in all" in text
    assert json.loads(text)["score"] > 0  # the known answer is still graded


# ---------------------------------------------------------------- special files

@needs_fifo
def test_grading_a_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    proc = run_cli("grade", DEMO, fifo, timeout=60)  # a hang fails here, it does not block CI
    assert proc.returncode == 1, proc.stderr
    assert "fifo.json: a FIFO (named pipe), not a file" in proc.stdout
    notebook = tmp_path / "fifo.ipynb"
    os.mkfifo(notebook)
    proc = run_cli("grade", DEMO, notebook, timeout=60)
    assert proc.returncode == 1 and "fifo.ipynb: a FIFO (named pipe)" in proc.stdout


@needs_fifo
def test_the_reader_itself_refuses_a_fifo(tmp_path):
    """In a child process with a deadline: a blocking open fails the test, it does not hang."""
    fifo = tmp_path / "answers.json"
    os.mkfifo(fifo)
    code = ("import sys\n"
            "from pathlib import Path\n"
            "from grader.loaders.json_file import Unreadable, read_json_answers\n"
            "try:\n"
            "    read_json_answers(Path(sys.argv[1]))\n"
            "except Unreadable as exc:\n"
            "    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(fifo)], cwd=ROOT, capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("answers.json: a FIFO (named pipe), not a file")


@needs_fifo
def test_real_paths_are_os_path_realpaths(tmp_path, monkeypatch):
    """file_checks.realpath asks the kernel (no FIFO opened, no device acted on): the same
    answers as os.path.realpath, links, loops, FIFOs and missing files included."""
    from grader.loaders.file_checks import realpath

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "sub", tmp_path / "link")
    os.symlink(tmp_path / "loop2", tmp_path / "loop1")
    os.symlink(tmp_path / "loop1", tmp_path / "loop2")
    os.symlink("/nowhere/at/all", tmp_path / "dangling")
    monkeypatch.chdir(tmp_path)
    for path in ("fifo", "sub", "link", "link/..", "link/../fifo", "loop1", "dangling", "missing/x", ".",
                 "/dev/null", "/dev/stdin", tmp_path / "link", str(tmp_path) + "//sub/"):
        assert realpath(path) == os.path.realpath(path), path


def _class_with_special_entries(tmp_path: Path, problem: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.json").write_text('{"answers": {"4": 42}}')
    os.mkfifo(folder / "bob.json")
    os.symlink("/dev/zero", folder / "carol.json")
    os.symlink(problem / "solver.py", folder / "dave.py")
    os.symlink(problem, folder / "eve")
    os.symlink("alice.json", folder / "mallory.json")
    os.symlink(tmp_path / "nowhere.json", folder / "ghost.json")
    return folder


@needs_fifo
def test_special_entries_and_links_in_a_class_get_a_skipped_row(tmp_path):
    problem = tmp_path / "code-demo"
    shutil.copytree(CODE_DEMO, problem)
    folder = _class_with_special_entries(tmp_path, problem)
    proc = run_cli("grade", problem, folder, "--batch", "--jobs", "2", "--out", tmp_path / "r", timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = _gradebook(tmp_path / "r" / "gradebook.csv")
    assert sorted(rows) == ["alice", "bob", "carol", "dave", "eve", "ghost", "mallory"]
    assert rows["alice"]["status"] == "graded" and float(rows["alice"]["total"]) > 0
    expect = {"bob": "bob.json: a FIFO (named pipe), not a file",
              "carol": "carol.json: a symbolic link to a file outside the class folder",
              "dave": "dave.py: a symbolic link to a file outside the class folder",
              "eve": "eve: a symbolic link to a file outside the class folder",
              "mallory": "mallory.json: a symbolic link to alice.json, another entry of the class folder",
              "ghost": "ghost.json: a symbolic link to a missing file"}
    for student, note in expect.items():
        row = rows[student]
        assert row["status"] == "unreadable" and row["note"].startswith("skipped: " + note), row
        assert float(row["total"]) == 0
        report = json.loads((tmp_path / "r" / f"{student}.json").read_text())
        assert report["fatal"].startswith("skipped: ")


def test_a_hard_link_to_the_solver_is_not_the_students_code(tmp_path):
    problem = tmp_path / "code-demo"
    shutil.copytree(CODE_DEMO, problem)
    sub = tmp_path / "sub"
    sub.mkdir()
    os.link(problem / "solver.py", sub / "mine.py")
    (sub / "answers.json").write_text('{"answers": {"4": 42}}')
    if hasattr(os, "mkfifo"):
        os.mkfifo(sub / "pipe.json")  # inside a folder too: skipped, never opened
    proc = run_cli("grade", problem, sub, "--format", "json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    scores = {p["id"]: p["score"] for p in report["parts"]}
    assert scores["1"] == scores["2"] == scores["3"] == 0  # the solver's functions are not read
    assert scores["4"] > 0
    assert any("mine.py: a hard link to a file of the problem folder" in m for m in report["messages"])
    assert not hasattr(os, "mkfifo") or any(m.startswith("skipped: pipe.json: a FIFO (named pipe)")
                                            for m in report["messages"])
    # alone, on the command line: refused too, and so is a link to the solver or the problem folder
    os.link(problem / "solver.py", tmp_path / "alone.py")
    os.symlink(problem / "solver.py", tmp_path / "link.py")
    for target, why in ((tmp_path / "alone.py", "alone.py: a hard link to a file of the problem folder"),
                        (tmp_path / "link.py", "link.py: the problem's own folder or one of its files"),
                        (problem, "code-demo: the problem's own folder")):
        proc = run_cli("grade", problem, target, "--format", "json", timeout=300)
        assert proc.returncode == 1, proc.stderr
        report = json.loads(proc.stdout)
        assert report["score"] == 0 and report["fatal"].startswith("skipped: " + why), report["fatal"]


def test_links_inside_a_submission_folder(tmp_path):
    problem = tmp_path / "code-demo"
    shutil.copytree(CODE_DEMO, problem)
    sub = tmp_path / "sub"
    (sub / "v2").mkdir(parents=True)
    (sub / "v2" / "answers.json").write_text('{"answers": {"4": 42}}')
    os.symlink("v2/answers.json", sub / "answers.json")  # inside: read once, under its own name
    os.symlink(problem / "solver.py", sub / "helper.py")  # out of the folder: refused
    proc = run_cli("grade", problem, sub, "--format", "json", timeout=300)
    report = json.loads(proc.stdout)
    scores = {p["id"]: p["score"] for p in report["parts"]}
    assert scores["4"] > 0 and scores["1"] == 0
    assert not any("answered in both" in m for m in report["messages"])
    assert any(m.startswith("skipped: helper.py: a symbolic link to a file outside the submission "
                            "(in the problem folder)") for m in report["messages"]), report["messages"]


# ---------------------------------------------------------------- spreadsheets

HOSTILE_IDS = ["-2+3", "=cmd", "+1", "@SUM(A1)", "\tx", "\rx", " =1+1", "\uff1d1+1", "\uff0b1", "\uff0d1",
               "\uff20x", "\u22121"]


def test_gradebook_cells_follow_owasp_csv_injection_guidance(tmp_path):
    """OWASP, CSV Injection (https://owasp.org/www-community/attacks/CSV_Injection): no cell
    begins with = + - @ tab or carriage return (nor their full-width forms), text cells are
    quoted; scores stay plain numbers."""
    from grader.gradebook import Row, render

    rows = [Row(student=s, status="graded", scores=[1.5, None], total=1.5, note=s + " note")
            for s in HOSTILE_IDS]
    rows.append(Row(student="ok", status="graded", scores=[2.0, 0.25], total=2.25, note="a;=cmd|' /C calc'!A0"))
    text = render(["1", "-2"], rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["student", "1", "'-2", "total", "status", "note"]
    for line, cells in zip(text.split("\r\n")[1:], parsed[1:]):
        student, s1, s2, total, status, note = cells
        assert student == "ok" or student.startswith("'"), cells
        assert not note.startswith(("=", "+", "-", "@", "\t", "\r")), cells
        assert line.startswith('"')  # every text cell quoted: a ; inside cannot start a cell
        assert s1 in ("1.5", "2") and f",{s1}," in line  # numbers bare, not quoted
    assert {c[0] for c in parsed[1:]} == {"'" + s for s in HOSTILE_IDS} | {"ok"}


def test_hostile_ids_and_answers_in_a_class_gradebook(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("-5", "\tta b", "\uff1dHYPERLINK(x)", "plain"):
        try:
            (folder / f"{name}.json").write_text('{"answers": {"5": "B", "-1+2": 3, "@x": 1}}')
        except OSError:
            pytest.skip("this file system refuses such names")
    proc = run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--csv", tmp_path / "g.csv")
    assert proc.returncode == 0, proc.stderr
    rows = _gradebook(tmp_path / "g.csv")
    assert set(rows) == {"'-5", "'\tta b", "'\uff1dHYPERLINK(x)", "plain"}
    for row in rows.values():
        assert float(row["total"]) > 0  # a number, not text
        assert not row["note"].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert "unknown part id '-1+2'" in row["note"]


# ---------------------------------------------------------------- terminals

def test_escape_sequences_are_shown_escaped_in_tables(tmp_path):
    sub = tmp_path / "evil\x1b[2J.json"
    sub.write_text(json.dumps({"answers": {"5": "\x1b[31mB\rC", "\x1b]0;owned\x07": 1, "7": "a\x1b[1Ab"}}))
    proc = run_cli("grade", DEMO, sub, "--student", "x\x1b[2Ky\rz")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\r" not in proc.stdout and "\x07" not in proc.stdout
    assert "\\e]0;owned\\x07" in proc.stdout and "evil\\e[2J.json" in proc.stdout
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ok\x1b[2J\rfake.json").write_text(json.dumps({"answers": {"\x1b[31m": 1}}))
    proc = run_cli("grade", DEMO, folder, "--batch", "--jobs", "1", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr and "\r" not in proc.stdout
    assert "ok\\e[2J\\rfake" in proc.stdout
    proc = run_cli("check", DEMO, sub)  # a student's self-check shows the same text escaped
    assert "Traceback" not in proc.stderr and "\x1b" not in proc.stdout and "\r" not in proc.stdout


# ---------------------------------------------------------------- notebooks

def test_notebook_magics_become_inert_comments_and_the_student_is_told(tmp_path):
    nb = {"cells": [
        {"cell_type": "code", "source": ["%%bash\n", "echo hello > /tmp/x\n", "for f in *; do rm $f; done\n"]},
        {"cell_type": "code", "source": ["%%writefile helper.py\n", "def f(:\n"]},
        {"cell_type": "code", "source": ["%%time\n", "ANSWERS = {'4': 42}\n"]},
        {"cell_type": "code", "source": ["import numpy as np\n", "files = !ls\n", "if True:\n",
                                          "    !pip install \\\n", "        torch\n", "%matplotlib inline\n",
                                          "np.array?\n"]},
        {"cell_type": "code", "source": ["def receptive_field(layers):\n", "    r, j = 1, 1\n",
                                          "    for k, s in layers:\n", "        r += (k - 1) * j\n",
                                          "        j *= s\n", "    return r\n"]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "hw.ipynb"
    path.write_text(json.dumps(nb))
    proc = run_cli("grade", CODE_DEMO, path, "--format", "json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    parts = {p["id"]: p for p in report["parts"]}
    assert parts["2"]["status"] == "correct" and parts["4"]["status"] == "correct", report["messages"]
    notes = " | ".join(report["messages"])
    assert "hw.ipynb, cell 1: a %%bash cell is IPython, not Python; the whole cell was made a comment" in notes
    assert "hw.ipynb, cell 2: a %%writefile cell" in notes
    assert "hw.ipynb, cell 4: IPython line(s) 'files = !ls', '!pip install \\\\'" in notes


def test_inert_magics_keep_the_module_valid():
    from grader.loaders.notebook import inert_magics

    code, notes = inert_magics("for i in range(3):\n    %time f(i)\n    !echo $i\nx = 1\n", "nb, cell 1")
    compile(code, "cell", "exec")
    assert "x = 1" in code and len(notes) == 1
    code, notes = inert_magics("%%script bash\nrm -rf ~\n", "nb, cell 2")
    assert all(line.startswith("# ") for line in code.splitlines()) and "%%script" in notes[0]
