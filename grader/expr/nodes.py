"""The small AST every formula is parsed into, and its canonical plain-syntax printer.

Nodes are frozen dataclasses (hashable, so derived results can be cached per formula).
``span`` is the source range, ignored by equality, used to name sub-expressions in messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

_SPAN = dict(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True)
class Num:
    text: str  # as written: "2", "0.5", "1e-3" (exact values come from this text)
    span: tuple = field(**_SPAN)


@dataclass(frozen=True)
class Sym:
    name: str  # a declared variable or dimension, by its canonical name
    span: tuple = field(**_SPAN)


@dataclass(frozen=True)
class Const:
    name: str  # pi | e
    span: tuple = field(**_SPAN)


@dataclass(frozen=True)
class Ident:
    size: str | None = None  # identity matrix; its size is inferred when None
    span: tuple = field(**_SPAN)


@dataclass(frozen=True)
class Neg:
    arg: "Node"
    span: tuple = field(**_SPAN)


@dataclass(frozen=True)
class Bin:
    op: str  # + - * / @ ⊙   (implicit products are *)
    left: "Node"
    right: "Node"
    span: tuple = field(**_SPAN)


@dataclass(frozen=True)
class Pow:
    base: "Node"
    exp: "Node"
    span: tuple = field(**_SPAN)


@dataclass(frozen=True)
class Call:
    fn: str  # a whitelisted function name
    args: tuple
    span: tuple = field(**_SPAN)


@dataclass(frozen=True)
class Transpose:
    arg: "Node"
    span: tuple = field(**_SPAN)


Node = Union[Num, Sym, Const, Ident, Neg, Bin, Pow, Call, Transpose]

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "⊙": 2}


def precedence(node: Node) -> int:
    if isinstance(node, Bin):
        return _PREC[node.op]
    if isinstance(node, Neg):
        return 3
    if isinstance(node, Pow):
        return 4
    if isinstance(node, Num) and node.text.startswith("-"):
        return 3
    return 5


def to_text(node: Node) -> str:
    """Canonical plain syntax; the parser reads it back to an equal AST."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, (Sym, Const)):
        return node.name
    if isinstance(node, Ident):
        return "I" if node.size is None else f"I_{node.size}"
    if isinstance(node, Neg):
        return "-" + _wrap(node.arg, precedence(node.arg) < 3)
    if isinstance(node, Bin):
        p = _PREC[node.op]
        left = _wrap(node.left, precedence(node.left) < p)
        right = _wrap(node.right, precedence(node.right) <= p)
        if node.op in "+-":
            return f"{left} {node.op} {right}"
        return f"{left}{node.op}{right}" if node.op in "*/" else f"{left} {node.op} {right}"
    if isinstance(node, Pow):
        return _wrap(node.base, precedence(node.base) <= 4) + "^" + _wrap(node.exp, precedence(node.exp) < 5)
    if isinstance(node, Call):
        return f"{node.fn}(" + ", ".join(to_text(a) for a in node.args) + ")"
    if isinstance(node, Transpose):
        return _wrap(node.arg, precedence(node.arg) < 5) + ".T"
    raise TypeError(node)


def _wrap(node: Node, parens: bool) -> str:
    text = to_text(node)
    return f"({text})" if parens else text


def walk(node: Node):
    """Every node of the tree, parents first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (Neg, Transpose)):
            stack.append(n.arg)
        elif isinstance(n, Bin):
            stack += [n.right, n.left]
        elif isinstance(n, Pow):
            stack += [n.exp, n.base]
        elif isinstance(n, Call):
            stack += list(reversed(n.args))


def size(node: Node) -> int:
    return sum(1 for _ in walk(node))


def symbols(node: Node) -> set[str]:
    return {n.name for n in walk(node) if isinstance(n, Sym)}
