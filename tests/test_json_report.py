"""The indented report text is exactly what json.dumps(indent=2) gives (NaN made a string)."""

import json
import math

import pytest

from grader.formats.json_report import dumps, plain


@pytest.mark.parametrize("data", [
    {"id": "1.a", "score": 0.5, "max_score": 1, "answer": None, "ok": True, "feedback": 'a "b"\n\u00e9\u2028'},
    {"answer": [[1, 2.5], [], {}, {"x": [True, None, "\ud800"]}], "t": (1, "2")},
    [], {}, "text", 3, [{"a": []}],
    {1: "int key", None: "null key", 2.5: [1]},  # json's own key rules
    {"answer": [-0.0, 1e300, 10**30]},
])
def test_dumps_matches_json_module(data):
    assert dumps(data) == json.dumps(data, ensure_ascii=False, allow_nan=False, indent=2) + "\n"


def test_nan_answers_are_written_as_strings_with_the_same_layout():
    data = {"answer": [float("nan"), {"x": float("inf")}, 1.5]}
    assert dumps(data) == json.dumps(plain(data), ensure_ascii=False, indent=2) + "\n"


def test_nan_is_written_as_a_string():
    text = dumps({"score": math.nan})
    assert "NaN" not in text.replace('"NaN"', "") and json.loads(text)["score"] in ("nan", "NaN")
