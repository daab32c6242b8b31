"""Plain JSON frames over pipes, and the strict value codec on each side.

A frame is ``<decimal length>\\n<JSON bytes>``. Lengths are capped, so a child cannot make the
grader buffer without bound. Values cross as plain JSON; numpy arrays as a tagged object.
The child *encodes* with :func:`encode_value`, which accepts only exact builtin types (and
numpy arrays/scalars of plain dtypes): objects that claim to equal everything never leave the
child. The grader *decodes* with :func:`decode_value`, which re-checks everything, because
the child is untrusted and may write any bytes at all to its end of the pipe.
"""

from __future__ import annotations

import json
import math
from typing import Any

# Bound here so that a student patching builtins in the child cannot change the encoder.
from builtins import abs, bool, dict, float, int, isinstance, len, list, str, type  # noqa: E402

TAG = "\u0000nd"  # key of a tagged numpy array: {TAG: [shape, dtype, nested data]}
MAX_DEPTH = 32
MAX_NODES = 2_000_000
MAX_HEADER = 12


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed frame or value."""


class EncodeError(Exception):
    """A student value that cannot cross: the message says what was returned instead."""


def frame(message: Any) -> bytes:
    """One frame: length header and compact JSON (NaN/Infinity allowed as in Python's json)."""
    body = json.dumps(message, separators=(",", ":"), allow_nan=True).encode("utf-8")
    return b"%d\n" % len(body) + body


class FrameReader:
    """Reassembles frames from chunks, refusing any frame longer than ``limit`` bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.buf = bytearray()

    def feed(self, data: bytes) -> None:
        """Add bytes as read from a pipe (any split); pop() says when a frame is complete."""
        self.buf += data

    def pop(self) -> Any | None:
        """The next complete frame's JSON value, None if incomplete; ProtocolError if bad."""
        nl = self.buf.find(b"\n", 0, MAX_HEADER + 1)
        if nl < 0:
            if len(self.buf) > MAX_HEADER:
                raise ProtocolError("frame header too long")
            return None
        head = bytes(self.buf[:nl])
        if not head.isdigit():
            raise ProtocolError("frame header is not a length")
        size = int(head)
        if size > self.limit:
            raise ProtocolError(f"frame of {size} bytes exceeds the limit of {self.limit}")
        if len(self.buf) < nl + 1 + size:
            return None
        body = bytes(self.buf[nl + 1: nl + 1 + size])
        del self.buf[: nl + 1 + size]
        try:
            return json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError, UnicodeDecodeError) as exc:
            raise ProtocolError(f"frame is not valid JSON ({type(exc).__name__})") from None


# ---------------------------------------------------------------- child side: strict encoder


def make_encoder(np: Any = None):
    """Build the child's encoder, binding numpy's real types *before* student code runs."""
    nd_type = np.ndarray if np is not None else None
    tolist = np.ndarray.tolist if np is not None else None
    generic = np.generic if np is not None else None
    ok_kinds = {"b", "i", "u", "f", "U"}

    def encode(value: Any, depth: int = 0, budget: list | None = None) -> Any:
        budget = budget if budget is not None else [MAX_NODES]
        budget[0] -= 1
        if budget[0] < 0:
            raise EncodeError(f"the value has more than {MAX_NODES} items")
        if depth > MAX_DEPTH:
            raise EncodeError(f"the value is nested more than {MAX_DEPTH} levels deep")
        t = type(value)
        if value is None or t is bool or t is str:
            return value
        if t is int:
            if abs(value) > 10 ** 300:
                raise EncodeError("an integer with more than 300 digits")
            return value
        if t is float:
            return value
        if t is list or t is tuple:
            return [encode(v, depth + 1, budget) for v in value]
        if t is dict:
            out = {}
            for k, v in value.items():
                if type(k) is not str:
                    raise EncodeError(f"a dict key of type {type(k).__name__} (keys must be strings)")
                if k.startswith("\u0000"):
                    raise EncodeError("a dict key starting with a NUL character")
                out[k] = encode(v, depth + 1, budget)
            return out
        if nd_type is not None and t is nd_type:
            if value.dtype.kind not in ok_kinds:
                raise EncodeError(f"a numpy array of dtype {value.dtype} (use numbers)")
            if value.size > MAX_NODES or value.ndim > MAX_DEPTH:
                raise EncodeError(f"a numpy array of shape {value.shape} (too large)")
            budget[0] -= int(value.size)
            return {TAG: [list(value.shape), str(value.dtype), tolist(value)]}
        if generic is not None and isinstance(value, generic) and t.__module__ == "numpy":
            kind = value.dtype.kind
            if kind == "b":
                return bool(value)
            if kind in "iu":
                return int(value)
            if kind == "f":
                return float(value)
            if kind == "U":
                return str(value)
            raise EncodeError(f"a numpy {t.__name__} value (use real numbers)")
        name = getattr(t, "__name__", "?")
        raise EncodeError(f"an object of type {name!s:.60} (return numbers, strings, lists, "
                          "dicts or numpy arrays)")

    return encode


# ---------------------------------------------------------------- grader side: strict decoder


def decode_value(raw: Any) -> Any:
    """Validate a value decoded from a child's JSON and turn tagged arrays into nested lists.

    Raises ProtocolError for anything a well-behaved child could not have sent.
    """
    nodes = [0]

    def walk(v: Any, depth: int) -> Any:
        nodes[0] += 1
        if nodes[0] > MAX_NODES:
            raise ProtocolError("value has too many items")
        if depth > MAX_DEPTH + 2:
            raise ProtocolError("value nested too deeply")
        t = type(v)
        if v is None or t in (bool, int, float, str):
            return v
        if t is list:
            return [walk(x, depth + 1) for x in v]
        if t is dict:
            if TAG in v:
                return _array(v, depth)
            return {k: walk(x, depth + 1) for k, x in v.items()}
        raise ProtocolError(f"unexpected {t.__name__}")

    def _array(v: dict, depth: int) -> Any:
        spec = v.get(TAG)
        if len(v) != 1 or type(spec) is not list or len(spec) != 3:
            raise ProtocolError("malformed array")
        shape, dtype, data = spec
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise ProtocolError("malformed array shape")
        if type(dtype) is not str or len(dtype) > 16:
            raise ProtocolError("malformed array dtype")
        if len(shape) > MAX_DEPTH or math.prod(shape) > MAX_NODES:
            raise ProtocolError("array too large")
        nodes[0] += math.prod(shape)
        _check_shape(data, shape)
        return data

    return walk(raw, 0)


def _check_shape(data: Any, shape: list) -> None:
    stack = [(data, 0)]
    while stack:
        item, level = stack.pop()
        if level == len(shape):
            if type(item) not in (bool, int, float, str):
                raise ProtocolError("array element is not a scalar")
            continue
        if type(item) is not list or len(item) != shape[level]:
            raise ProtocolError("array data does not match its shape")
        stack.extend((x, level + 1) for x in item)
