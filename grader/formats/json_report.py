"""The report as JSON: stable key order and valid JSON even when answers held NaN."""

from __future__ import annotations

import json
import math
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


class _Encoded(str):
    """A value's JSON text, already made (a rubric's): written as it is."""


# what json's encoders write for each scalar type (json.encoder's own functions; ensure_ascii=False)
_encode_str = json.encoder.encode_basestring
_SCALARS: Mapping[type, Callable[[Any], str]] = MappingProxyType({str: _encode_str, int: int.__repr__, float: _float,
                             bool: lambda b: "true" if b else "false", type(None): lambda _: "null",
                             _Encoded: str.__str__})


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
        return "[" + inner + ("," + inner).join([_indented(v, inner) for v in data]) + pad + "]"
    raise _Slow


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


def _part_pretty(part: PartResult, texts: IdentityCache | None) -> bytes:
    """A part's entry as it sits, indented, in a pretty report's "parts" list (UTF-8: a class
    repeats parts, and each is encoded once)."""
    data = texts.get(part) if texts is not None else None
    if data is None:
        fields = vars(part)
        try:
            text = "    " + _part_fields(fields, texts) if texts is not None else None
        except (_Slow, ValueError, RecursionError):
            text = None
        if text is None:
            text = "    " + _indented_or_slow(fields, _PART_PAD)
        data = _utf8(text)
        if texts is not None:
            texts.put(part, data)
    return data


def _part_fields(fields: dict, texts: IdentityCache) -> str:
    """_indented(fields, _PART_PAD), a rubric's text taken from `texts`: each manual answer of a
    class is a new result, and its part's rubric (one shared list) is most of its text."""
    rubric = fields.get("rubric")
    if rubric:
        cached = texts.get(rubric)
        text = cached if cached is not None else texts.put(rubric, _indented(rubric, _FIELD_PAD))
        fields = {**fields, "rubric": _Encoded(text)}
    return _indented(fields, _PART_PAD)


def pretty_report(report: Report, texts: IdentityCache | None = None) -> bytes:
    """The report file's bytes: dumps(report.to_dict()) as UTF-8 (see _utf8), indented, one
    field per line, so `diff -r` of two results folders shows the change per part. With
    `texts` (a grading session's report_texts) each part's bytes are made once."""
    head, tail = {}, {}
    target = head
    for key, value in vars(report).items():
        if key == "parts":
            target = tail
        elif key == "variant" and value is None:
            continue
        elif key != "failures":
            target[key] = value
    parts = b",\n".join([_part_pretty(p, texts) for p in report.parts])
    text = _encode_indented(head)[:-2] + "," if head else "{"
    text += '\n  "parts": ' + ("[\n" if parts else "[]")
    tail_text = _encode_indented(tail)
    end = ("," + tail_text[1:]) if tail else "\n}"
    return b"".join((_utf8(text), parts, b"\n  ]" if parts else b"", _utf8(end + "\n")))
