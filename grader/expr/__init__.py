"""Formula answers: a whitelisting parser of our own (tokens -> latex -> parser -> AST) and
the judges built on it (equivalence.py for scalars, matrix.py for matrix formulas).

Nothing here imports sympy or numpy at import time; only the modules that need them do.
Public entry points: :func:`scalar_table`, :func:`matrix_space`, :func:`read`, :class:`Formula`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from grader.expr.errors import ExprError, ShapeError
from grader.expr.nodes import Node, to_text
from grader.expr.parser import parse, parse_tokens, token_key, tokenize
from grader.expr.symbols import SymbolTable
from grader.identity_cache import IdentityCache


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the AST and its canonical plain text (what to_data hands on)."""

    node: Any
    text: str
    notes: tuple = ()  # what the reader noticed (a chain whose sides disagree), shown with the verdict

    def __str__(self) -> str:
        return self.text


def read(text: str, table: SymbolTable) -> Formula:
    """Parse once per process for each (text, table): the spec check, the reference graded
    before forking and every student who writes the same text share one parse (or one error:
    a chain's leading name, ``w_1 = ...``, is read for every chain that starts with it)."""
    formula = _READ.get(table, text)
    if formula is None:
        try:
            formula = _parsed(text, table)
        except ExprError as e:
            _READ.put(table, type(e)(e.message, e.pos), text)  # without its traceback
            raise
        _READ.put(table, formula, text)
    elif isinstance(formula, ExprError):
        raise type(formula)(formula.message, formula.pos)
    return formula


def _parsed(text: str, table: SymbolTable) -> Formula:
    # Students write one formula many ways that scan to the same tokens: spaces, `$`, spacing
    # commands (\, \;), \left( \right), \dfrac for \frac, \mathbf{w} for w. A text whose
    # tokens are those of one already read is the same formula. (An error is kept for its own
    # text only: its position refers to the text as written.)
    tokens = tokenize(text)
    key = token_key(tokens)
    formula = _READ.get(table, key)
    if formula is None:
        node = parse_tokens(tokens, table)
        formula = _READ.put(table, Formula(node, to_text(node)), key)
    return formula


_READ = IdentityCache()


_CACHE: dict[str, Any] = {}


def _key(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, default=repr)


def scalar_table(variables: Any) -> SymbolTable:
    """The (cached) symbol table of an `expression` part."""
    table = _BY_OBJECT.get(variables, "scalar")  # the spec's own mapping: no need to serialize it
    if table is not None:
        return table
    key = _key("scalar", variables)
    if key not in _CACHE:
        _CACHE[key] = SymbolTable.build(variables)
    return _BY_OBJECT.put(variables, _CACHE[key], "scalar")


# Specs' option mappings are read-only once loaded: a table or space is found by the mapping's
# identity first, by its serialized value (equal mappings share one) only the first time.
_BY_OBJECT = IdentityCache(1000)


def matrix_space(variables: Any, dims: Any):
    """The (cached) MatrixSpace of a `matrix_expression` part: table, shorthands, shapes."""
    space = _BY_OBJECT.get(variables, "matrix", id(dims))
    if space is not None:
        return space
    space = _matrix_space(variables, dims)
    return _BY_OBJECT.put(variables, space, "matrix", id(dims), hold=(dims,))


def _matrix_space(variables: Any, dims: Any):
    key = _key("matrix", variables, dims)
    if key not in _CACHE:
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
        _CACHE[key] = space
    return _CACHE[key]


__all__ = ["ExprError", "ShapeError", "Formula", "Node", "SymbolTable", "read", "scalar_table",
           "matrix_space", "to_text", "parse"]
