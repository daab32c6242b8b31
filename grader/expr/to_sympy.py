"""Build sympy objects from our AST ourselves: sympy never parses student text.

Imported only by the symbolic check, so specs without formula parts never load sympy.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp
import sympy.physics.units  # noqa: F401 - simplify imports it on first use; never under a timer

from grader.expr import nodes as N
from grader.expr.errors import ExprError
from grader.expr.symbols import SymbolTable

FUNCS = {
    "sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "log10": lambda x: sp.log(x, 10),
    "log2": lambda x: sp.log(x, 2), "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "arcsin": sp.asin, "arccos": sp.acos,
    "arctan": sp.atan, "abs": sp.Abs, "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "min": sp.Min, "max": sp.Max, "binom": sp.binomial,
}


def symbol_map(table: SymbolTable) -> dict[str, sp.Symbol]:
    """One sympy Symbol per variable, carrying its domain as assumptions."""
    out = {name: sp.Symbol(name, **var.domain.assumptions()) for name, var in table.vars.items()}
    for dim in table.dims:
        out.setdefault(dim, sp.Symbol(dim, integer=True, positive=True))
    return out


def to_sympy(node: N.Node, syms: dict[str, sp.Symbol]) -> sp.Expr:
    """The sympy expression of a trusted-parsed AST (numbers as exact rationals); ``syms`` maps names to Symbols."""
    if isinstance(node, N.Num):
        return sp.Rational(Fraction(node.text))
    if isinstance(node, N.Sym):
        return syms[node.name]
    if isinstance(node, N.Const):
        return sp.pi if node.name == "pi" else sp.E
    if isinstance(node, N.Neg):
        return -to_sympy(node.arg, syms)
    if isinstance(node, N.Bin):
        a, b = to_sympy(node.left, syms), to_sympy(node.right, syms)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "/":
            return a / b
        return a * b
    if isinstance(node, N.Pow):
        return sp.Pow(to_sympy(node.base, syms), to_sympy(node.exp, syms))
    if isinstance(node, N.Call) and node.fn in FUNCS:
        return FUNCS[node.fn](*[to_sympy(a, syms) for a in node.args])
    if isinstance(node, N.Transpose):
        return to_sympy(node.arg, syms)
    raise ExprError(f"{N.to_text(node)} is not a scalar formula")
