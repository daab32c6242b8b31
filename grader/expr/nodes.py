"""The small AST every formula is parsed into, and its canonical plain-syntax printer.

Nodes are immutable values (equal and hashable by their fields, so derived results can be
cached per formula). ``span`` is the source range, ignored by equality, used to name
sub-expressions in messages. Plain slotted classes rather than dataclasses: the grader
imports them at every start, and nine frozen dataclasses cost more to create than all the
rest of this module.
"""

from __future__ import annotations

from typing import Union


class _Node:
    __slots__ = ("span",)
    span: tuple[int, int]
    _fields: tuple[str, ...] = ()

    def _values(self) -> tuple:  # each class says its own, faster
        return tuple(getattr(self, f) for f in self._fields)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self):
        return hash((self.__class__.__name__, self._values()))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self._fields)})"

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    __delattr__ = __setattr__

    def __reduce__(self):
        return (_rebuild, (type(self), self._values(), self.span))


def _rebuild(cls, values, span):
    return cls(*values, span=span)


class Num(_Node):
    """A number literal, kept as its text so exact values can be derived later."""
    __slots__ = ("text",)
    text: str
    _fields = ("text",)  # as written: "2", "0.5", "1e-3" (exact values come from this text)

    def __init__(self, text: str, *, span: tuple = (0, 0)):
        _Num_text(self, text)
        _set_span(self, span)

    def _values(self) -> tuple:
        return (self.text,)


class Sym(_Node):
    """A declared variable or dimension, by its canonical name."""
    __slots__ = ("name",)
    name: str
    _fields = ("name",)  # a declared variable or dimension, by its canonical name

    def __init__(self, name: str, *, span: tuple = (0, 0)):
        _Sym_name(self, name)
        _set_span(self, span)

    def _values(self) -> tuple:
        return (self.name,)


class Const(_Node):
    """A named mathematical constant (``pi`` or ``e``)."""
    __slots__ = ("name",)
    name: str
    _fields = ("name",)  # pi | e

    def __init__(self, name: str, *, span: tuple = (0, 0)):
        _Const_name(self, name)
        _set_span(self, span)

    def _values(self) -> tuple:
        return (self.name,)


class Ident(_Node):
    """The identity matrix; ``size`` None means the formula's shapes decide it."""
    __slots__ = ("size",)
    size: str | None  # "3" or a dimension's name
    _fields = ("size",)  # identity matrix; its size is inferred when None

    def __init__(self, size: str | None = None, *, span: tuple = (0, 0)):
        _Ident_size(self, size)
        _set_span(self, span)

    def _values(self) -> tuple:
        return (self.size,)


class Neg(_Node):
    """Unary minus."""
    __slots__ = ("arg",)
    arg: Node
    _fields = ("arg",)

    def __init__(self, arg: Node, *, span: tuple = (0, 0)):
        _Neg_arg(self, arg)
        _set_span(self, span)

    def _values(self) -> tuple:
        return (self.arg,)


class Bin(_Node):
    """A binary operation; implicit products are stored as '*'."""
    __slots__ = ("op", "left", "right")
    op: str
    left: Node
    right: Node
    _fields = ("op", "left", "right")  # op: + - * / @ ⊙   (implicit products are *)

    def __init__(self, op: str, left: Node, right: Node, *, span: tuple = (0, 0)):
        _Bin_op(self, op)
        _Bin_left(self, left)
        _Bin_right(self, right)
        _set_span(self, span)

    def _values(self) -> tuple:
        return (self.op, self.left, self.right)


class Pow(_Node):
    """``base ^ exp``."""
    __slots__ = ("base", "exp")
    base: Node
    exp: Node
    _fields = ("base", "exp")

    def __init__(self, base: Node, exp: Node, *, span: tuple = (0, 0)):
        _Pow_base(self, base)
        _Pow_exp(self, exp)
        _set_span(self, span)

    def _values(self) -> tuple:
        return (self.base, self.exp)


class Call(_Node):
    """A whitelisted function applied to a tuple of argument nodes."""
    __slots__ = ("fn", "args")
    fn: str
    args: tuple[Node, ...]
    _fields = ("fn", "args")  # a whitelisted function name, a tuple of nodes

    def __init__(self, fn: str, args: tuple[Node, ...], *, span: tuple = (0, 0)):
        _Call_fn(self, fn)
        _Call_args(self, args)
        _set_span(self, span)

    def _values(self) -> tuple:
        return (self.fn, self.args)


class Transpose(_Node):
    """A matrix or vector transpose (``x'``, ``x.T``, ``x^T``)."""
    __slots__ = ("arg",)
    arg: Node
    _fields = ("arg",)

    def __init__(self, arg: Node, *, span: tuple = (0, 0)):
        _Transpose_arg(self, arg)
        _set_span(self, span)

    def _values(self) -> tuple:
        return (self.arg,)


Node = Union[Num, Sym, Const, Ident, Neg, Bin, Pow, Call, Transpose]
# The slots' own setters: a node is immutable (__setattr__ refuses), so its __init__ fills its
# slots through them (cheaper than object.__setattr__, and a formula has dozens of nodes).
_set_span = _Node.__dict__["span"].__set__
_Num_text = Num.__dict__["text"].__set__
_Sym_name = Sym.__dict__["name"].__set__
_Const_name = Const.__dict__["name"].__set__
_Ident_size = Ident.__dict__["size"].__set__
_Neg_arg = Neg.__dict__["arg"].__set__
_Bin_op = Bin.__dict__["op"].__set__
_Bin_left = Bin.__dict__["left"].__set__
_Bin_right = Bin.__dict__["right"].__set__
_Pow_base = Pow.__dict__["base"].__set__
_Pow_exp = Pow.__dict__["exp"].__set__
_Call_fn = Call.__dict__["fn"].__set__
_Call_args = Call.__dict__["args"].__set__
_Transpose_arg = Transpose.__dict__["arg"].__set__

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "⊙": 2}


def precedence(node: Node) -> int:
    """Binding strength of a node (higher binds tighter); :func:`to_text` uses it to add only needed parentheses."""
    cls = node.__class__  # the node classes have no subclasses: exact types, by frequency
    if cls is Bin:
        return _PREC[node.op]
    if cls is Neg:
        return 3
    if cls is Pow:
        return 4
    if cls is Num and node.text.startswith("-"):
        return 3
    return 5


def to_text(node: Node) -> str:
    """Canonical plain syntax; the parser reads it back to an equal AST."""
    return _text(node)[0]


def _text(node: Node) -> tuple[str, int]:
    """A node's canonical text and its :func:`precedence` (one call per node: parentheses go
    where a child binds looser than its place needs)."""
    cls = node.__class__
    if cls is Sym or cls is Const:
        return node.name, 5
    if cls is Bin:
        op = node.op
        p = _PREC[op]
        left, lp = _text(node.left)
        right, rp = _text(node.right)
        if lp < p:
            left = f"({left})"
        if rp <= p:
            right = f"({right})"
        if op == "*" or op == "/":
            return f"{left}{op}{right}", p
        return f"{left} {op} {right}", p
    if cls is Num:
        return node.text, (3 if node.text.startswith("-") else 5)
    if cls is Pow:
        base, bp = _text(node.base)
        exp, ep = _text(node.exp)
        return (f"({base})" if bp <= 4 else base) + "^" + (f"({exp})" if ep < 5 else exp), 4
    if cls is Call:
        return f"{node.fn}(" + ", ".join([_text(a)[0] for a in node.args]) + ")", 5
    if cls is Transpose:
        arg, ap = _text(node.arg)
        return (f"({arg})" if ap < 5 else arg) + ".T", 5
    if cls is Neg:
        arg, ap = _text(node.arg)
        return "-" + (f"({arg})" if ap < 3 else arg), 3
    if cls is Ident:
        return ("I" if node.size is None else f"I_{node.size}"), 5
    raise TypeError(node)


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
    """Number of nodes in the tree: the measure that caps symbolic work on large formulas."""
    return sum(1 for _ in walk(node))


def symbols(node: Node) -> set[str]:
    """Names of the variables a formula uses."""
    return {n.name for n in walk(node) if isinstance(n, Sym)}
