"""Vectors, matrices and tensors: shape first, then elementwise tolerance."""

from __future__ import annotations

import json
import math
from typing import Any

from grader.numbers import DEFAULT_ATOL, DEFAULT_RTOL, number_text, tolerance_text, within, within_each
from grader.types.base import AnswerType, Invalid, Option, PartContext, Verdict, describe_value, register
from grader.types.numeric import MAX_INT, WrittenFloat, to_number
from grader.types.readings import remembered

MAX_ELEMENTS = 1_000_000
MAX_DIMS = 8


def nested_shape(raw: Any, path: str = "", depth: int = 0) -> tuple[int, ...]:
    """Shape of a nested list, or Invalid naming the first ragged or non-numeric place."""
    if depth > MAX_DIMS:
        raise Invalid(f"nested more than {MAX_DIMS} levels deep")
    if not isinstance(raw, list):
        return ()
    if not raw:
        return (0,)
    first: tuple[int, ...] | None = None
    for i, item in enumerate(raw):
        if isinstance(item, list):  # a leaf's place is only named in a message (no path built)
            shape = nested_shape(item, f"{path}[{i}]", depth + 1)
        elif depth + 1 > MAX_DIMS:
            raise Invalid(f"nested more than {MAX_DIMS} levels deep")
        else:
            shape = ()
        if first is None:
            first = shape
        elif shape != first:
            raise Invalid(f"rows differ in length: item {path}[0] has shape {first} but "
                          f"{path}[{i}] has shape {shape}")
    return (len(raw),) + (first if first is not None else ())


_SCALARS = frozenset({int, float, str, bool, type(None), dict, WrittenFloat})  # what is never a list


def _plain_shape(raw: list) -> tuple[int, ...] | None:
    """nested_shape(raw) of the common answer, a vector or a matrix of scalars, found without a
    call per row; None for anything else (nested_shape decides, and names what is wrong)."""
    if raw and type(raw[0]) is list:
        n = len(raw[0])
        for row in raw:
            if type(row) is not list or len(row) != n or not _SCALARS.issuperset(map(type, row)):
                return None
        return (len(raw), n)
    return (len(raw),) if _SCALARS.issuperset(map(type, raw)) else None


class NotedArray:
    """Marker base: arrays read from text carry the reader's notes (see :func:`to_array`)."""


def to_array(raw: Any, *, what: str = "an array", blank: float | None = None, ctx: PartContext | None = None):
    """A student's list, nested lists or matrix text -> a float numpy array; Invalid says what
    was expected (ragged rows, non-numbers). Text goes through the formula reader, never eval;
    a typed table's blank cells are `blank` (None: an error). `ctx`: the part's, whose
    session remembers element texts read."""
    import numpy as np

    notes: list[str] = []
    if isinstance(raw, str):
        raw, notes = _text_to_list(raw, blank)
    if not isinstance(raw, list):
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = [raw]
        else:
            raise Invalid(f"expected {what} (a list of numbers, or a list of rows), got {describe_value(raw)}")
    shape = _plain_shape(raw) or nested_shape(raw)
    if math.prod(shape) > MAX_ELEMENTS:
        raise Invalid(f"the array has {math.prod(shape)} elements; at most {MAX_ELEMENTS} are read")
    flat: list = []
    _flatten(raw, flat, "", ctx)
    arr = np.array(flat, dtype=float).reshape(shape)
    if notes:
        arr = arr.view(_noted_class())
        arr.notes = notes
    return arr


_NOTED = None


def _noted_class():
    """An ndarray subclass with a `notes` attribute (made on first use: numpy loads lazily)."""
    global _NOTED
    if _NOTED is None:
        import numpy as np

        _NOTED = type("NotedNDArray", (np.ndarray, NotedArray), {"notes": []})
    return _NOTED


def _flatten(raw: list, out: list, path: str, ctx: PartContext | None = None) -> None:
    """Append the elements of nested lists to `out` as floats, in C order: plain numbers at once,
    anything else read by _element (`path`: where `raw` is, for a message)."""
    append = out.append
    for i, item in enumerate(raw):
        kind = type(item)
        # what to_number accepts at once: a finite float, an int it can compare (not a bool)
        if (kind is float or kind is WrittenFloat) and item - item == 0:
            append(float(item))
        elif kind is int and -MAX_INT <= item <= MAX_INT:
            append(float(item))
        elif isinstance(item, list):
            _flatten(item, out, f"{path}[{i}]", ctx)
        else:
            try:
                append(_element(item, ctx))
            except Invalid as exc:
                raise Invalid(f"element {path}[{i}]: {exc}") from None


def _element(raw: Any, ctx: PartContext | None) -> float:
    """One element as a float; a text ('$2$', '= 2', '1/4') is read once per grading session
    (a class writes the same few element texts thousands of times)."""
    if ctx is None or type(raw) is not str:
        return float(to_number(raw))

    def read() -> float | str:
        try:
            return float(to_number(raw))
        except Invalid as exc:
            return str(exc)  # the message, said again to whoever writes the same text

    known = remembered(ctx, ("array element", raw), read)
    if isinstance(known, str):
        raise Invalid(known)
    return known


def _text_to_list(text: str, blank: float | None = None) -> tuple[Any, list[str]]:
    """JSON ('[[1, 2], [3, 4]]'), rows ('1 2; 3 4'), LaTeX (bmatrix, '\\frac{1}{3}[1, 10, 100]',
    'w_1 = [...]', '$...$'), typed tables (tab or `|` separated, row labels, blank cells): the
    same reader as every other answer box (grader.expr.values)."""
    from grader.expr.errors import ExprError
    from grader.expr.values import is_table, read_table, read_value

    stripped = text.strip()
    if len(stripped) > 200_000:
        raise Invalid("the text is too long to be an array")
    if not stripped:
        raise Invalid("expected an array, got empty text")
    if stripped.startswith("[") and stripped.endswith("]"):
        try:
            return json.loads(stripped), []
        except (ValueError, RecursionError):
            pass
    try:
        reading = read_table(text, blank=blank) if is_table(text) else read_value(stripped, what="an array")
    except ExprError as e:
        raise Invalid(f"expected an array, got text that cannot be read as one ({e.message}): "
                      f"{stripped[:40]!r}") from None
    return reading.value, reading.notes


def shape_text(shape) -> str:
    """A shape as students write it in messages: 2x3, or "scalar"."""
    return "x".join(map(str, shape)) if shape else "scalar"


@register
class Array(AnswerType):
    """Numbers in a vector or matrix, compared elementwise with a tolerance; optionally up to
    sign or scale, with per-element partial credit."""
    name = "array"
    sheet = "math"
    public_options = frozenset({"shape"})
    summary = "a list of numbers (vector) or a list of equal-length rows (matrix)"
    options = {
        "rtol": Option("number", DEFAULT_RTOL, "relative tolerance, elementwise", minimum=0, tier=True),
        "atol": Option("number", DEFAULT_ATOL, "absolute tolerance, elementwise", minimum=0, tier=True),
        "shape": Option("list", None, "the required shape (default: the expected answer's)"),
        "partial": Option("enum", "none", "per_element: credit is the fraction of elements right",
                          choices=("none", "per_element"), tier=True),
        "up_to": Option("enum", "none", "accept v or -v (sign), or any non-zero multiple (scale)",
                        choices=("none", "sign", "scale")),
        "blank": Option("number", None, "a blank cell of a table typed as text counts as this number (0 for a "
                        "one-hot table, where blank cells mean 0); default: a blank cell is an error"),
        "orientation": Option("enum", "any", "any: a column (n x 1) or a row (1 x n) is read as the vector it "
                              "is, and either for the other; strict: the shape must match",
                              choices=("any", "strict")),
    }

    def parse(self, raw: Any, ctx: PartContext):
        """A numeric array (a typed table's blank cells as the part's `blank`); a vector written as a
        row or a column is reoriented to the declared ``shape`` first, so the message is only about a
        real shape error."""
        arr = to_array(raw, blank=ctx.opt("blank"), ctx=ctx)
        want = ctx.opt("shape")
        if want is not None and list(arr.shape) != list(want):
            arr = oriented(arr, tuple(want), ctx)
            if list(arr.shape) != list(want):
                raise Invalid(f"expected shape {shape_text(want)}, got {shape_text(arr.shape)}")
        return arr

    def expected(self, value: Any, ctx: PartContext):
        return to_array(value)

    def compare(self, got, expected, ctx: PartContext) -> Verdict:
        """Elementwise rtol/atol comparison (optionally up to sign or scale); the message counts wrong elements and
        names the first, with its expected value only when not hidden."""
        verdict = self._compare(got, expected, ctx)
        notes = getattr(got, "notes", None)
        if notes:
            return Verdict(verdict.fraction, verdict.message + " (" + "; ".join(notes) + ")")
        return verdict

    def _compare(self, got, expected, ctx: PartContext) -> Verdict:
        got = oriented(got, expected.shape, ctx)
        if got.shape != expected.shape:
            return Verdict(0.0, f"expected shape {shape_text(expected.shape)}, got {shape_text(got.shape)}")
        rtol, atol = ctx.opt("rtol"), ctx.opt("atol")
        rule = tolerance_text(rtol, atol)
        target, how = expected, ""
        mode = ctx.opt("up_to")
        if mode in ("sign", "scale") and got.size:
            target, how = _aligned(got, expected, mode)
            if target is None:
                return Verdict(0.0, "the zero array is not accepted: a non-zero multiple of the answer is expected")
        size = got.size
        right, wrong_at, got_first, want_first = _agreement(got, target, rtol, atol)
        if right == size:
            return Verdict(1.0, f"correct ({rule}{how})")
        where = "[" + "][".join(map(str, _unravel(wrong_at, got.shape))) + "]"
        detail = (f"{size - right} of {size} element(s) wrong ({rule}{how}); first at {where}: "
                  f"got {number_text(got_first)}")
        if not ctx.hidden:
            detail += f", expected {number_text(want_first)}"
        if ctx.opt("partial") == "per_element":
            return Verdict(right / size, detail)  # the mean of the elements' booleans
        return Verdict(0.0, detail)

    def show(self, value, ctx: PartContext) -> str:
        """The array as JSON, cut short; a small float array's text is remembered by the session
        (the engine shows the reference with each new answer)."""
        if value.size <= SMALL and value.dtype.kind == "f":
            return remembered(ctx, ("array shown", value.shape, value.dtype.str, value.tobytes()),
                              lambda: _shown(value))
        return _shown(value)

    def to_data(self, value, ctx: PartContext) -> Any:
        return value.tolist()

    def public(self, options, reference: Any = None) -> dict[str, Any]:
        """The declared shape, or else the reference's: a student may know the shape asked for."""
        out = super().public(options, reference)
        if "shape" not in out and reference is not None:
            shape = _shape_of(reference)
            if shape:
                out["shape"] = shape
        return out

    def describe(self, ctx: PartContext) -> str:
        """The summary with the declared shape, when the spec gives one."""
        shape = ctx.opt("shape")
        return self.summary + (f", of shape {shape_text(shape)}" if shape else "")

    def check_spec(self, ctx: PartContext) -> list[str]:
        """Rejects a ``shape`` that is not a list of non-negative integers."""
        shape = ctx.opt("shape")
        if shape is not None and not all(isinstance(n, int) and n >= 0 for n in shape):
            return ["shape must be a list of non-negative integers"]
        return []


SMALL = 256  # up to this many elements, plain floats compare faster than numpy's calls


def _shown(value) -> str:
    text = json.dumps(value.tolist())
    return text if len(text) <= 200 else text[:197] + "..."


def _agreement(got, target, rtol: float, atol: float) -> tuple[int, int, float, float]:
    """(elements within tolerance, flat C-order index of the first that is not (-1 if none),
    that element of `got`, of `target`). A small array is compared as Python floats: the
    same IEEE operations as numpy's elementwise `within`, without a dozen numpy calls for a
    vector of two (a class compares each new answer with the reference and every mistake)."""
    if got.size > SMALL:
        import numpy as np

        ok = within(got, target, rtol, atol)
        right = int(np.count_nonzero(ok))
        if right == ok.size:
            return right, -1, 0.0, 0.0
        at = int(np.argmin(ok))  # argmin of booleans: the first False
        return right, at, float(got.flat[at]), float(target.flat[at])
    gs, ts = got.ravel().tolist(), target.ravel().tolist()
    ok = within_each(gs, ts, rtol, atol)
    right = sum(ok)
    if right == len(ok):
        return right, -1, 0.0, 0.0
    at = ok.index(False)
    return right, at, gs[at], ts[at]


def _unravel(flat: int, shape: tuple) -> list[int]:
    """The index of the `flat`-th element in C order (numpy's unravel_index)."""
    out = []
    for n in reversed(shape):
        flat, i = divmod(flat, n)
        out.append(i)
    return out[::-1]


def oriented(got, shape: tuple, ctx: PartContext):
    """A vector written as a column (n x 1) or a row (1 x n) is the vector: reshaped to `shape`
    when both are vectors of the same length (unless the part says orientation: strict)."""
    if ctx.opt("orientation") == "strict" or tuple(got.shape) == tuple(shape):
        return got
    def vector(s):
        return len(s) in (1, 2) and sum(1 for n in s if n != 1) <= 1
    if vector(tuple(got.shape)) and vector(tuple(shape)) and got.size == math.prod(shape) and got.size > 0:
        return got.reshape(shape)
    return got


def _aligned(got, expected, mode: str):
    """The multiple of `expected` closest to `got` (least squares), for up_to sign/scale."""
    import numpy as np

    denom = float(np.dot(expected.ravel(), expected.ravel()))
    if denom == 0 or not np.any(got):
        return (expected, "") if denom == 0 else (None, "")
    factor = float(np.dot(got.ravel(), expected.ravel())) / denom
    if mode == "sign":
        factor = 1.0 if factor >= 0 else -1.0
        return expected * factor, ", up to sign"
    if factor == 0:
        return None, ""
    return expected * factor, f", up to a scalar factor ({factor:.4g})"


def _shape_of(value: Any) -> list[int] | None:
    """The shape of nested lists, read along the first items ([[1, 2], [3, 4]] -> [2, 2])."""
    dims: list[int] = []
    while isinstance(value, list):
        dims.append(len(value))
        if not value:
            break
        value = value[0]
    return dims or None
