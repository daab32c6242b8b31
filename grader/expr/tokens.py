"""Scanner: formula text (plain or LaTeX, ASCII or Unicode) -> a flat list of tokens.

Only characters we know are accepted; everything else is rejected with its position. Unicode
letters and operators are translated here (λ -> lambda, · -> *, x² -> x^{2}) so that the
parser only ever sees ASCII names and a handful of operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.expr.errors import ExprError
from grader.expr.limits import MAX_LENGTH, MAX_TOKENS

GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho",
    "σ": "sigma", "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta",
    "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi",
    "Ψ": "Psi", "Ω": "Omega",
}
SUBSCRIPT_DIGITS = {chr(0x2080 + i): str(i) for i in range(10)}
SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6",
                "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-", "⁺": "+"}
UNICODE_OPS = {
    "·": "*", "⋅": "*", "∙": "*", "×": "*", "∗": "*", "−": "-", "–": "-", "÷": "/", "∕": "/",
    "‖": "‖", "⊙": "⊙", "′": "'", "’": "'", "（": "(", "）": ")",
}
SINGLE_OPS = set("+-*/^@()[]{},|'=._")
SPACES = set(" \t\r\n\f\v$\u00a0\u2009\u200a\u2002\u2003\u202f\u2061\u2062")
NUMBER = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Token:
    kind: str  # num | name | op | cmd | end
    text: str
    pos: int  # offset of the first character in the original text
    end: int

    def where(self) -> str:
        return f"at position {self.pos + 1}"

    def show(self) -> str:
        if self.kind == "end":
            return "the end of the formula"
        if self.kind == "cmd":
            return f"'\\{self.text}'"
        return f"'{self.text}'"


def check_length(text: str, limit: int = MAX_LENGTH) -> None:
    if len(text) > limit:
        raise ExprError(f"the formula is too long ({len(text)} characters; at most {limit})")


def scan(text: str) -> list[Token]:
    """Tokens of ``text``, ending with an ``end`` token. Raises ExprError on any unknown character."""
    check_length(text)
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if len(out) > MAX_TOKENS:
            raise ExprError(f"the formula is too long (more than {MAX_TOKENS} symbols)")
        c = text[i]
        if c in SPACES:
            i += 1
        elif c.isascii() and c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = NUMBER.match(text, i)
            out.append(Token("num", m.group(0).rstrip("."), i, m.end()))
            i = m.end()
        elif _ident_start(c):
            i = _identifier(text, i, out)
        elif c == "\\":
            i = _command(text, i, out)
        elif c == "*" and text.startswith("**", i):
            out.append(Token("op", "^", i, i + 2))
            i += 2
        elif c in SINGLE_OPS:
            out.append(Token("op", c, i, i + 1))
            i += 1
        elif c in UNICODE_OPS:
            out.append(Token("op", UNICODE_OPS[c], i, i + 1))
            i += 1
        elif c == "√":
            out.append(Token("name", "sqrt", i, i + 1))
            i += 1
        elif c in "ᵀ⊤":
            out.append(Token("op", "^", i, i))
            out.append(Token("cmd", "top", i, i + 1))
            i += 1
        elif c in SUPERSCRIPTS:
            i = _superscript(text, i, out)
        elif c == "∞":
            raise ExprError(f"infinity is not allowed (at position {i + 1})", i)
        else:
            raise ExprError(f"unexpected character {c!r} at position {i + 1}", i)
    out.append(Token("end", "", n, n))
    return out


def _ident_start(c: str) -> bool:
    return (c.isascii() and c.isalpha()) or c in GREEK


def _ident_char(c: str) -> bool:
    return (c.isascii() and c.isalnum()) or c in GREEK


def _identifier(text: str, i: int, out: list[Token]) -> int:
    """Letters, digits, Greek letters, subscript digits, and ``_x`` subscripts."""
    start, parts, n = i, [], len(text)
    while i < n:
        c = text[i]
        if _ident_char(c):
            parts.append(GREEK.get(c, c))
            i += 1
        elif c in SUBSCRIPT_DIGITS:
            parts.append("_" if not parts or parts[-1] not in SUBSCRIPT_DIGITS.values() else "")
            parts.append(SUBSCRIPT_DIGITS[c])
            i += 1
        elif c == "_" and i + 1 < n and _ident_char(text[i + 1]):
            parts.append("_")
            i += 1
        else:
            break
    out.append(Token("name", "".join(parts), start, i))
    return i


def _command(text: str, i: int, out: list[Token]) -> int:
    m = re.compile(r"\\([A-Za-z]+)").match(text, i)
    if m:
        out.append(Token("cmd", m.group(1), i, m.end()))
        return m.end()
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if nxt in ",;:! \\()[]" or nxt == "":  # spacing, line breaks, \( \) \[ \] delimiters
        return i + 2
    if nxt in "{}":
        out.append(Token("op", "(" if nxt == "{" else ")", i, i + 2))
        return i + 2
    if nxt == "|":
        out.append(Token("op", "‖", i, i + 2))
        return i + 2
    bad = "\\" + nxt
    raise ExprError(f"unexpected character {bad!r} at position {i + 1}", i)


def _superscript(text: str, i: int, out: list[Token]) -> int:
    start, chars = i, []
    while i < len(text) and text[i] in SUPERSCRIPTS:
        chars.append(SUPERSCRIPTS[text[i]])
        i += 1
    out.append(Token("op", "^", start, start))
    out.append(Token("op", "{", start, start))
    k = 0
    while k < len(chars):
        if chars[k] in "+-":
            out.append(Token("op", chars[k], start, i))
            k += 1
        else:
            j = k
            while j < len(chars) and chars[j].isdigit():
                j += 1
            out.append(Token("num", "".join(chars[k:j]), start, i))
            k = j
    out.append(Token("op", "}", i, i))
    return i
