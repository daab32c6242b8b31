"""The grader's numeric rules, each written once: the tolerance test, the ways numbers are
written in messages and files, and turning solver and numpy values into plain data.

Every answer type, the formula comparisons, the reports and the gradebook use these, so a rule
changed here changes everywhere at once (and a rule written twice cannot drift apart).
"""

from __future__ import annotations

import functools
import math
from typing import Any

DEFAULT_RTOL = 1e-6  # relative: agreement to about six significant figures
DEFAULT_ATOL = 1e-9  # absolute: what counts as 0 for answers near it
FORMULA_ATOL = 1e-10  # scalar formulas, compared at sample points where values may be tiny


# ------------------------------------------------------------------ tolerances

def allowed_error(magnitude: Any, rtol: float, atol: float) -> Any:
    """The largest difference accepted next to a value of this size: ``atol + rtol * size``
    (numpy arrays elementwise). A matrix passes the size of its largest entry."""
    return atol + rtol * magnitude


def within(got: Any, expected: Any, rtol: float, atol: float) -> Any:
    """Whether ``got`` agrees with ``expected`` (numpy's ``isclose`` rule, asymmetric: the
    expected value sets the scale, so a student's error cannot widen its own tolerance).
    Scalars give a bool; numpy arrays an array of bools, elementwise."""
    return abs(got - expected) <= allowed_error(abs(expected), rtol, atol)


def within_each(got: list[float], expected: list[float], rtol: float, atol: float) -> list[bool]:
    """within() of each pair of two lists of floats: the same operations, written out so that a
    vector costs no call per element (a class compares each new array with its reference and
    every mistake)."""
    return [abs(g - t) <= atol + rtol * abs(t) for g, t in zip(got, expected)]


@functools.lru_cache(maxsize=256)  # every comparison of a class says it, with a part's few tolerances
def tolerance_text(rtol: float, atol: float) -> str:
    """The tolerance in words, for feedback that says why an answer was accepted or not."""
    if rtol == 0 and atol == 0:
        return "exact"
    if rtol == 0:
        return f"within {atol:g}"
    if atol == 0:
        return f"within {rtol:g} relative"
    return f"within {atol:g} + {rtol:g}·|expected|"


def round_sig(x: float, n: int) -> float:
    """``x`` rounded to ``n`` significant figures (0, infinities and NaN unchanged)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, n - 1 - int(math.floor(math.log10(abs(x)))))


# ------------------------------------------------------------------ writing numbers

def number_text(x: float) -> str:
    """A number in feedback: as the student wrote it when known (``0.250`` keeps its figures),
    whole numbers in full, else ten significant figures (enough to tell two answers apart)."""
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    text = getattr(x, "text", None)
    return text.strip() if text else f"{x:.10g}"


def figures(x: float, n: int = 4, *, whole: bool = False) -> str:
    """Points and scores in short: ``n`` significant figures; ``whole``: a whole number in full
    (a table column of points reads 12, not 12.0 or 1.2e+01)."""
    if whole and x == int(x):
        return str(int(x))
    return f"{x:.{n}g}"


def fixed(x: float | None, digits: int, blank: str = "") -> str:
    """At most ``digits`` decimals, trailing zeros dropped, never "-0": gradebook cells and
    statistics, where 0.333333 is 0.3333 and 12.0 is 12. ``blank`` stands for None."""
    if x is None:
        return blank
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ------------------------------------------------------------------ plain data

def to_plain(value: Any, *, exact: bool = False, finite: bool = False) -> Any:
    """Solver and numpy values as plain data: numpy arrays and scalars become lists and
    numbers, tuples lists; dicts are walked.

    ``exact``: built-in types only, for files students and tools read (subclasses of str, int
    and float made plain, keys made strings, anything else its text: YAML must not tag a
    Python class). ``finite``: NaN and infinities become their text, as JSON has none."""
    same = _PLAIN if finite else _PLAIN_OR_FLOAT  # plain already: kept as it is, items without a call
    if type(value) in same:
        return value
    if isinstance(value, (list, tuple)):  # first: the common container (no type is two of these)
        if same.issuperset(map(type, value)):
            return list(value)
        return [v if type(v) in same else to_plain(v, exact=exact, finite=finite) for v in value]
    if isinstance(value, dict):
        return {(str(k) if exact else k): (v if type(v) in same else to_plain(v, exact=exact, finite=finite))
                for k, v in value.items()}
    if isinstance(value, float):
        if finite and not math.isfinite(value):
            return str(value)
        return float(value) if exact else value
    if isinstance(value, int):
        return int(value) if exact else value
    if isinstance(value, str):
        return str(value) if exact else value
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return to_plain(value.tolist(), exact=exact, finite=finite)
    if hasattr(value, "__float__") and not isinstance(value, complex):
        try:
            return to_plain(float(value), exact=exact, finite=finite)
        except (TypeError, ValueError):
            pass
    return str(value) if exact else value


_PLAIN = frozenset({type(None), bool, int, str})  # what to_plain gives back as it is, whatever its flags
_PLAIN_OR_FLOAT = _PLAIN | {float}  # and a float, unless NaN and infinities become text
