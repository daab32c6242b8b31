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
    ('{"1": "\\\\ud800"}', True),          # an escaped backslash then text: no escape
    ('{"1": "\\\\\\ud800"}', False),       # an escaped backslash, then the escape
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


def test_escape_check_agrees_with_the_whole_text_searches():
    """escape_check() looks at each escape where it is; on random texts of backslashes, escapes
    and LaTeX words (some with more escapes than it looks at one by one) it must say repair()
    has work exactly when the whole-text search did, and may say "no lone surrogate" only when
    decoding indeed makes none (it is never less careful than the old whole-text search)."""
    import random

    from grader.loaders.json_latex import _MAYBE_REPAIR, SURROGATE_ESCAPE, escape_check
    from grader.printable import has_surrogate

    rng = random.Random(12)
    decoded = 0
    for _ in range(30_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, rng.choice((16, 16, 60, 300)))))
        scan, surrogate = escape_check(text)
        assert scan == ("\\" in text and _MAYBE_REPAIR.search(text.replace("\\\\", " ")) is not None), repr(text)
        if surrogate:
            assert SURROGATE_ESCAPE.search(text), repr(text)
        try:
            value = json.loads('"' + text + '"', strict=False)
        except ValueError:
            continue
        decoded += 1
        if not surrogate:
            assert not has_surrogate(value), repr(text)
    assert decoded > 2_000
    many = "\\u0041" * 20  # past the escapes looked at one by one: the rest is searched as a whole
    assert escape_check(many) == (False, False)
    assert escape_check(many + "\\sigma") == (True, False)
    assert escape_check(many + "\\ud800") == (False, True)
    assert escape_check(many + "\\\\sigma \\\\ud800") == (False, False)


def test_a_fresh_submission_takes_a_json_file_s_answers_as_merge_would():
    """A single JSON file's answers are taken in one pass (_take_all); merge() must give the same
    answers, files, messages and rejections, nulls and key order included."""
    import random

    from grader.loaders import _take_all, merge
    from grader.submission import Submission

    rng = random.Random(13)
    values = [None, 0, 1.5, "x", "", [1, None], {"a": None}, True, False, "\\frac{1}{2}"]
    for _ in range(2_000):
        answers = {f"{rng.randint(1, 9)}.{rng.randint(1, 9)}": rng.choice(values) for _ in range(rng.randint(0, 12))}
        fast, slow = Submission(source="a"), Submission(source="a")
        _take_all(fast, answers, "answers.json")
        merge(slow, answers, "answers.json", clean=True)
        assert (fast.answers, fast.answer_files, fast.messages, fast.rejected) == \
               (slow.answers, slow.answer_files, slow.messages, slow.rejected)
        assert list(fast.answers) == list(slow.answers)


def _depth_node_by_node(doc, limit):
    """The walk _depth replaced: node by node, first level past `limit` returned."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def test_depth_level_by_level_is_the_node_by_node_walk():
    import random

    from grader.loaders import json_file

    rng = random.Random(14)

    def build(level):
        kind = rng.random()
        if level > 70 or kind < 0.3:
            return rng.choice([1, "s", None, 2.5, True])
        items = [build(level + rng.choice((1, 1, 1, 2))) for _ in range(rng.randint(0, 3))]
        return items if kind < 0.65 else {str(i): v for i, v in enumerate(items)}

    for _ in range(3_000):
        doc = build(rng.randint(0, 75))
        assert json_file._depth(doc) == _depth_node_by_node(doc, json_file.MAX_DEPTH)
    deep: list = []
    for _ in range(200):
        deep = [deep]
    assert json_file._depth(deep) == _depth_node_by_node(deep, json_file.MAX_DEPTH) == json_file.MAX_DEPTH + 1
