"""Reading numbers students write, and comparing them with tolerances (shared by numeric types).

Number strings are parsed by a tiny whitelisting parser (digits, fractions, pi, e, sqrt and
small powers), never by eval.
"""

from __future__ import annotations

import math
import re
from typing import Any

from grader.types.base import Invalid, describe_value
from grader.types.latex_text import has_latex, plain_math

MAX_NUMBER_TEXT = 200


class WrittenFloat(float):
    """A float that remembers how it was written, so significant figures can be counted."""

    text: str

    def __new__(cls, text: str):
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|(pi|π|e|sqrt|√)|(\*\*|[-+*/^()×·÷]))")


def parse_number_text(text: str, *, fractions: bool = True, constants: bool = False) -> float:
    """Parse '0.25', '3/5', '-1e-3', '1.2*10^-3', 'pi/4', '2*sqrt(2)'. ValueError says why not."""
    source = text.strip()
    if not source:
        raise ValueError("the answer is empty")
    if re.fullmatch(r"[+-]?\d+,\d+", source):
        raise ValueError("write the number with a decimal point (0.8) and no thousands separator")
    if source.endswith("%"):
        raise ValueError("write the number without '%' (as the question asks: 0.5 or 50)")
    if len(source) > MAX_NUMBER_TEXT:
        raise ValueError(f"the text is {len(source)} characters long; a number is at most {MAX_NUMBER_TEXT}")
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if not m or m.end() == pos:
            rest = source[pos:].strip()
            if not rest:
                break
            raise ValueError(f"unexpected '{rest[:12]}' at position {pos + 1}")
        num, name, op = m.groups()
        tokens.append(("num", num) if num else ("name", name) if name else ("op", op))
        pos = m.end()
    simple = [t for t in tokens if t != ("op", "-") and t != ("op", "+")]
    if len(simple) == 1 and simple[0][0] == "num" and tokens[-1][0] == "num":
        value = float(source.replace(" ", ""))
        return value
    if not fractions and not constants:
        raise ValueError("write a plain decimal number")
    used_names = any(kind == "name" for kind, _ in tokens)
    if used_names and not constants:
        raise ValueError("constants such as pi or sqrt are not accepted here; write a decimal or a fraction")
    value = _Parser(tokens).run()
    if not math.isfinite(value):
        raise ValueError("the value is not finite")
    return value


class _Parser:
    """expr := term (('+'|'-') term)*; term := unary (('*'|'/') unary)*; unary := '-' unary | power;
    power := atom ('^' unary)?; atom := num | pi | e | sqrt '(' expr ')' | '(' expr ')'"""

    def __init__(self, tokens):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def run(self) -> float:
        value = self.expr()
        if self.i != len(self.tokens):
            raise ValueError(f"unexpected '{self.peek()[1]}'")
        return value

    def expr(self) -> float:
        self.depth += 1
        if self.depth > 20:
            raise ValueError("too deeply nested")
        value = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        self.depth -= 1
        return value

    def term(self) -> float:
        value = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/", "×", "·", "÷"):
            op = self.take()[1]
            rhs = self.unary()
            if op in ("/", "÷"):
                if rhs == 0:
                    raise ValueError("division by zero")
                value /= rhs
            else:
                value *= rhs
        return value

    def unary(self) -> float:
        if self.peek() in (("op", "-"), ("op", "+")):
            sign = -1.0 if self.take()[1] == "-" else 1.0
            return sign * self.unary()
        return self.power()

    def power(self) -> float:
        base = self.atom()
        if self.peek() in (("op", "^"), ("op", "**")):
            self.take()
            exponent = self.unary()
            if abs(exponent) > 100:
                raise ValueError("exponent too large")
            try:
                return float(base ** exponent)
            except (OverflowError, ZeroDivisionError, TypeError):
                raise ValueError("the power cannot be computed") from None
        return base

    def atom(self) -> float:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "name":
            if text in ("pi", "π"):
                return math.pi
            if text == "e":
                return math.e
            if self.peek() == ("op", "("):
                self.take()
                inner = self.expr()
                if self.take() != ("op", ")"):
                    raise ValueError("missing ')'")
            else:
                inner = self.atom()
            if inner < 0:
                raise ValueError("square root of a negative number")
            return math.sqrt(inner)
        if (kind, text) == ("op", "("):
            value = self.expr()
            if self.take() != ("op", ")"):
                raise ValueError("missing ')'")
            return value
        raise ValueError(f"unexpected '{text}'" if text else "the expression ends too early")


def to_number(raw: Any, *, fractions: bool = True, constants: bool = False, what: str = "a number") -> float:
    """A student's scalar -> float, or Invalid saying what was expected."""
    if isinstance(raw, bool):
        raise Invalid(f"expected {what}, got a boolean ({str(raw).lower()})")
    if isinstance(raw, int):
        if abs(raw) > 10**300:
            raise Invalid(f"expected {what}, got an integer too large to compare")
        return raw
    if isinstance(raw, float):
        if math.isnan(raw):
            raise Invalid(f"expected {what}, got NaN (not a number)")
        if math.isinf(raw):
            raise Invalid(f"expected {what}, got an infinite value")
        return raw
    if isinstance(raw, str):
        if has_latex(raw):  # "$\\frac{1}{3}$", "r_d = 15": LaTeX as students write it
            raw = plain_math(raw)
        try:
            value = parse_number_text(raw, fractions=fractions, constants=constants)
        except ValueError as exc:
            raise Invalid(f"expected {what}, got the text {short_text(raw)}: {exc}") from None
        if _plain_decimal(raw):  # keep how it was written: significant figures count
            return WrittenFloat(raw.strip())
        return value
    if isinstance(raw, list) and len(raw) == 1 and not isinstance(raw[0], (list, dict)):
        return to_number(raw[0], fractions=fractions, constants=constants, what=what)
    raise Invalid(f"expected {what}, got {describe_value(raw)}")


def _plain_decimal(text: str) -> bool:
    return re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", text) is not None


def short_text(text: str, limit: int = 40) -> str:
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


def round_sig(x: float, n: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, n - 1 - int(math.floor(math.log10(abs(x)))))


def close(got: float, expected: float, rtol: float, atol: float) -> bool:
    return abs(got - expected) <= atol + rtol * abs(expected)


def fmt(x: float) -> str:
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    text = getattr(x, "text", None)
    return text.strip() if text else f"{x:.10g}"


def tolerance_text(rtol: float, atol: float) -> str:
    if rtol == 0 and atol == 0:
        return "exact"
    if rtol == 0:
        return f"within {atol:g}"
    if atol == 0:
        return f"within {rtol:g} relative"
    return f"within {atol:g} + {rtol:g}·|expected|"
