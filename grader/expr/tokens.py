"""Scanner: formula text (plain or LaTeX, ASCII or Unicode) -> a flat list of tokens.

Only characters we know are accepted; everything else is rejected with its position. Unicode
letters and operators are translated here (λ -> lambda, · -> *, x² -> x^{2}) so that the
parser only ever sees ASCII names and a handful of operators.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

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
    "‖": "‖", "⊙": "⊙", "′": "'", "’": "'", "（": "(", "）": ")", "⟨": "⟨", "⟩": "⟩",
    "〈": "⟨", "〉": "⟩",
}
SINGLE_OPS = set("+-*/^@()[]{},|'=._")
SPACES = set(" \t\r\n\f\v$\u00a0\u2009\u200a\u2002\u2003\u202f\u2061\u2062")
# accents written as Unicode combining marks (λ̃, x̂, or a precomposed ŵ) -> the name suffix
# that \tilde, \hat, \bar... give (latex.DECORATIONS); an empty suffix is ignored (as \vec is)
ACCENTS = {"\u0302": "hat", "\u0303": "tilde", "\u0304": "bar", "\u0305": "bar",
           "\u0307": "dot", "\u0308": "ddot", "\u20d7": "", "\u20d1": ""}
NUMBER = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?")


# A token is a plain tuple (kind, text, pos, end): a formula has dozens, and a tuple costs a
# fraction of what an instance of a class (even a NamedTuple) costs to make, free and read.
#   kind: num | name | op | cmd | sub (a norm's subscript, made by latex.py) | end
#   text: what it reads as (a command without its backslash)
#   pos, end: the offsets of its first character and past its last in the original text
Token = tuple[str, str, int, int]
KIND: Final = 0
TEXT: Final = 1
POS: Final = 2
END: Final = 3


def where(t: Token) -> str:
    """The token's position for messages, counted from 1 as students count."""
    return f"at position {t[POS] + 1}"


def shown(t: Token) -> str:
    """The token as quoted in messages (commands with their backslash; the end named in words)."""
    kind, text = t[KIND], t[TEXT]
    if kind == "end":
        return "the end of the formula"
    if kind == "cmd":
        return f"'\\{text}'"
    if kind == "sub":
        return f"'_{text}'"
    return f"'{text}'"


def check_length(text: str, limit: int = MAX_LENGTH) -> None:
    """Reject over-long formulas before any scanning work (hostile input); raises ExprError."""
    if len(text) > limit:
        raise ExprError(f"the formula is too long ({len(text)} characters; at most {limit})")


# The common ASCII cases, one match per token: spaces and `$`, numbers, plain names (w_0, eta),
# commands (\\frac; not \\begin, \\end), spacing commands, escaped braces and bars, `**`,
# one-character operators. Anything else (`other`: Unicode, other backslashes, characters we
# refuse) takes the general step below, character by character, which gives the same tokens
# and the same messages.
_FAST = re.compile(r"""
    (?P<space>[ \t\r\n$]+)
  | (?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*)
  | \\(?P<cmd>(?!(?:begin|end)(?![A-Za-z]))[A-Za-z]+)
  | (?P<skip>\\[,;:!\ ()\[\]])
  | \\(?P<esc>[{}|])
  | (?P<power>\*\*)
  | (?P<op>[-+*/^@()\[\]{},|'=._])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_ESCAPED = {"{": "(", "}": ")", "|": "‖"}


def scan(text: str) -> list[Token]:
    """Tokens of ``text``, ending with an ``end`` token. Raises ExprError on any unknown character."""
    check_length(text)
    plain = _scan_plain(text)  # None for Unicode but Greek letters
    if plain is not None:
        return plain
    out: list[Token] = []
    n = len(text)
    i = 0
    while i < n:
        if len(out) > MAX_TOKENS:
            raise ExprError(f"the formula is too long (more than {MAX_TOKENS} symbols)")
        fast = len(out)
        stop = _scan_fast(text, i, out)
        if stop == n:
            break
        # The general step reads text[stop]. The last tokens the regex read before it may read
        # otherwise with it (a name goes on in Unicode: wλ, w_λ; so does a number: 1.5e+٣):
        # those are read again.
        i = stop
        while len(out) > fast and out[-1][END] > stop - 4:
            i = out.pop()[POS]
        while i <= stop:
            if len(out) > MAX_TOKENS:
                raise ExprError(f"the formula is too long (more than {MAX_TOKENS} symbols)")
            i = _step(text, i, out)
    out.append(("end", "", n, n))
    return out


# The same tokens cut by one findall (no match objects): every character falls in one piece, so
# pieces are contiguous and a token's position is the length of the pieces before it. A text
# with any piece the regex above calls `other` (Unicode other than Greek letters in names,
# \\begin, a lone backslash, a character we refuse), or with more tokens than allowed, is left
# to the general scanner (and its messages).
# (The branches start with different characters, the commonest first, except the last one.)
_GREEK_LETTERS = "".join(GREEK)
_PIECES = re.compile(r"""
    [A-Za-z{G}][A-Za-z0-9{G}]*(?:_[A-Za-z0-9{G}]+)*
  | [-+/^@()\[\]{},|'=_]
  | [ \t\r\n$]+
  | [0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)? | \.[0-9]+(?:[eE][+-]?[0-9]+)?
  | \\(?!(?:begin|end)(?![A-Za-z]))[A-Za-z]+
  | \\[,;:!\ ()\[\]{}|]
  | \*\*
  | .
""".replace("{G}", _GREEK_LETTERS), re.VERBOSE | re.DOTALL)
_PIECE_KIND = {c: "name" for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + _GREEK_LETTERS}
_PIECE_KIND.update({c: "num" for c in "0123456789"})
_PIECE_KIND.update({c: "op" for c in "-+/^@()[]{},|'=_"})
_PIECE_KIND.update({c: "space" for c in " \t\r\n$"})
_PIECE_KIND.update({"\\": "backslash", "*": "star", ".": "dot"})
# a name may hold Greek letters: its text is translated as the general step does
# (wη -> weta, η_1 -> eta_1, w_η -> w_eta)
_GREEK_NAMES = str.maketrans(GREEK)
_SKIP: tuple = ()


def _piece_token(piece: str) -> tuple | None:
    """What one piece of _PIECES reads as: (kind, text) of its token, _SKIP for spaces and
    spacing commands, None for a piece only the general scanner reads."""
    kind = _PIECE_KIND.get(piece[0])
    if kind == "op":
        return ("op", piece)
    if kind == "name":
        return ("name", piece.translate(_GREEK_NAMES))
    if kind == "space":
        return _SKIP
    if kind == "backslash":
        c = piece[1:2]
        if c in _ESCAPED and c:
            return ("op", _ESCAPED[c])
        if len(piece) > 2 or c.isalpha():
            return ("cmd", piece[1:])
        return _SKIP if c else None  # a backslash alone: the fast regex does not read it
    if kind == "num":
        return ("num", piece.rstrip("."))
    if kind == "dot":
        return ("num", piece) if len(piece) > 1 else ("op", ".")
    if kind == "star":
        return ("op", "^" if len(piece) == 2 else "*")
    return None


# Pieces repeat (a class's texts hold a hundred or so distinct ones): what each reads as is
# remembered, up to a bound, so a piece costs one dict lookup.
_KNOWN_PIECES: dict[str, tuple] = {}
MAX_KNOWN_PIECES = 4096
MAX_KNOWN_PIECE_LENGTH = 64


def _learned(piece: str) -> tuple | None:
    """:func:`_piece_token`, remembered (within the bounds)."""
    found = _piece_token(piece)
    if found is not None and len(piece) <= MAX_KNOWN_PIECE_LENGTH and len(_KNOWN_PIECES) < MAX_KNOWN_PIECES:
        _KNOWN_PIECES[piece] = found
    return found


def _scan_plain(text: str) -> list[Token] | None:
    """The tokens of a text the fast regex reads whole (most texts), or None for the general scan."""
    out: list[Token] = []
    append = out.append
    known = _KNOWN_PIECES.get
    pos = 0
    for piece in _PIECES.findall(text):
        end = pos + len(piece)
        read = known(piece)  # (kind, text), or () for a space
        if read is None:
            read = _learned(piece)
            if read is None:  # a piece only the general scan reads
                return None
        if read:
            kind, token_text = read
            append((kind, token_text, pos, end))
        pos = end
    if len(out) > MAX_TOKENS:  # at most MAX_LENGTH pieces were read to know it
        return None
    out.append(("end", "", pos, pos))
    return out


def _scan_fast(text: str, i: int, out: list[Token]) -> int:
    """The tokens from ``text[i]`` on, up to the first character the general step must read
    (or the token limit); returns where that is, the text's length when there is none."""
    append = out.append
    for m in _FAST.finditer(text, i):
        kind = m.lastgroup
        if kind == "op":
            append(("op", m.group(), m.start(), m.end()))
        elif kind == "name":
            append(("name", m.group(), m.start(), m.end()))
        elif kind == "cmd":
            append(("cmd", m.group(kind), m.start(), m.end()))
        elif kind == "num":
            append(("num", m.group().rstrip("."), m.start(), m.end()))
        elif kind == "space" or kind == "skip":  # spaces, `$`, \\, \\; ..., \\( \\) \\[ \\]
            pass
        elif kind == "esc":
            append(("op", _ESCAPED[m.group(kind)], m.start(), m.end()))
        elif kind == "power":
            append(("op", "^", m.start(), m.end()))
        else:
            return m.start()
        if len(out) > MAX_TOKENS:  # the general step says so, if the text goes on
            return m.end()
    return len(text)


def _step(text: str, i: int, out: list[Token]) -> int:
    """The general case: the token(s) at ``text[i]``, appended to ``out``; returns where the next starts."""
    n = len(text)
    c = text[i]
    if c in SPACES:
        return i + 1
    # ('.²': a superscript is a digit to isdigit() but not to the regex's \d: the '.' is an operator)
    m = NUMBER.match(text, i) if c.isascii() and c.isdigit() or (
        c == "." and i + 1 < n and text[i + 1].isdigit()) else None
    if m is not None:
        out.append(("num", m.group(0).rstrip("."), i, m.end()))
        return m.end()
    if _ident_start(c) or _accented(c):
        return _identifier(text, i, out)
    if c == "\\":
        return _command(text, i, out)
    if c == "*" and text.startswith("**", i):
        out.append(("op", "^", i, i + 2))
        return i + 2
    if c in SINGLE_OPS:
        out.append(("op", c, i, i + 1))
        return i + 1
    if c in UNICODE_OPS:
        out.append(("op", UNICODE_OPS[c], i, i + 1))
        return i + 1
    if c == "√":
        out.append(("name", "sqrt", i, i + 1))
        return i + 1
    if c == "†":
        out.append(("cmd", "dagger", i, i + 1))
        return i + 1
    if c in "ᵀ⊤":
        out.append(("op", "^", i, i))
        out.append(("cmd", "top", i, i + 1))
        return i + 1
    if c in SUBSCRIPT_DIGITS:  # after a name they are part of it; here: ‖v‖₂
        j = i
        while j < n and text[j] in SUBSCRIPT_DIGITS:
            j += 1
        out.append(("op", "_", i, i))
        out.append(("num", "".join(SUBSCRIPT_DIGITS[ch] for ch in text[i:j]), i, j))
        return j
    if c in SUPERSCRIPTS:
        return _superscript(text, i, out)
    if c == "∞":  # refused by the parser, except as a norm's subscript (a clear message there)
        out.append(("op", "∞", i, i + 1))
        return i + 1
    if unicodedata.combining(c):
        raise ExprError(f"the accent {_mark_name(c)} at position {i + 1} must follow a letter", i)
    if len(unicodedata.normalize("NFD", c)) > 1 and _ident_start(unicodedata.normalize("NFD", c)[0]):
        raise ExprError(f"unsupported accented letter {c!r} at position {i + 1}; "
                        "write \\hat{x}, \\tilde{x} or \\bar{x}", i)
    _unknown_command(out)
    raise ExprError(f"unexpected character {c!r} at position {i + 1}", i)


def _ident_start(c: str) -> bool:
    return (c.isascii() and c.isalpha()) or c in GREEK


def _ident_char(c: str) -> bool:
    return (c.isascii() and c.isalnum()) or c in GREEK


def _unknown_command(out: list[Token]) -> None:
    """Name an unsupported command met before a bad character (``\\url{http://...}``): it is
    the real problem, and the message should say so."""
    from grader.expr.latex import known

    for t in out:
        if t[KIND] == "cmd" and not known(t[TEXT]):
            raise ExprError(f"unsupported LaTeX command '\\{t[TEXT]}' ({where(t)})", t[POS])


def _accented(c: str) -> bool:
    """A precomposed accented letter (ŵ, ã): a letter plus marks once decomposed (NFD)."""
    d = unicodedata.normalize("NFD", c)
    return len(d) > 1 and _ident_start(d[0]) and all(m in ACCENTS for m in d[1:])


def _mark_name(c: str) -> str:
    return f"U+{ord(c):04X} ({unicodedata.name(c, 'unnamed').lower()})"


def _identifier(text: str, i: int, out: list[Token]) -> int:
    """Letters, digits, Greek letters, accents, subscript digits, and ``_x`` subscripts.

    An accent turns the name into its decorated form (λ̃ -> lambda_tilde, as \\tilde{\\lambda});
    a letter after an accent starts a new name (λ̃η is lambda_tilde times eta).
    """
    start, parts, n = i, [], len(text)
    accented = False
    while i < n:
        c = text[i]
        if accented and (_ident_char(c) or _accented(c)):
            break
        if _accented(c):
            d = unicodedata.normalize("NFD", c)
            parts.append(GREEK.get(d[0], d[0]))
            parts.extend("_" + ACCENTS[m] for m in d[1:] if ACCENTS[m])
            accented = True
            i += 1
        elif _ident_char(c):
            parts.append(GREEK.get(c, c))
            i += 1
        elif unicodedata.combining(c):
            if c not in ACCENTS:
                raise ExprError(f"unsupported accent {_mark_name(c)} at position {i + 1}; "
                                "write \\hat{x}, \\tilde{x} or \\bar{x}", i)
            if parts.count("_" + ACCENTS[c]) >= 2:
                raise ExprError(f"too many accents at position {i + 1}", i)
            if ACCENTS[c]:
                parts.append("_" + ACCENTS[c])
            accented = True
            i += 1
        elif c in SUBSCRIPT_DIGITS:
            parts.append("_" if not parts or parts[-1] not in SUBSCRIPT_DIGITS.values() else "")
            parts.append(SUBSCRIPT_DIGITS[c])
            i += 1
        elif c == "_" and i + 1 < n and _ident_char(text[i + 1]):
            parts.append("_")
            accented = False  # the subscript goes on: λ̃_1 is lambda_tilde_1
            i += 1
        else:
            break
    out.append(("name", "".join(parts), start, i))
    return i


def _command(text: str, i: int, out: list[Token]) -> int:
    m = re.compile(r"\\([A-Za-z]+)").match(text, i)
    if m:
        if m.group(1) in ("begin", "end"):
            raise ExprError(f"LaTeX environments ('\\{m.group(1)}' at position {i + 1}) are not supported: "
                            "write one formula, without \\begin{...}", i)
        out.append(("cmd", m.group(1), i, m.end()))
        return m.end()
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if nxt == "\\" and text[i + 2:].strip("".join(SPACES)):
        raise ExprError(f"a line break '\\\\' at position {i + 1}: write the formula on one line", i)
    if nxt in ",;:! \\()[]" or nxt == "":  # spacing, line breaks, \( \) \[ \] delimiters
        return i + 2
    if nxt in "{}":
        out.append(("op", "(" if nxt == "{" else ")", i, i + 2))
        return i + 2
    if nxt == "|":
        out.append(("op", "‖", i, i + 2))
        return i + 2
    bad = "\\" + nxt
    raise ExprError(f"unexpected character {bad!r} at position {i + 1}", i)


def _superscript(text: str, i: int, out: list[Token]) -> int:
    start, chars = i, []
    while i < len(text) and text[i] in SUPERSCRIPTS:
        chars.append(SUPERSCRIPTS[text[i]])
        i += 1
    out.append(("op", "^", start, start))
    out.append(("op", "{", start, start))
    k = 0
    while k < len(chars):
        if chars[k] in "+-":
            out.append(("op", chars[k], start, i))
            k += 1
        else:
            j = k
            while j < len(chars) and chars[j].isdigit():
                j += 1
            out.append(("num", "".join(chars[k:j]), start, i))
            k = j
    out.append(("op", "}", i, i))
    return i
