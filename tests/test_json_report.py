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


def _part(**changes):
    from grader.report import PartResult

    base = dict(id="1.a", title="Gradient", type="manual", max_score=2.0, score=0.5, status="partial",
                feedback='close: "x" \\ y\n\u00e9', answer="x^2 + \ud800", expected="2x", via="tier",
                rubric=[{"item": "sign", "points": 0.5}])
    return PartResult(**{**base, **changes})


class _Str(str):
    pass


_PARTS = [
    {}, {"answer": [[0.5, -0.0], [1e300, 3]]}, {"answer": None, "expected": None, "rubric": []},
    {"answer": {"a": [True, None]}}, {"score": float("nan")}, {"max_score": float("inf")},
    {"score": 1}, {"score": True}, {"answer": [float("nan")]}, {"feedback": _Str("sub")},
    {"title": None}, {"expected": 3}, {"rubric": ()}, {"rubric": None}, {"revealed": 1}, {"revealed": False},
    {"feedback": "\x00\x1f\x7f\u2028" * 600}, {"answer": "y" * 5000}, {"answer": {1: "int key"}},
]


@pytest.mark.parametrize("changes", _PARTS)
def test_pretty_report_is_dumps_of_the_report(changes):
    """The report file (its parts written by a template, strings quoted once per session) is
    exactly dumps(report.to_dict()), fresh or from the session's texts, for any part."""
    from grader.formats.json_report import pretty_report
    from grader.identity_cache import IdentityCache
    from grader.report import Report

    part = _part(**changes)
    report = Report(problem_id="p", title="T\u00e9", student="s\ud800", source="s.json", score=0.5,
                    max_score=2.0, parts=[part, _part(), part], messages=["m \"1\""], manual_points=2.0)
    want = dumps(report.to_dict()).encode("utf-8", "backslashreplace")
    texts = IdentityCache()
    assert pretty_report(report) == want
    assert pretty_report(report, texts) == want
    assert pretty_report(report, texts) == want  # the parts' bytes kept


@pytest.mark.parametrize("changes", [{"variant": {"student": "s", "params": {"n": 3}}}, {"score": float("nan")},
                                     {"student": None, "fatal": "unreadable"}, {"parts": []},
                                     {"messages": ("a", "b")}, {"title": 3}])
def test_pretty_report_around_the_parts(changes):
    from grader.formats.json_report import pretty_report
    from grader.identity_cache import IdentityCache
    from grader.report import Report

    report = Report(**{**dict(problem_id="p", title="T", student="s", source="s.json", score=0.5, max_score=2.0,
                              parts=[_part()], failures=["Traceback"]), **changes})
    assert pretty_report(report, IdentityCache()) == dumps(report.to_dict()).encode("utf-8", "backslashreplace")


def test_quoted_strings_stay_right_when_the_cache_is_cleared(monkeypatch):
    from grader.formats import json_report
    from grader.identity_cache import IdentityCache
    from grader.report import Report

    monkeypatch.setattr(json_report._Quoted, "LIMIT", 10)
    texts = IdentityCache()
    for i in range(30):
        report = Report(problem_id="p", title="T", student=f"s{i}", source="s.json", score=0.0, max_score=2.0,
                        parts=[_part(feedback=f"feedback {i % 7} " * (i % 3))])
        want = dumps(report.to_dict()).encode("utf-8", "backslashreplace")
        assert json_report.pretty_report(report, texts) == want
        assert json_report._quoted_texts(texts).size <= 10 + len(report.parts[0].feedback)
