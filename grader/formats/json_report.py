"""The report as JSON: stable key order and valid JSON even when answers held NaN."""

from __future__ import annotations

import dataclasses
import json
import math
from math import isfinite
from types import MappingProxyType
from collections.abc import Callable, Mapping
from typing import Any

from grader.identity_cache import IdentityCache
from grader.numbers import to_plain
from grader.report import PartResult, Report


def plain(value: Any) -> Any:
    """Non-finite floats become strings: JSON has no NaN, and tools choke on it."""
    return to_plain(value, exact=True, finite=True)


_INDENTED = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=2)
_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _encode(data: Any, encoder: json.JSONEncoder) -> str:
    try:  # the common case has no NaN: skip the Python-level walk
        return encoder.encode(data)
    except ValueError:
        return encoder.encode(plain(data))


def _float(x: float) -> str:
    if x != x or x in (math.inf, -math.inf):
        raise ValueError("not JSON")  # _encode's fallback writes it as a string
    return float.__repr__(x)


_encode_str = json.encoder.encode_basestring


# what json's encoders write for each scalar type (json.encoder's own functions; ensure_ascii=False)
_SCALARS: Mapping[type, Callable[[Any], str]] = MappingProxyType({str: _encode_str, int: int.__repr__, float: _float,
                             bool: lambda b: "true" if b else "false", type(None): lambda _: "null"})


class _Quoted(dict):
    """Strings' JSON texts by value (a grading session's, kept in its report_texts): a class's
    reports repeat feedback and expected answers in new objects, and json escapes a string
    at ~30 instructions a character where a lookup costs its hash. Bounded: cleared when
    the strings it holds pass LIMIT characters."""

    LIMIT = 2_000_000

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def __missing__(self, text: str) -> str:
        quoted = _encode_str(text)
        self.size += len(text)
        if self.size > self.LIMIT:
            self.clear()
            self.size = len(text)
        self[text] = quoted
        return quoted


def _quoted_texts(texts: IdentityCache | None) -> _Quoted:
    """The session's _Quoted (in `texts`, under the class itself), or a new one."""
    if texts is None:
        return _Quoted()
    quoted = texts.get(_Quoted)
    return quoted if quoted is not None else texts.put(_Quoted, _Quoted())


class _Slow(Exception):
    """A value _indented leaves to json's own (pure-Python) indenting encoder."""


def _indented(data: Any, pad: str = "\n") -> str:
    """The text _INDENTED.encode gives, with every scalar encoded by json's C encoder: the
    indenting encoder is pure Python, and a class's reports are mostly indented scalars."""
    kind = type(data)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        return scalar(data)
    inner = pad + "  "
    if kind is dict:
        if not data:
            return "{}"
        items = []
        for key, value in data.items():
            if type(key) is not str:
                raise _Slow
            scalar = _SCALARS.get(type(value))  # inline: most values are scalars
            text = scalar(value) if scalar is not None else _indented(value, inner)
            items.append(f"{_encode_str(key)}: {text}")
        return "{" + inner + ("," + inner).join(items) + pad + "}"
    if kind is list or kind is tuple:
        if not data:
            return "[]"
        if _finite_numbers(data):  # an array's row: each number's repr, with no call per number
            return "[" + inner + ("," + inner).join(map(repr, data)) + pad + "]"
        return "[" + inner + ("," + inner).join([_indented(v, inner) for v in data]) + pad + "]"
    raise _Slow


_NUMBERS = frozenset((int, float))


def _finite_numbers(data: list | tuple) -> bool:
    """Whether every item is an int or a float (not a bool, not a subclass) and none is NaN or
    infinite (their sum is finite: a sum too large says no, and the items go one by one)."""
    if not _NUMBERS.issuperset(map(type, data)):
        return False
    try:
        return isfinite(sum(data))
    except OverflowError:  # an int too large for a float
        return False


def _encode_indented(data: Any) -> str:
    return _indented_or_slow(data, "\n")


def _indented_or_slow(data: Any, pad: str) -> str:
    """_INDENTED's text (NaN made a string), every line after the first starting with `pad`."""
    try:
        return _indented(data, pad)
    except (_Slow, ValueError, RecursionError):  # NaN, a non-str key, an unusual type: json's way
        return _encode(data, _INDENTED).replace("\n", pad)


def dumps(data: Any, compact: bool = False) -> str:
    """Indented for people; compact (json's C encoder, several times faster) for batch files."""
    return (_encode(data, _COMPACT) if compact else _encode_indented(data)) + "\n"


def to_json(report: Report, **_: Any) -> str:
    """The report as the JSON text ``--format json`` prints (same inputs, same bytes)."""
    return dumps(report.to_dict())


_PART_PAD = "\n    "
_FIELD_PAD = _PART_PAD + "  "


def _utf8(text: str) -> bytes:
    """A report's text as its file holds it: UTF-8, a lone surrogate (an undecodable file name's
    byte, a JSON "\\ud800") written as its backslash escape."""
    return text.encode("utf-8", "backslashreplace")


def _layout(keys: tuple[str, ...], pad: str) -> str:
    """The text _indented gives a dict with these keys, each value a {} of str.format."""
    return "".join(f"{pad}{_encode_str(k)}: {{}}," for k in keys)[:-1]


_PART_KEYS = tuple(f.name for f in dataclasses.fields(PartResult))


def _part_text(part: PartResult, texts: IdentityCache | None, q: _Quoted) -> str:
    """_indented(vars(part), _PART_PAD) for a part of the usual make-up, in one f-string (raises
    _Slow for any other): walking its 13 fields one by one (each key encoded, each value's type
    looked up, each line joined) was most of a report's cost. Strings are quoted by `q`; the
    rubric's text is made once (`texts`): one list shared by a part's results, and most of a
    hand-graded part's text."""
    fields = vars(part)
    if tuple(fields) != _PART_KEYS:
        raise _Slow
    (pid, title, kind, max_score, score, status, feedback, visibility, answer, expected, via, revealed,
     rubric) = fields.values()
    if not (type(pid) is type(title) is type(kind) is type(status) is type(feedback) is type(visibility)
            is type(via) is str and type(max_score) is type(score) is float and isfinite(max_score)
            and isfinite(score) and type(revealed) is bool and type(rubric) is list):
        raise _Slow
    if not rubric:
        rubric_text = "[]"
    elif texts is None:
        rubric_text = _indented(rubric, _FIELD_PAD)
    else:
        rubric_text = texts.get(rubric) or texts.put(rubric, _indented(rubric, _FIELD_PAD))
    answer_text = q[answer] if type(answer) is str else _indented(answer, _FIELD_PAD)
    expected_text = "null" if expected is None else q[expected] if type(expected) is str else _slow()
    # (the padding written out: each {value} between two literals is one piece fewer to join)
    return (f'    {{\n      "id": {q[pid]},\n      "title": {q[title]},\n      "type": {q[kind]},'
            f'\n      "max_score": {max_score!r},\n      "score": {score!r},\n      "status": {q[status]},'
            f'\n      "feedback": {q[feedback]},\n      "visibility": {q[visibility]},'
            f'\n      "answer": {answer_text},\n      "expected": {expected_text},\n      "via": {q[via]},'
            f'\n      "revealed": {"true" if revealed else "false"},\n      "rubric": {rubric_text}\n    }}')


def _slow() -> str:
    raise _Slow


def _number(x: Any) -> str:
    """A finite int or float's JSON text; _Slow for anything else (NaN, a bool, ...)."""
    kind = type(x)
    if kind is float and x - x == 0.0:  # (not NaN, not infinite)
        return float.__repr__(x)
    if kind is int:
        return int.__repr__(x)
    raise _Slow


def _part_pretty(part: PartResult, texts: IdentityCache | None, q: _Quoted) -> bytes:
    """A part's entry as it sits, indented, in a pretty report's "parts" list (UTF-8: a class
    repeats parts, and each is encoded once, kept in `texts`)."""
    try:
        text = _part_text(part, texts, q)
    except (_Slow, ValueError, RecursionError):  # NaN, an unusual type: the general way
        text = "    " + _indented_or_slow(vars(part), _PART_PAD)
    data = _utf8(text)
    if texts is not None:
        texts.put(part, data)
    return data


# A report's text around its parts (with no variant: a problem without drawn params)
_REPORT_KEYS = tuple(f.name for f in dataclasses.fields(Report))
_HEAD_KEYS, _TAIL_KEYS = (("problem_id", "title", "student", "source", "score", "max_score"),
                          ("messages", "fatal", "manual_points"))
_HEAD_LAYOUT = "{{" + _layout(_HEAD_KEYS, "\n  ") + ',\n  "parts": '
_TAIL_LAYOUT = "," + _layout(_TAIL_KEYS, "\n  ") + "\n}}\n"


def _around_parts(report: Report, q: _Quoted) -> tuple[str, str]:
    """The text before the parts' and after it, for a report of the usual make-up (else _Slow)."""
    fields = vars(report)
    if tuple(fields) != _REPORT_KEYS or fields["variant"] is not None or type(fields["messages"]) is not list:
        raise _Slow
    problem_id, title, student, source = fields["problem_id"], fields["title"], fields["student"], fields["source"]
    fatal = fields["fatal"]
    if not (type(problem_id) is type(title) is type(source) is str and (student is None or type(student) is str)
            and (fatal is None or type(fatal) is str)):
        raise _Slow
    head = _HEAD_LAYOUT.format(q[problem_id], q[title], _encode_str(student) if student is not None else "null",
                               _encode_str(source), _number(fields["score"]), _number(fields["max_score"]))
    tail = _TAIL_LAYOUT.format(_indented(fields["messages"], "\n  "), "null" if fatal is None else q[fatal],
                               _number(fields["manual_points"]))
    return head, tail


def _around_parts_slow(report: Report) -> tuple[str, str]:
    """_around_parts for any report: its fields before "parts" and after, each set indented."""
    head, tail = {}, {}
    target = head
    for key, value in vars(report).items():
        if key == "parts":
            target = tail
        elif key == "variant" and value is None:
            continue
        elif key != "failures":
            target[key] = value
    text = _encode_indented(head)[:-2] + "," if head else "{"
    tail_text = _encode_indented(tail)
    return text + '\n  "parts": ', (("," + tail_text[1:]) if tail else "\n}") + "\n"


def pretty_report(report: Report, texts: IdentityCache | None = None) -> bytes:
    """The report file's bytes: dumps(report.to_dict()) as UTF-8 (see _utf8), indented, one
    field per line, so `diff -r` of two results folders shows the change per part. With
    `texts` (a grading session's report_texts) each part's bytes are made once."""
    q = _quoted_texts(texts)
    try:
        head, tail = _around_parts(report, q)
    except (_Slow, ValueError, RecursionError):
        head, tail = _around_parts_slow(report)
    made = texts.get_each(report.parts) if texts is not None else [None] * len(report.parts)
    parts = b",\n".join([data if data is not None else _part_pretty(p, texts, q)
                          for p, data in zip(report.parts, made)])
    if not parts:
        return _utf8(head + "[]" + tail)
    return b"".join((_utf8(head + "[\n"), parts, _utf8("\n  ]" + tail)))
