"""Reading a JSON answers file defensively: size, encoding, nesting, NaN, shape of the document."""

from __future__ import annotations

import codecs
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.loaders.file_checks import NotRegular, open_regular_sized
from grader.loaders.json_latex import SURROGATE_ESCAPE, TooManyRepairs, describe, escape_check, repair
from grader.types.numeric import WrittenFloat

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64


class Unreadable(Exception):
    """The file cannot be read as answers at all; the message says why, naming the file."""


def _parse_int(text: str) -> Any:
    return int(text) if len(text) <= 300 else float("inf")


def _constant(name: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]


# json.loads(text, parse_float=..., ...) makes a decoder per call: one is enough (it keeps no state)
_DECODER = json.JSONDecoder(parse_float=WrittenFloat, parse_int=_parse_int, parse_constant=_constant)


def read_bounded_text(path: Path, *, max_bytes: int = MAX_BYTES, what: str = "answers files") -> str:
    """A student's file as UTF-8 text, read up to ``max_bytes`` (Unreadable names the file and why)."""
    name = path.name
    try:
        fd, size = open_regular_sized(path)  # never blocks on a FIFO
        try:
            if size > max_bytes:
                raise Unreadable(f"{name}: the file is {size / 1e6:.1f} MB; {what} are read up to "
                                 f"{max_bytes / 1e6:.0f} MB")
            # Bounded even if the file grows while it is read; sized by fstat, not by the bound
            # (a 10 MB buffer per student would cost more than reading the file).
            data = _read(fd, min(size, max_bytes) + 1 if size else max_bytes + 1)
            if size and len(data) > size:  # it grew: read on, up to the bound
                data += _read(fd, max_bytes + 1 - len(data))
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise Unreadable(f"{name}: file not found") from None
    except NotRegular as exc:
        raise Unreadable(f"{name}: {exc}, not a file; hand in a regular answers file") from None
    except OSError as exc:
        raise Unreadable(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise Unreadable(f"{name}: the file is over {max_bytes / 1e6:.0f} MB; {what} are read up to "
                         f"{max_bytes / 1e6:.0f} MB")
    try:  # "utf-8-sig" (a leading BOM dropped) without its codec's Python-level decode
        text = (data[3:] if data.startswith(codecs.BOM_UTF8) else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}); "
                         f"save the file as UTF-8") from None
    return text


def _read(fd: int, n: int) -> bytes:
    """Up to `n` bytes, fewer only at the end of the file (a buffered file's read(n), without
    making one per student)."""
    chunks = []
    while n > 0:
        chunk = os.read(fd, n)
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


@dataclass
class JsonAnswers:
    """An answers file read: {part id: value}, and whether no string in it can hold a lone
    surrogate (so the loader need not walk the answers looking for one)."""

    answers: dict[str, Any]
    surrogate_free: bool


def read_json_answers(path: Path, *, max_bytes: int = MAX_BYTES,
                      notes: list[str] | None = None) -> dict[str, Any]:
    """{"answers": {...}} or a bare {"part": value} mapping -> {part id: value}.

    LaTeX with single backslashes is read with the backslash kept (see json_latex); each
    such repair is said in `notes`, with the fix.
    """
    return read_json_file(path, max_bytes=max_bytes, notes=notes).answers


def read_json_file(path: Path, *, max_bytes: int = MAX_BYTES, notes: list[str] | None = None) -> JsonAnswers:
    """read_json_answers, saying also whether the answers may hold a lone surrogate."""
    name = path.name
    text = read_bounded_text(path, max_bytes=max_bytes, what="answers files")
    if not text.strip():
        raise Unreadable(f"{name}: the file is empty; expected {{\"answers\": {{\"<part id>\": <value>}}}}")
    scan, surrogate = escape_check(text)
    try:
        text, fixes = repair(text) if scan else (text, [])
    except TooManyRepairs as exc:
        raise Unreadable(f"{name}: {exc}") from None
    if fixes:  # the text changed: its escapes are looked at again, the whole way
        surrogate = "\\u" in text and SURROGATE_ESCAPE.search(text) is not None
    try:
        if text.startswith("\ufeff"):  # what json.loads says of a second BOM
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        doc = _DECODER.decode(text)
    except RecursionError:
        raise Unreadable(f"{name}: nested too deeply to be answers (at most {MAX_DEPTH} levels)") from None
    except json.JSONDecodeError as exc:
        raise Unreadable(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:
        raise Unreadable(f"{name}: invalid JSON: {exc}") from None
    # Only a document with that many brackets can be that deep: skip the walk otherwise.
    depth = _depth(doc) if text.count("[") + text.count("{") > MAX_DEPTH else 0
    if depth > MAX_DEPTH:
        raise Unreadable(f"{name}: nested {depth} levels deep; answers are read up to {MAX_DEPTH} levels")
    answers = answers_mapping(doc, name)
    if fixes and notes is not None:
        notes.extend(describe(name, fixes))
    return JsonAnswers(answers, not surrogate)


def answers_mapping(doc: Any, name: str) -> dict[str, Any]:
    """Accept {"answers": {...}} or the bare mapping; anything else is unreadable."""
    if not isinstance(doc, dict):
        kind = {list: "a list", str: "a string"}.get(type(doc), type(doc).__name__)
        raise Unreadable(f"{name}: the top level is {kind}; expected an object "
                         f"{{\"answers\": {{\"<part id>\": <value>, ...}}}}")
    if "answers" in doc:
        answers = doc["answers"]
        if isinstance(answers, list):
            return _records(answers, name)
        if not isinstance(answers, dict):
            raise Unreadable(f"{name}: \"answers\" must be an object mapping part ids to values")
        return dict(answers)
    return dict(doc)


ID_KEYS = ("id", "part", "question", "number")
VALUE_KEYS = ("answer", "value", "response")


def _records(items: list, name: str) -> dict[str, Any]:
    """[{"id": "3.1", "answer": ...}, ...]: the list form some tools export."""
    out: dict[str, Any] = {}
    for i, item in enumerate(items):
        key = next((k for k in ID_KEYS if isinstance(item, dict) and k in item), None)
        value = next((k for k in VALUE_KEYS if isinstance(item, dict) and k in item), None)
        if key is None or value is None:
            raise Unreadable(f"{name}: \"answers\" item {i + 1} must be an object with a part id "
                             f"(\"id\") and an \"answer\"; or make \"answers\" an object "
                             f"{{\"<part id>\": <value>}}")
        out.setdefault(str(item[key]), item[value])
    return out


def _depth(doc: Any) -> int:
    """Nesting depth of a decoded document's lists and dicts, a level at a time (a hostile
    document must not exhaust the stack), stopping at the first level past MAX_DEPTH. Only the
    containers of each level are kept, in one comprehension: a class's files with many
    brackets (LaTeX braces in their strings) are walked at a fraction of a node-by-node cost."""
    depth, level = 0, [doc] if type(doc) is list or type(doc) is dict else []
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return depth
        level = [child for node in level for child in (node.values() if type(node) is dict else node)
                 if type(child) is list or type(child) is dict]
    return depth
