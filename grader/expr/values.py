"""Numbers, lists, matrices and sizes written the way formulas are: one reader for every box.

A number, array, shape or set answer is read here, so ``\\frac{1}{3}``, ``\\sqrt{3}``,
``1.12 \\times 10^{6}``, ``$\\frac{1}{3}[1, 10, 100]$``, a ``bmatrix``, ``r_d = 15`` or
``x \\sim \\mathcal{N}(0, 3)`` mean what they mean in a formula part. The structure (math
delimiters, ``name =`` labels and chains, lists, matrix environments, a scalar factor in front
of a list, a distribution's parameters) is cut here; every scalar inside goes through the
formula parser (grader.expr.parse) with no variables and is evaluated as a constant. Nothing
is ever evaluated as code.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from grader.expr.errors import ExprError
from grader.expr.tokens import check_length

MAX_TEXT = 200_000
MAX_ITEMS = 1_000_000
MAX_NESTING = 8
MAX_SIDES = 16  # of a chain A = B = C: each side that reads is compared with the last

# where a chain of equal sides is cut: "eta^* = A = B", "r_d = 15 \rightarrow ..."
_CHAIN = re.compile(r"\\(?:rightarrow|Rightarrow|longrightarrow|Longrightarrow|to|implies|approx|simeq|"
                    r"equiv|coloneqq|eqqcolon)(?![A-Za-z])|:=|==|=|≈|→|⇒|⟹")
_SIM = re.compile(r"\\sim(?![A-Za-z])|∼|~")
_PROSE = re.compile(r"\\(?:text|textrm|textit|textbf|mbox)\s*\{([^{}]*)\}")
_ENV = re.compile(r"\\begin\{(bmatrix|pmatrix|matrix|Bmatrix|smallmatrix|array|vmatrix|Vmatrix)\*?\}"
                  r"(?:\{[^{}]*\})?(.*?)\\end\{\1\*?\}", re.S)
_DIST = re.compile(r"^\s*(?:\\mathcal\s*\{\s*N\s*\}|\\mathcal\s+N|\\mathscr\s*\{\s*N\s*\}|𝒩|N|"
                   r"\\operatorname\s*\{\s*N\s*\}|\\mathrm\s*\{\s*N\s*\})\s*(?:\\left\s*)?\((.*)\)\s*$", re.S)
DIST_PARAMETERS = ("mean", "variance", "std")
# $$...$$, $...$, \(...\), \[...\]
_DELIMITED = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)


@dataclass
class Reading:
    """What a student's text says: a number or a (nested) list of numbers, and notes for them."""

    value: Any
    notes: list[str] = field(default_factory=list)
    plain: str | None = None  # the number as written, when it is a plain decimal (significant figures)


def read_value(text: str, *, parameter: str | None = None, what: str = "a number") -> Reading:
    """Read a number or a list/matrix of numbers from ``text``. Raises ExprError saying why not."""
    if len(text) > MAX_TEXT:
        raise ExprError(f"the text is {len(text)} characters long; at most {MAX_TEXT} are read")
    notes: list[str] = []
    body = answer_text(text, notes)
    body = distribution(body, parameter, notes, what)
    value, plain = _value(body, 0)
    return Reading(value, notes, plain)


def answer_text(text: str, notes: list[str]) -> str:
    """The part of ``text`` that is the answer: math delimiters, prose, labels and chains removed."""
    body = math_segment(text.strip())
    if "\\text" in body or "\\mbox" in body:  # where _PROSE can match
        body = _PROSE.sub(lambda m: "" if re.search(r"[A-Za-z]{2}|\s", m.group(1).strip() + " ") and
                          not _is_function_word(m.group(1)) else m.group(0), body)
    if "\\begin" in body:  # where _ENV can match
        body = _environments(body)
    sides = [s.strip() for s in split_top(body, _CHAIN)]
    if len(sides) > MAX_SIDES:
        raise ExprError(f"a chain of {len(sides)} sides; at most {MAX_SIDES} are read: write the answer")
    if len(sides) == 1:
        return _trim(sides[0])
    graded = _trim(sides[-1])
    if not graded:
        raise ExprError("nothing after the last '='")
    # the sides that read as values must agree with the graded one
    try:
        last, _ = _value(_strip_distribution(graded), 0)
    except ExprError:
        return graded
    for side in sides[1:-1]:
        try:
            other, _ = _value(_strip_distribution(_trim(side)), 0)
        except ExprError:
            continue
        if not _same(other, last):
            notes.append(f"the sides of your chain disagree ({_show(side)} is not {_show(graded)}); "
                         "the last one is graded")
            break
    return graded


def _is_function_word(word: str) -> bool:
    return word.strip() in ("tr", "Tr", "diag", "N")


def math_segment(text: str) -> str:
    """``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``: the math, without the prose around it."""
    segments = _DELIMITED.findall(text)
    if not segments:
        return text
    pieces = ["".join(s) for s in segments]
    outside = _DELIMITED.sub(" ", text)
    if not outside.strip(" \t\n.,;:"):
        return " ".join(pieces) if len(pieces) == 1 else pieces[-1]
    return pieces[-1]  # prose around the math: the last formula is the answer


def _trim(side: str) -> str:
    side = side.strip()
    while side and side[-1] in ".,;:" and not _DECIMAL_END.search(side):
        side = side[:-1].rstrip()
    if side.startswith("\\"):
        side = _LEAD_WORD.sub("", side)
    return side.strip()


_DECIMAL_END = re.compile(r"\d\.$")
_LEAD_WORD = re.compile(r"^\\(?:therefore|because|quad|qquad)\s*")


def _environments(text: str) -> str:
    """``\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}`` -> ``[[1, 2], [3, 4]]`` (innermost first)."""
    for _ in range(MAX_NESTING):
        m = _ENV.search(text)
        if not m:
            return text
        if m.group(1) in ("vmatrix", "Vmatrix"):
            raise ExprError(f"'\\begin{{{m.group(1)}}}' is a determinant or a norm; write the matrix "
                            "with bmatrix or pmatrix, or its value")
        rows = [r for r in re.split(r"\\\\(?:\[[^\]]*\])?", m.group(2)) if r.strip() and
                not re.fullmatch(r"\s*\\hline\s*", r)]
        cells = [[c.strip() for c in row.replace("\\hline", "").split("&")] for row in rows]
        cells = [[c for c in row if c not in ("\\vdots", "\\cdots", "\\ddots")] for row in cells]
        if any("" in row for row in cells):
            raise ExprError(f"an empty entry in the {m.group(1)} (row {1 + [('' in r) for r in cells].index(True)})")
        if len(cells) == 1:
            inner = "[" + ", ".join(cells[0]) + "]"
        else:
            inner = "[" + ", ".join("[" + ", ".join(row) + "]" for row in cells) + "]"
        start, end = m.start(), m.end()
        around = re.search(r"(?:\\left\s*)?[\[(]\s*$", text[:start])
        after = re.match(r"\s*(?:\\right\s*)?[\])]", text[end:])
        if around and after:  # \left[ \begin{matrix} ... \end{matrix} \right]: the brackets are the matrix's
            start, end = around.start(), end + after.end()
        text = text[:start] + inner + text[end:]
    raise ExprError("matrices nested too deeply")


def split_top(text: str, pattern: re.Pattern) -> list[str]:
    """Split at matches of ``pattern`` outside brackets and braces (``\\{`` and ``\\}`` are not braces)."""
    if pattern.search(text) is None:  # most texts: nowhere to split
        return [text]
    # Every place the pattern matches, in order (as a lookahead). A place at a bracket, or at an
    # escaped brace, is read as that (never as a separator); elsewhere the depth is the brackets
    # counted since the last place by str.count (C), not bracket by bracket. After a split,
    # counting starts again past the separator (brackets inside it do not count).
    out, start, depth, counted = [], 0, 0, 0
    for ahead in _lookahead(pattern).finditer(text):
        at = ahead.start()
        if at < start or text.startswith(_AT_BRACKET, at):  # inside the last separator; a bracket
            continue
        depth += _net_brackets(text[counted:at])
        counted = at
        if depth == 0:
            m = pattern.match(text, at)
            if m and m.end() > at:
                out.append(text[start:at])
                start = counted = m.end()
    out.append(text[start:])
    return out


_AT_BRACKET = ("(", ")", "[", "]", "{", "}", "\\{", "\\}")


def _net_brackets(seg: str) -> int:
    """Openers minus closers in ``seg`` (a piece cut where no escaped brace is cut in two)."""
    return (seg.count("(") + seg.count("[") + seg.count("{") - seg.count("\\{")
            - seg.count(")") - seg.count("]") - seg.count("}") + seg.count("\\}"))


_LOOKAHEADS: dict[re.Pattern, re.Pattern] = {}


def _lookahead(pattern: re.Pattern) -> re.Pattern:
    """The pattern as a lookahead, matching at every place the pattern matches (made once)."""
    found = _LOOKAHEADS.get(pattern)
    if found is None:
        if len(_LOOKAHEADS) >= 64:
            _LOOKAHEADS.clear()
        found = _LOOKAHEADS[pattern] = re.compile(f"(?=(?:{pattern.pattern}))", pattern.flags)
    return found


def _strip_distribution(text: str) -> str:
    sides = split_top(text, _SIM)
    return sides[-1] if len(sides) > 1 else text


def distribution(text: str, parameter: str | None, notes: list[str], what: str) -> str:
    """``x \\sim \\mathcal{N}(0, 3)`` -> the parameter the part asks for (``3`` for the variance)."""
    sides = split_top(text, _SIM)
    rhs = sides[-1].strip() if len(sides) > 1 else text.strip()
    m = _DIST.match(rhs)
    if not m:
        if len(sides) > 1:
            raise ExprError(f"'~' must be followed by a normal distribution such as \\mathcal{{N}}(0, 1); "
                            f"got {_show(rhs)}")
        return text
    args = [a.strip() for a in split_top(re.sub(r"\\right\s*$", "", m.group(1).strip()), re.compile(","))]
    if len(args) != 2 or not all(args):
        raise ExprError(f"a normal distribution has two parameters, N(mean, variance); got {_show(rhs)}")
    if parameter is None:
        raise ExprError(f"you wrote a distribution, {_show(rhs)}; this part asks for {what}")
    mean, spread = (re.sub(r"^\\(?:mu|sigma\s*\^\s*\{?2\}?)\s*=\s*", "", a) for a in args)
    if parameter == "mean":
        return mean
    if parameter == "variance":
        return spread
    return f"\\sqrt{{{spread}}}"  # std


# -- values ---------------------------------------------------------------------------------
def _value(text: str, depth: int) -> tuple[Any, str | None]:
    """A scalar or a list, possibly with a scalar factor: ``\\frac13 [1, 1, 1]``, ``[1, 1]^T / 2``."""
    if depth > MAX_NESTING:
        raise ExprError(f"lists nested more than {MAX_NESTING} levels deep")
    text = text.strip()
    if not text:
        raise ExprError("the answer is empty")
    span = _outer_list(text)
    if span is None:
        if depth == 0 and _ROW_BREAK.search(text) and not _SQUARE_BRACKET.search(text):
            return _rows(text, depth), None
        if depth == 0 and len(split_top(text, _COMMA)) > 1:
            return _items(text, depth), None  # 10, 24, 32, 32
        return _scalar(text)
    start, end = span
    inner = _list(text[start + 1:end - 1], depth)
    before, after = text[:start].strip(), text[end:].strip()
    factor = 1.0
    after = re.sub(r"^\^\s*(?:\{\s*)?(?:T|\\top|\\intercal|\\mathsf\{T\}|\\rm\s*T)(?:\s*\})?|^'|^ᵀ|^\.T\b", "", after).strip()
    before = re.sub(r"\\left\s*$", "", before).strip()
    if before:
        before = re.sub(r"(?:\*|\\cdot|\\times|×|·)\s*$", "", before).strip()
        factor *= _scalar(_unwrap(before))[0]
    if after:
        m = re.match(r"^(/|\*|\\cdot|\\times|×|·|÷)\s*(.+)$", after, re.S)
        if not m:
            raise ExprError(f"unexpected {_show(after)} after the list")
        scale = _scalar(_unwrap(m.group(2)))[0]
        if m.group(1) in ("/", "÷"):
            if scale == 0:
                raise ExprError("division by zero")
            factor /= scale
        else:
            factor *= scale
    if factor != 1.0:
        inner = _scale(inner, factor)
    return inner, None


_ROW_BREAK = re.compile(r"[;\n]")
_SQUARE_BRACKET = re.compile(r"[\[\]]")
_COMMA = re.compile(",")
_SEMICOLON = re.compile(";")


def _unwrap(text: str) -> str:
    text = text.strip()
    if text.startswith("\\left"):
        text = text[5:]
    return text


def _outer_list(text: str) -> tuple[int, int] | None:
    """The top-level ``[...]`` of ``text`` (start, end), or None when there is none."""
    depth, start, found = 0, None, None
    i = 0
    while i < len(text):
        c = text[i]
        if c == "[":
            if depth == 0:
                if found is not None:
                    raise ExprError("two lists side by side; write one list (or a list of rows)")
                start = i
                if text[max(0, i - 5):i] == "\\sqrt":
                    start = None
            depth += 1
        elif c == "]":
            depth -= 1
            if depth < 0:
                raise ExprError(f"unbalanced ']' at position {i + 1}")
            if depth == 0 and start is not None:
                end = i + 1
                found = (start, end)
                start = None
        i += 1
    if depth != 0:
        raise ExprError("a '[' is not closed")
    return found


def _list(body: str, depth: int) -> list:
    body = re.sub(r"\\right\s*$", "", body.strip())
    if not body:
        return []
    rows = [r for r in split_top(body, _SEMICOLON) if r.strip()]
    if len(rows) > 1:
        return [_items(r, depth + 1) for r in rows]
    return _items(body, depth)


def _items(body: str, depth: int) -> list:
    pieces = [p.strip() for p in split_top(body, _COMMA)]
    if len(pieces) == 1:
        words = body.split()
        plain = [re.sub(r"^\\ ", "", w) for w in re.split(r"(?:\s|\\ |\\,|\\quad|\\;)+", body.strip()) if w]
        if len(words) > 1 and all(_PLAIN.fullmatch(w) for w in plain):
            pieces = plain  # [1 0.1 0.01]
    if "" in pieces:
        raise ExprError(f"an empty item in the list [{_show(body)}]")
    if len(pieces) > MAX_ITEMS:
        raise ExprError(f"the list has more than {MAX_ITEMS} items")
    return [_value(p, depth + 1)[0] for p in pieces]


def _rows(text: str, depth: int) -> list:
    rows = [r for r in re.split(r"[;\n]", text) if r.strip()]
    table = [_items(r.replace(",", " , ") if "," in r else r, depth + 1) for r in rows]
    return table[0] if len(table) == 1 else table


_SCIENTIFIC = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))\s*(?:\\times|×|\\cdot|\*|·)\s*10\s*(?:\^|\*\*)"
                         r"\s*\{?\s*([+-]?\d{1,3})\s*\}?")
_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _scalar(text: str) -> tuple[float, str | None]:
    """One number: a plain decimal (kept as written), or a constant formula."""
    text = text.strip()
    if _PLAIN.fullmatch(text):
        return _finite(float(text), text), text
    m = _SCIENTIFIC.fullmatch(text)
    if m:  # 1.12 \times 10^{6}: its figures are the mantissa's
        plain = f"{m.group(1)}e{m.group(2)}"
        return _finite(float(plain), text), plain
    from grader.expr.numeric import constant_value
    from grader.expr.parser import parse
    from grader.expr.symbols import SymbolTable

    try:
        node = parse(text, SymbolTable())
    except ExprError as e:
        raise ExprError(_number_message(e.message)) from None
    value = constant_value(node)
    if value is None:
        raise ExprError(f"{_show(text)} has no value (a division by zero, or the root of a negative)")
    if not math.isfinite(value):
        raise ExprError(f"{_show(text)} is not finite")
    return value, None


def _finite(value: float, text: str) -> float:
    if not math.isfinite(value) or (value != 0 and not 1e-300 < abs(value) < 1e300):
        raise ExprError(f"the number {_show(text)} is out of range")
    return value


def _number_message(message: str) -> str:
    return re.sub(r"; this part's variables are none$",
                  lambda _: ": a number is expected here (digits, fractions, \\frac{a}{b}, \\sqrt{x}, pi, e, 10^{k})",
                  message)


def _scale(value: Any, factor: float) -> Any:
    if isinstance(value, list):
        return [_scale(v, factor) for v in value]
    return value * factor


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(
            _same(x, y) for x, y in zip(a, b))
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _show(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


# -- sizes ----------------------------------------------------------------------------------
_TIMES = re.compile(r"\\times|×|\\cdot|·|\*|(?<=\d)\s*[xX]\s*(?=\d)|,|\s+")


def read_size(text: str) -> tuple[list[str], list[str]]:
    """The dimensions of a shape or size as written: ``14 \\times 14``, ``15x15``, ``[32, 128, 26, 26]``.

    Returns the dimension texts (each read as a number by the caller) and notes. ``15 × 15``
    is two dimensions, never the product 225."""
    notes: list[str] = []
    body = answer_text(text, notes)
    body = body.strip()
    body = re.sub(r"^\\left\s*", "", body)
    body = re.sub(r"\\right\s*(?=[\])])", "", body)
    if body[:1] in "([" and body[-1:] in ")]":
        body = body[1:-1]
    dims = [d for d in split_top(body, _TIMES) if d.strip()]
    return [d.strip() for d in dims], notes


# -- formulas -------------------------------------------------------------------------------
# the steps of a derivation: the answer is what follows the last one
_STEP_COMMANDS = "therefore|Rightarrow|rightarrow|implies|Longrightarrow|longrightarrow"
_STEP = re.compile(rf"\\(?:{_STEP_COMMANDS})(?![A-Za-z])|⇒|⟹|∴")
_CHAIN_COMMANDS = "leftarrow|gets|coloneqq|Leftarrow|longleftarrow"
_FORMULA_CHAIN = re.compile(rf"\\(?:{_CHAIN_COMMANDS})(?![A-Za-z])|:=|=|←")
_ALIGN = re.compile(r"\\(?:begin|end)\{(?:aligned|align\*?|split|gathered|gather\*?|equation\*?|eqnarray\*?)\}")
# where formula_sides may have something to cut or drop (delimiters, prose, steps, an aligned
# block, a chain): a text with none of it, as most are, is one side, trimmed. One search, with
# the backslash commands under one prefix, costs less than the five checks it stands for.
_STRUCTURE = re.compile(rf"[$&=⇒⟹∴←]|\\(?:[(\[]|text|mbox|begin|end|{_STEP_COMMANDS}|{_CHAIN_COMMANDS})")


def formula_sides(text: str) -> list[str]:
    """The sides of a written formula: ``w_1 = w_0 - ... = ...`` and an ``aligned`` block
    (``&=`` and ``\\\\`` between the lines) give their sides in order; prose in ``\\text{...}`` goes."""
    if _STRUCTURE.search(text) is None:
        check_length(text)
        return [_trim(text) or text]
    body = math_segment(text.strip()) if "$" in text or "\\(" in text or "\\[" in text else text
    if "\\text" in body or "\\mbox" in body:  # where _PROSE can match
        body = _PROSE.sub(lambda m: " " if re.search(r"[A-Za-z]{2}|[\s.,;:]", m.group(1)) and
                          not _is_function_word(m.group(1)) else m.group(0), body)
    steps = [st for st in split_top(body, _STEP) if st.strip()]
    if len(steps) > 1:  # a derivation: "... \\therefore y = ...", "... \\rightarrow \\tilde\\lambda = ..."
        body = steps[-1]
    if _ALIGN.search(body) or ("&" in body and "\\begin" not in body):
        body = _ALIGN.sub(" ", body).replace("&", " ")
        body = re.sub(r"\\\\(?:\[[^\]]*\])?", " ", body)
    check_length(body)
    sides = [_trim(s) for s in split_top(body, _FORMULA_CHAIN)]
    if len(sides) > MAX_SIDES:
        raise ExprError(f"a chain of {len(sides)} sides; at most {MAX_SIDES} are read: write the answer")
    if len(sides) > 1 and not sides[-1]:
        raise ExprError("nothing after the last '='")
    return [s for s in sides if s] or [text]


# -- prose ----------------------------------------------------------------------------------
_SPACING = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|displaystyle|textstyle|"
                      r"quad|qquad)(?![A-Za-z])|\\[,;:! ]|~")
_WRAPPER = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mathit|mathsf|mathcal|boldsymbol|bm|"
                      r"operatorname|mbox|underline|overline|boxed|fbox)\s*\{([^{}]*)\}")


def plain_text(text: str) -> str:
    """Text and label answers as written in a sheet, with the LaTeX markup gone and nothing else
    changed: ``$C$ and $D$`` -> ``C and D``, ``$\\mathcal{O}(t)$`` -> ``O(t)``."""
    if ("\\" not in text and "$" not in text) or len(text) > MAX_TEXT:
        return text
    body = _DELIMITED.sub(lambda m: "".join(g for g in m.groups() if g is not None), text)
    body = _SPACING.sub(" ", body)
    for _ in range(MAX_NESTING):  # \\text{\\textbf{B}}: innermost first
        new = _WRAPPER.sub(r"\1", body)
        if new == body:
            break
        body = new
    return " ".join(body.split())


# -- tables ---------------------------------------------------------------------------------
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")  # | --- | :-: |
MAX_TABLE_CELLS = 100_000


def is_table(text: str) -> bool:
    """A table as students type one: two or more lines whose cells are separated by tabs or by
    `|` (a Markdown table); a matrix written `1 2; 3 4` or as a list is not one."""
    lines = [line for line in text.strip("\n").split("\n") if line.strip()]
    if len(lines) < 2 or "[" in text:
        return False
    return all("\t" in line for line in lines) or all("|" in line for line in lines)


def read_table(text: str, *, blank: float | None = None) -> Reading:
    """The numbers of a typed table: rows may start with a label (the word a row encodes) and the
    first row may be a header of column labels; labels are set aside, with a note. A blank cell
    is `blank` where the part says what a blank means (0 in a one-hot table), else an error naming
    the row and column; rows shorter than the widest are blank at their end."""
    if len(text) > MAX_TEXT:
        raise ExprError(f"the text is {len(text)} characters long; at most {MAX_TEXT} are read")
    piped = "\t" not in text
    rows: list[list[str]] = []
    for line in text.strip("\n").split("\n"):
        if not line.strip() or (piped and _TABLE_RULE.match(line)):
            continue
        if piped:
            line = line.strip()
            line = line[1:] if line.startswith("|") else line
            line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
        rows.append([cell.strip() for cell in line.split("|" if piped else "\t")])
    if sum(len(r) for r in rows) > MAX_TABLE_CELLS:
        raise ExprError(f"the table has more than {MAX_TABLE_CELLS} cells")

    def number(cell: str) -> bool:
        try:
            _scalar(cell)
            return True
        except ExprError:
            return False

    notes: list[str] = []
    if rows and all(not number(c) for c in rows[0]):  # a header: column labels
        notes.append("the first row was read as column labels")
        rows = rows[1:]
    labels = [""] * len(rows)
    if rows and all(r and r[0] and not number(r[0]) for r in rows):
        labels = [r[0] for r in rows]
        notes.append("row labels (" + ", ".join(_show(x, 12) for x in labels[:6])
                     + (", ..." if len(labels) > 6 else "") + ") were set aside")
        rows = [r[1:] for r in rows]
    width = max((len(r) for r in rows), default=0)
    while width and all(len(r) < width or not r[width - 1] for r in rows):
        width -= 1  # a trailing column blank in every row: the table's edge, not a column
    if not rows or not width:
        raise ExprError("the table has no numbers")
    table: list[list[float]] = []
    blanks = 0
    for i, row in enumerate(rows):
        where = f"row {i + 1}" + (f" ({_show(labels[i], 12)})" if labels[i] else "")
        values = []
        for j in range(width):
            cell = row[j] if j < len(row) else ""
            if not cell:
                if blank is None:
                    raise ExprError(f"{where}, column {j + 1} is blank: write a number in every cell "
                                    f"(0 where there is nothing)")
                blanks += 1
                values.append(float(blank))
                continue
            try:
                values.append(_scalar(cell)[0])
            except ExprError as e:
                raise ExprError(f"{where}, column {j + 1}: {e.message}") from None
        table.append(values)
    if blanks:
        notes.append(f"{blanks} blank cell(s) read as {blank:g}")
    return Reading(table, notes)
