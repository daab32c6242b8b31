"""A matrix written by its rows: ``\\begin{bmatrix} \\sqrt{p_1} x_1^T \\\\ \\vdots \\\\ \\sqrt{p_n} x_n^T \\end{bmatrix}``.

A matrix part may declare that ``x_i`` is row i of X (``X: {rows: x}``) and that ``p_i`` is
diagonal entry i of P (``P: {entries: p}``). A stack whose rows follow one pattern in i,
numbered 1, 2, ..., n (``\\vdots`` between), each a scalar formula of the p_i times x_i^T, is
the matrix ``c(P) X``: the rewrite below turns it into that formula (text the formula parser
reads), so it is judged like any other. ``c(P)`` is ``c`` applied to the diagonal matrix P,
which is what ``c(p_i)`` on each row means (``\\sqrt{p_i}`` becomes ``\\sqrt{P}``).
"""

from __future__ import annotations

import re

from grader.expr.errors import ExprError

_ENV = re.compile(r"\\begin\{(bmatrix|pmatrix|matrix|Bmatrix)\}(.*?)\\end\{\1\}", re.S)
_DOTS = re.compile(r"\s*(?:\\vdots|\\cdots|\\ddots|\.\.\.|⋮)\s*")
_TRANSPOSE = r"(?:\^\s*\{?\s*(?:T|\\top|\\intercal|\\mathsf\{T\}|\\rm\s*T)\s*\}?|'|ᵀ)"


def stacked_rows(text: str, table) -> str | None:
    """``text`` with its stack of rows replaced by ``(c(P)) X``; None when it has no matrix."""
    m = _ENV.search(text)
    if not m:
        return None
    stacked = [v for v in table.vars.values() if v.rows]
    if not stacked:
        raise ExprError("a matrix written entry by entry (\\begin{...}) is not read in this part: write it "
                        f"as a formula of the part's variables ({table.names_text()})")
    rows = [r.strip() for r in re.split(r"\\\\", m.group(2)) if r.strip()]
    if any("&" in r for r in rows):
        raise ExprError("a matrix of formulas is read only as a stack of rows, one formula per row "
                        f"(such as {stacked[0].rows}_i^T); this one has columns ('&')")
    body = [r for r in rows if not _DOTS.fullmatch(r)]
    if len(body) < 2:
        raise ExprError("a stack of rows needs its first rows and its last one, e.g. "
                        f"{stacked[0].rows}_1^T, {stacked[0].rows}_2^T, \\vdots, {stacked[0].rows}_n^T")
    entries = [v for v in table.vars.values() if v.entries]
    for var in stacked:
        pattern = _indexed(var.rows)
        found = [{a or b for a, b in pattern.findall(r)} for r in body]
        if all(len(f) == 1 for f in found):
            break
    else:
        names = ", ".join(f"{v.rows}_i (row i of {v.name})" for v in stacked)
        raise ExprError(f"each row of the matrix must use one row {names}, with its number")
    count = var.shape[0]
    seq = [next(iter(f)) for f in found]
    if seq[-1] != count or seq[:-1] != [str(k) for k in range(1, len(seq))]:
        raise ExprError(f"the rows must be numbered 1, 2, ..., {count} (the last one is row {count} of "
                        f"{var.name}); got {', '.join(seq)}")
    templates = {_generic(r, k, [var.rows] + [e.entries for e in entries]) for r, k in zip(body, seq)}
    if len(templates) != 1:
        raise ExprError("the rows do not follow one pattern in their number i; write each row as the same "
                        f"formula of i, e.g. \\sqrt{{p_i}} {var.rows}_i^T")
    template = templates.pop()
    mt = re.fullmatch(rf"(.*?)\s*(?:\\cdot|\*)?\s*{re.escape(var.rows)}_@\s*{_TRANSPOSE}", template, re.S)
    if not mt:
        raise ExprError(f"each row must be a number times {var.rows}_i^T (row i of {var.name}), e.g. "
                        f"\\sqrt{{p_i}} {var.rows}_i^T")
    coef = mt.group(1).strip()
    for e in entries:
        coef = coef.replace(f"{e.entries}_@", f" {e.name} ")
    if "@" in coef:
        raise ExprError(f"the rows use a numbered name that is not a row of {var.name} or a declared entry")
    return f"{text[:m.start()]} ({coef or '1'}) {var.name} {text[m.end():]}"


def _indexed(name: str) -> re.Pattern:
    """``x_2``, ``x_{2}``, ``x_n``: the number (the braces only in pairs: ``\\sqrt{p_1}`` keeps its own)."""
    return re.compile(rf"(?<![A-Za-z\\]){re.escape(name)}_(?:\{{\s*([A-Za-z0-9]+)\s*\}}|([A-Za-z0-9]))")


def _generic(row: str, index: str, names: list[str]) -> str:
    """The row with its own number replaced by '@' (x_2^T -> x_@^T), spacing normalized."""
    out = row
    for name in names:
        out = re.sub(rf"(?<![A-Za-z\\]){re.escape(name)}_(?:\{{\s*{re.escape(index)}\s*\}}|{re.escape(index)}(?![A-Za-z0-9]))",
                     f"{name}_@", out)
    return " ".join(out.split())
