"""Formula answers: a whitelisting parser of our own (tokens -> latex -> parser -> AST) and
the judges built on it (equivalence.py for scalars, matrix.py for matrix formulas).

Nothing here imports sympy or numpy at import time; only the modules that need them do.
Public entry points: :func:`scalar_table`, :func:`matrix_space`, :func:`read`, :class:`Formula`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.expr.errors import ExprError, ShapeError
from grader.expr.nodes import Node, to_text
from grader.expr.parser import parse, parse_tokens, token_key, tokenize
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
    graded before forking and every student who writes the same text share one parse (or one
    error: a chain's leading name, ``w_1 = ...``, is read for every chain that starts with it)."""
    done = memo_of(table).read
    formula = done.get(text)
    if formula is None:
        try:
            formula = _parsed(text, table, done)
        except ExprError as e:
            _remember(done, text, type(e)(e.message, e.pos))  # without its traceback
            raise
        _remember(done, text, formula)
    elif isinstance(formula, ExprError):
        raise type(formula)(formula.message, formula.pos)
    return formula


def _parsed(text: str, table: SymbolTable, done: dict) -> Formula:
    # Students write one formula many ways that scan to the same tokens: spaces, `$`, spacing
    # commands (\, \;), \left( \right), \dfrac for \frac, \mathbf{w} for w. A text whose
    # tokens are those of one already read is the same formula (keys: texts are str, token
    # keys tuples). An error is kept for its own text only: its position refers to the text
    # as written.
    tokens = tokenize(text)
    key = token_key(tokens)
    formula = done.get(key)
    if formula is None:
        node = parse_tokens(tokens, table)
        formula = Formula(node, to_text(node))
        _remember(done, key, formula)
    return formula


def _remember(done: dict, key: Any, value: Any) -> None:
    if len(done) >= MAX_READ:
        done.clear()
    done[key] = value


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
