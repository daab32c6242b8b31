"""The command line as users run it: exit codes and each output format."""

from __future__ import annotations

import json

from tests.conftest import DEMO, run_cli

GOOD = {"answers": {"1": 26, "2": [0.8, 0.4], "5": "B", "9.a": 6, "9.b": 12}}


def test_table_output(write_json):
    out = run_cli("grade", DEMO, write_json(GOOD), "--default-variant")  # GOOD answers size 28
    assert out.returncode == 0
    assert "total: 7 / 13" in out.stdout and "26 is correct" in out.stdout
    assert "1 point(s) await manual grading" in out.stdout


def test_json_output_is_deterministic(write_json):
    path = write_json(GOOD)
    a = run_cli("grade", DEMO, path, "--format", "json", "--default-variant")
    b = run_cli("grade", DEMO, path, "--format", "json", "--default-variant")
    assert a.stdout == b.stdout
    report = json.loads(a.stdout)
    assert report["score"] == 7 and len(report["parts"]) == 11


def test_gradescope_output_one_test_per_part(write_json, tmp_path):
    out_file = tmp_path / "results.json"
    out = run_cli("grade", DEMO, write_json(GOOD), "--format", "gradescope", "--out", out_file, "--default-variant")
    assert out.returncode == 0 and out.stdout == ""
    data = json.loads(out_file.read_text())
    assert data["score"] == 7
    assert [t["number"] for t in data["tests"]][:3] == ["1", "2", "3"]
    hidden = next(t for t in data["tests"] if t["number"] == "10")
    assert hidden["visibility"] == "hidden"
    assert "execution_time" not in data
    timed = json.loads(run_cli("grade", DEMO, write_json(GOOD), "--format", "gradescope", "--timing",
                               "--default-variant").stdout)
    assert timed["execution_time"] >= 0


def test_unreadable_submission_exits_1_with_every_part_zero(write_json, tmp_path):
    out_file = tmp_path / "results.json"
    out = run_cli("grade", DEMO, write_json("[1, 2]"), "--format", "gradescope", "--out", out_file)
    assert out.returncode == 1
    data = json.loads(out_file.read_text())
    assert data["score"] == 0 and len(data["tests"]) == 10  # the hand-graded part is no test
    assert all(t["score"] == 0 for t in data["tests"])
    assert "top level is a list" in data["output"]


def test_usage_errors_exit_2(tmp_path):
    assert run_cli("grade").returncode == 2
    assert run_cli("grade", DEMO, tmp_path / "nope.json").returncode == 2
    out = run_cli("grade", tmp_path / "no-such-problem", tmp_path)
    assert out.returncode == 2 and "no such problem" in out.stderr


def test_invalid_spec_exits_2(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "problem.yaml").write_text("id: bad\nparts: []\n")
    out = run_cli("validate", folder)
    assert out.returncode == 2 and "parts must be a non-empty list" in out.stdout


def test_cold_start_does_not_import_heavy_modules(write_json):
    import subprocess
    import sys

    code = ("import sys; from grader.cli import main; main(['grade', %r, %r, '--format', 'json']);"
            "heavy = [m for m in ('sympy', 'matplotlib', 'jsonschema', 'scipy') if m in sys.modules];"
            "sys.stderr.write('HEAVY=' + ','.join(heavy))") % (str(DEMO), str(write_json(GOOD)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY=" in out.stderr and out.stderr.split("HEAVY=")[1].strip() == ""
