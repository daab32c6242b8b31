"""Bad submissions: each gets a clear message and 0 for what it affects, never a traceback."""

from __future__ import annotations

import json

import pytest

from grader.loaders import load_submission
from tests.conftest import DEMO, run_cli


@pytest.mark.parametrize("content, words", [
    ("{not json", "invalid JSON at line 1"),
    ("[1, 2, 3]", "the top level is a list"),
    ('"just text"', "the top level is a string"),
    ("", "the file is empty"),
    ('{"answers": [1, 2]}', "item 1 must be an object with a part id"),
    ('{"answers": "26"}', "\"answers\" must be an object"),
    ("[" * 10000 + "]" * 10000, "nested"),
])
def test_unreadable_json_is_fatal_with_reason(tmp_path, content, words):
    path = tmp_path / "answers.json"
    path.write_text(content)
    sub = load_submission(path)
    assert sub.fatal and words in sub.fatal and "answers.json" in sub.fatal


def test_non_utf8_file(tmp_path):
    path = tmp_path / "answers.json"
    path.write_bytes(b'{"answers": {"1": "\xff\xfe"}}')
    sub = load_submission(path)
    assert "not UTF-8" in sub.fatal


def test_huge_file_refused_without_reading_it(tmp_path):
    path = tmp_path / "answers.json"
    with open(path, "wb") as f:
        f.truncate(100 * 1024 * 1024)
    sub = load_submission(path)
    assert "104.9 MB" in sub.fatal


def test_missing_file_and_wrong_extension(tmp_path):
    assert "file not found" in load_submission(tmp_path / "nope.json").fatal
    (tmp_path / "a.txt").write_text("26")
    assert "unsupported file type" in load_submission(tmp_path / "a.txt").fatal


def test_folder_merges_files_and_reports_conflicts(tmp_path):
    (tmp_path / "a.json").write_text('{"answers": {"1": 26, "7": "O(t)"}}')
    (tmp_path / "b.json").write_text('{"1": 25, "3": [32, 128, 26, 26]}')
    (tmp_path / "broken.json").write_text("{")
    sub = load_submission(tmp_path)
    assert sub.fatal is None
    assert sub.answers == {"1": 26, "7": "O(t)", "3": [32, 128, 26, 26]}
    assert any("answered in both a.json and b.json" in m for m in sub.messages)
    assert any("broken.json: invalid JSON" in m for m in sub.messages)


def test_empty_folder_is_fatal(tmp_path):
    assert "no .json, .py or .ipynb file" in load_submission(tmp_path).fatal


def test_nan_and_wrong_types_score_zero_for_that_part_only(write_json):
    path = write_json('{"answers": {"1": NaN, "3": "thirty-two", "4": {"x": 1}, "9.a": 6}}')
    out = run_cli("grade", DEMO, path, "--format", "json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    parts = {p["id"]: p for p in report["parts"]}
    assert parts["1"]["status"] == "invalid" and "NaN" in parts["1"]["feedback"]
    assert parts["3"]["status"] == "invalid" and "dimension 1" in parts["3"]["feedback"]
    assert parts["4"]["status"] == "invalid"
    assert parts["9.a"]["status"] == "correct"
    assert parts["1"]["answer"] == "nan"  # the report stays valid JSON


def test_unknown_ids_reported_and_near_misses_matched(grade_answers):
    parts, report = grade_answers({"9.A ": 6, "bogus": 1, "91": 2})
    assert parts["9.a"].status == "correct"
    assert any("'9.A ' was taken as part 9.a" in m for m in report.messages)
    assert any("unknown part id 'bogus'" in m for m in report.messages)


def test_answers_as_a_list_of_records(write_json):
    from grader.loaders.json_file import read_json_answers

    path = write_json({"answers": [{"id": "1", "answer": 26}, {"part": "9.a", "value": 6}]})
    assert read_json_answers(path) == {"1": 26, "9.a": 6}
    bad = write_json({"answers": [{"answer": 26}]}, name="bad.json")
    assert "item 1 must be an object with a part id" in load_submission(bad).fatal


def test_notebook_code_cells_are_graded_like_a_module(tmp_path):
    import json as _json

    from tests.conftest import ROOT

    nb = {"cells": [
        {"cell_type": "markdown", "source": ["# answers"]},
        {"cell_type": "code", "source": ["%matplotlib inline\n", "import numpy as np\n", "!ls\n"]},
        {"cell_type": "code", "source": "ANSWERS = {'Q3': ['C', 'D']}\n"},
        {"cell_type": "code", "source": ["def receptive_field(layers):\n", "    f, j = 1, 1\n",
                                          "    for k, s in layers:\n", "        f += (k - 1) * j\n",
                                          "        j *= s\n", "    return f\n"]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "midterm.ipynb"
    path.write_text(_json.dumps(nb))
    out = run_cli("grade", ROOT / "problems" / "dl-midterm", path, "--format", "json")
    parts = {p["id"]: p for p in json.loads(out.stdout)["parts"]}
    assert parts["Q3"]["status"] == "correct" and parts["C.2"]["status"] == "correct"
    assert parts["C.1"]["status"] != "correct"
    path.write_text('{"cells": "nope"}')
    assert "not a Jupyter notebook" in load_submission(path).fatal


# ------------------------------------------------------------------ the readers' fast checks

_PIECES = ["\\", "\\\\", "\\\\\\", "u", "00e9", "d800", "udc00", "n", "nabla", "frac", "b", "beta", "t", "text",
           '"', "/", "x", " ", "{", "}", "\n", "ab", "1", "f", "r", "rho", "é", "U", "\r", "u12", "uABCD", "0"]


def test_repair_skips_only_texts_the_full_scan_leaves_alone():
    """repair() skips its escape-by-escape scan when one regex search says no escape needs
    attention: on random texts of backslashes, escapes and LaTeX words the result must be
    exactly the full scan's (texts, repairs and their lines)."""
    import random
    import re

    from grader.loaders import json_latex

    rng = random.Random(11)
    skipped = 0
    for _ in range(40_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 16)))
        fast = json_latex.repair(text)
        saved, json_latex._MAYBE_REPAIR = json_latex._MAYBE_REPAIR, re.compile("")  # always scan
        try:
            assert fast == json_latex.repair(text), repr(text)
        finally:
            json_latex._MAYBE_REPAIR = saved
        skipped += "\\" in text and not fast[1]
    assert skipped > 5_000  # the fast path was taken, and agreed


@pytest.mark.parametrize("text, free", [
    ('{"1": "\\\\frac{1}{2}", "2": "caf\\u00e9"}', True),
    ('{"1": "\\ud800"}', False),           # a lone surrogate
    ('{"1": "\\ud83d\\ude00"}', False),    # a pair is fine, but is checked the slow way
    ('{"\\udc00x": 2}', False),            # in a key
    ('{"1": "\\\\ud800"}', False),         # an escaped backslash then text: checked anyway
])
def test_json_says_when_no_lone_surrogate_can_be_in_it(tmp_path, text, free):
    from grader.loaders.json_file import read_json_file

    path = tmp_path / "answers.json"
    path.write_text(text, encoding="utf-8")
    assert read_json_file(path).surrogate_free is free


def test_a_lone_surrogate_in_json_is_still_scrubbed_and_said(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"answers": {"1": "a\\ud800b", "2": "\\ud83d\\ude00"}}', encoding="utf-8")
    sub = load_submission(path)
    assert sub.answers == {"1": "a\ufffdb", "2": "\U0001f600"}
    assert any("part 1" in m and "lone surrogate" in m for m in sub.messages)
