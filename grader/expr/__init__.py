"""Formula answers: a whitelisting parser of our own (tokens -> latex -> parser -> AST) and
the judges built on it (equivalence.py for scalars, matrix.py for matrix formulas).

Nothing here imports sympy or numpy at import time; only the modules that need them do.
Public entry points: :func:`scalar_table`, :func:`matrix_space`, :func:`read`, :class:`Formula`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from grader.expr.errors import ExprError, ShapeError
from grader.expr.nodes import Node, to_text
from grader.expr.parser import parse
from grader.expr.symbols import SymbolTable
from grader.expr.memo import MAX_READ, ExprCache, memo_of


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the AST and its canonical plain text (what to_data hands on)."""

    node: Any
    text: str
    notes: tuple = ()  # what the reader noticed (a chain whose sides disagree), shown with the verdict

    def __str__(self) -> str:
        return self.text


def read(text: str, table: SymbolTable) -> Formula:
    """Parse once for each (text, table) (the table's memo): the spec check, the reference
    graded before forking and every student who writes the same text share one parse."""
    done = memo_of(table).read
    formula = done.get(text)
    if formula is None:
        # Students write one formula many ways that scan to the same tokens: runs of spaces, `$`,
        # spacing commands (\, \;), \left( \right), \dfrac for \frac. A text that differs from
        # one already read only there is the same formula. (Errors are never cached: their
        # positions always refer to the text as written.)
        spaced = _SPACES.sub(" ", _SPELLING.sub(_respell, text)).strip(" ")
        formula = done.get(spaced) if spaced != text else None
        if formula is None:
            node = parse(text, table)
            formula = Formula(node, to_text(node))
            _remember(done, spaced, formula)
        _remember(done, text, formula)
    return formula


def _remember(done: dict, text: str, formula: Formula) -> None:
    if len(done) >= MAX_READ:
        done.clear()
    done[text] = formula


_SPACES = re.compile(r"(?<!\\)[ \t\r\n]+")
# each one scans exactly as a space, or (\dfrac, \tfrac) as \frac; none after a backslash
_SPELLING = re.compile(r"(?<!\\)(?:\\(?:left|right)(?![A-Za-z])|\\[dt]frac(?![A-Za-z])|\\[,;:! ]|\$)")


def _respell(match: re.Match) -> str:
    return "\\frac" if match.group(0).endswith("frac") else " "


def scalar_table(variables: Any, cache: ExprCache | None = None) -> SymbolTable:
    """The symbol table of an `expression` part; one per declaration in `cache` (a grading
    session's), a new one without."""
    if cache is None:
        return SymbolTable.build(variables)
    return cache.get("scalar", variables, None, lambda: SymbolTable.build(variables))


def matrix_space(variables: Any, dims: Any, cache: ExprCache | None = None):
    """The MatrixSpace of a `matrix_expression` part (table, shorthands, shapes); one per
    declaration in `cache`, a new one without."""
    if cache is None:
        return _matrix_space(variables, dims)
    return cache.get("matrix", variables, dims, lambda: _matrix_space(variables, dims))


def _matrix_space(variables: Any, dims: Any):
    from grader.expr.matrix import MatrixSpace

    table = SymbolTable.build(variables, dims, matrix=True)
    defines = {}
    for var in table.vars.values():
        if var.define is not None:
            try:
                defines[var.name] = parse(var.define, table)
            except ExprError as e:
                table.problems.append(f"variable {var.name!r}: define {var.define!r}: {e.message}")
    space = MatrixSpace(table, defines)
    for name in defines:
        try:
            space.checker.sym(name)
        except ExprError as e:
            table.problems.append(f"variable {name!r}: define {table.vars[name].define!r}: {e.message}")
    return space


__all__ = ["ExprCache", "ExprError", "ShapeError", "Formula", "Node", "SymbolTable", "read", "scalar_table",
           "matrix_space", "to_text", "parse"]
