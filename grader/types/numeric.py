"""Reading numbers students write, and comparing them with tolerances (shared by numeric types).

Number strings are parsed by a tiny whitelisting parser (digits, fractions, pi, e, sqrt and
small powers), never by eval.
"""

from __future__ import annotations

import math
import re
from typing import Any

from grader.types.base import Invalid, describe_value

MAX_NUMBER_TEXT = 1000
MAX_INT = 10**300  # a larger integer cannot be compared as a float


class WrittenFloat(float):
    """A float that remembers how it was written, so significant figures can be counted."""

    text: str
    notes: list = []

    def __new__(cls, text: str):
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


_CONSTANT_WORDS = re.compile(r"pi|π|√|sqrt|exp|log|ln|sin|cos|tan|(?<![\d.])e(?![a-zA-Z])")


def parse_number_text(text: str, *, fractions: bool = True, constants: bool = False,
                      parameter: str | None = None, what: str = "a number") -> float:
    """Read '0.25', '3/5', '\\frac{1}{3}', '1.12 \\times 10^{6}', '$\\sqrt{3}$', 'r_d = 15',
    'x \\sim N(0, 3)' (with the part's parameter) through the formula reader. ValueError says why not.

    The result is a :class:`WrittenFloat` when the number is a plain decimal (its figures
    count), else a :class:`ReadFloat`; both carry the reader's notes (chains that disagree)."""
    from grader.expr.errors import ExprError
    from grader.expr.values import read_value

    source = text.strip()
    if not source:
        raise ValueError("the answer is empty")
    if len(source) <= MAX_NUMBER_TEXT and _PLAIN_DECIMAL.fullmatch(source) and math.isfinite(float(source)):
        return WrittenFloat(source)  # the common case, read at once (no comma, no %: none of the below)
    if _THOUSANDS.fullmatch(source):
        raise ValueError(f"write the number without thousands separators ({source.replace(',', '')})")
    if _DECIMAL_COMMA.fullmatch(source):
        raise ValueError("write the number with a decimal point (0.8) and no thousands separator")
    if source.endswith("%"):
        raise ValueError("write the number without '%' (as the question asks: 0.5 or 50)")
    if len(source) > MAX_NUMBER_TEXT:
        raise ValueError(f"the text is {len(source)} characters long; a number is at most {MAX_NUMBER_TEXT}")
    try:
        reading = read_value(source, parameter=parameter, what=what)
    except ExprError as e:
        raise ValueError(e.message) from None
    value = reading.value
    if isinstance(value, list):
        flat = _flat(value)
        if len(flat) != 1:
            raise ValueError(f"that is a list of {len(flat)} numbers; one number is expected")
        value = flat[0]
    if reading.plain is not None:
        out = WrittenFloat(reading.plain)
    else:
        if not fractions and not constants:
            raise ValueError("write a plain decimal number")
        if not constants and _CONSTANT_WORDS.search(re.sub(r"\\(?:frac|dfrac|tfrac|times|cdot|left|right)", "", source)):
            raise ValueError("constants such as pi or sqrt are not accepted here; write a decimal or a fraction")
        out = ReadFloat(value)
    out.notes = list(reading.notes)
    return out


def _flat(value) -> list:
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [value]


class ReadFloat(float):
    """A number read from a formula (a fraction, a root...): no written figures, maybe notes."""

    text = None
    notes: list = []


def to_number(raw: Any, *, fractions: bool = True, constants: bool = True, what: str = "a number",
              parameter: str | None = None) -> float:
    """A student's scalar -> float, or Invalid saying what was expected."""
    if isinstance(raw, bool):
        raise Invalid(f"expected {what}, got a boolean ({str(raw).lower()})")
    if isinstance(raw, int):
        if abs(raw) > MAX_INT:
            raise Invalid(f"expected {what}, got an integer too large to compare")
        return raw
    if isinstance(raw, float):
        if math.isnan(raw):
            raise Invalid(f"expected {what}, got NaN (not a number)")
        if math.isinf(raw):
            raise Invalid(f"expected {what}, got an infinite value")
        return raw
    if isinstance(raw, str):
        try:
            return parse_number_text(raw, fractions=fractions, constants=constants,
                                     parameter=parameter, what=what)
        except ValueError as exc:
            raise Invalid(f"expected {what}, got the text {short_text(raw)}: {exc}") from None
    if isinstance(raw, list) and len(raw) == 1 and not isinstance(raw[0], (list, dict)):
        return to_number(raw[0], fractions=fractions, constants=constants, what=what, parameter=parameter)
    raise Invalid(f"expected {what}, got {describe_value(raw)}")


_PLAIN_DECIMAL = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3}){2,}")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def short_text(text: str, limit: int = 40) -> str:
    """A student's text quoted in a message, cut short so the message stays readable."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def written_sigfigs(value: float) -> int | None:
    """Significant figures as written (trailing zeros of '0.250' count); None for exact ints."""
    text = getattr(value, "text", None)
    if text is None:
        if isinstance(value, int):
            return None
        text = repr(float(value))
    mantissa = re.split(r"[eE]", text.strip().lstrip("+-"))[0]
    digits = mantissa.replace(".", "").lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0") or digits
    return max(len(digits), 1)
