"""Shape checking of matrix formulas with symbolic dimensions (n, d), before any numbers.

Shapes are () for scalars, (rows, cols) for matrices, with vectors as columns (n, 1), and
IDENTITY for an ``I`` whose size is still unknown. Working with dimension *names* means a
mismatch such as X @ X is caught even when n and d happen to be drawn equal, and messages
say "n×d", which is what the student reasons with.
"""

from __future__ import annotations

from grader.expr import nodes as N
from grader.expr.errors import ShapeError
from grader.expr.limits import MAX_MATRIX_POWER
from grader.expr.numeric import constant_value
from grader.expr.symbols import SymbolTable

SCALAR: tuple = ()
IDENTITY = ("I",)
SCALAR_FUNCS = {"sqrt", "exp", "log", "log10", "log2", "sin", "cos", "tan", "sinh", "cosh",
                "tanh", "arcsin", "arccos", "arctan", "sigmoid", "min", "max", "binom"}


def show(shape: tuple) -> str:
    """A shape for messages: "a scalar", "n×d", or the identity of unknown size."""
    if shape == SCALAR:
        return "a scalar"
    if shape == IDENTITY:
        return "an identity of unknown size"
    return f"{shape[0]}×{shape[1]}"


def var_shape(declared: tuple) -> tuple:
    """A declared shape as (rows, cols): a vector ``(n,)`` is a column ``(n, 1)``; ``()`` stays scalar."""
    if len(declared) == 0:
        return SCALAR
    if len(declared) == 1:
        return (declared[0], "1")
    return (declared[0], declared[1])


class ShapeChecker:
    """Infers shapes; ``defines`` maps shorthand names to their parsed formulas."""

    def __init__(self, table: SymbolTable, defines: dict[str, N.Node]):
        self.table = table
        self.defines = defines
        self.cache: dict[str, tuple] = {}
        self.visiting: set[str] = set()
        # the declared variables' shapes, looked up once: a class's formulas name them 18,000 times
        self.declared = {name: var_shape(var.shape) for name, var in table.vars.items() if name not in defines}

    def result(self, node: N.Node) -> tuple:
        """The shape of a whole formula; raises ShapeError when an I's size cannot be decided from the context."""
        shape = self.infer(node)
        if shape == IDENTITY:
            raise ShapeError("the size of I cannot be inferred here: write I_n (or I_d, ...)")
        return shape

    def sym(self, name: str) -> tuple:
        """A name's shape; a shorthand's shape is inferred once from its formula (self-reference raises ShapeError)."""
        if name in self.defines:
            if name not in self.cache:
                if name in self.visiting:
                    raise ShapeError(f"the definition of {name} refers to itself")
                self.visiting.add(name)
                self.cache[name] = self.result(self.defines[name])
                self.visiting.discard(name)
            return self.cache[name]
        var = self.table.vars.get(name)
        return SCALAR if var is None else var_shape(var.shape)

    def infer(self, node: N.Node) -> tuple:
        """The shape of a sub-formula; may be IDENTITY (an I whose size its neighbours decide). Raises ShapeError."""
        if isinstance(node, N.Bin):  # the common kinds first (the node classes exclude each other)
            return self.binary(node)
        if isinstance(node, N.Sym):
            shape = self.declared.get(node.name)
            return shape if shape is not None else self.sym(node.name)
        if isinstance(node, (N.Num, N.Const)):
            return SCALAR
        if isinstance(node, N.Transpose):
            return transpose(self.infer(node.arg))
        if isinstance(node, N.Neg):
            return self.infer(node.arg)
        if isinstance(node, N.Pow):
            return self.power(node)
        if isinstance(node, N.Call):
            return self.call(node)
        if isinstance(node, N.Ident):
            return IDENTITY if node.size is None else (node.size, node.size)
        raise ShapeError(f"cannot use {N.to_text(node)} here")

    def binary(self, node: N.Bin) -> tuple:
        """Shape of + - / ⊙ and products; mismatches raise ShapeError naming both operands, with a transpose hint
        when one would fix the product."""
        a, b = self.infer(node.left), self.infer(node.right)
        op = node.op
        if op in "+-":
            if a == SCALAR and b == SCALAR:
                return SCALAR
            if a == b and a != IDENTITY:  # the common case, before any message is written
                return a
            left, right = _name(node.left), _name(node.right)
            if a == SCALAR or b == SCALAR:
                m, s = (right, left) if a == SCALAR else (left, right)
                raise ShapeError(f"cannot add a scalar and a matrix in {_name(node)}: {s} is a scalar "
                                 f"but {m} is {show(b if a == SCALAR else a)}")
            if a == IDENTITY or b == IDENTITY:
                other, oname = (b, right) if a == IDENTITY else (a, left)
                if other != IDENTITY and other[0] != other[1]:
                    raise ShapeError(f"cannot add I to {oname} in {_name(node)}: {oname} is "
                                     f"{show(other)}, not square")
                return other
            if a != b:
                raise ShapeError(f"cannot add {left} ({show(a)}) and {right} ({show(b)}) in {_name(node)}")
            return a
        if op == "/":
            if b != SCALAR:
                right = _name(node.right)
                raise ShapeError(f"cannot divide by {right}, which is {show(b)}: use inv(...) "
                                 f"for matrices ({_name(node)})")
            return a
        if op == "⊙":
            if a != b and SCALAR not in (a, b):
                left, right = _name(node.left), _name(node.right)
                raise ShapeError(f"the elementwise product {_name(node)} needs equal shapes: "
                                 f"{left} is {show(a)}, {right} is {show(b)}")
            return a if a != SCALAR else b
        # * @ and implicit products
        if a == SCALAR:
            return b
        if b == SCALAR:
            return a
        if a == IDENTITY:
            return b
        if b == IDENTITY:
            return a
        if a[1] != b[0]:
            left, right = _name(self.core(node.left)), _name(self.core(node.right))
            hint = ""
            if a[0] == b[0]:
                hint = f"; did you mean {_name(N.Transpose(self.core(node.left)))} times {right}?"
            elif a[1] == b[1]:
                hint = f"; did you mean {left} times {_name(N.Transpose(self.core(node.right)))}?"
            raise ShapeError(f"cannot multiply {left} ({show(a)}) by {right} ({show(b)}) in "
                             f"{_name(node)}: the inner dimensions {a[1]} and {b[0]} differ{hint}")
        out = (a[0], b[1])
        return SCALAR if out == ("1", "1") else out

    def core(self, node: N.Node) -> N.Node:
        """The matrix factor of a scaled product (``2*eta/n*X`` -> ``X``), to name in messages."""
        if isinstance(node, N.Bin) and node.op in "*@/":
            if node.op != "/" and self.infer(node.left) == SCALAR:
                return self.core(node.right)
            if self.infer(node.right) == SCALAR:
                return self.core(node.left)
        if isinstance(node, N.Neg):
            return self.core(node.arg)
        return node

    def power(self, node: N.Pow) -> tuple:
        """Shape of a power: scalars, a vector squared (its squared length), or a square matrix to a whole or half power."""
        a, e = self.infer(node.base), self.infer(node.exp)
        if e != SCALAR:
            raise ShapeError(f"the exponent of {_name(node)} must be a scalar, not {show(e)}")
        if a == SCALAR:
            return SCALAR
        if _is_vec(a) and a != ("1", "1") and constant_value(node.exp) == 2:
            return SCALAR  # (X^T a)^2 for a vector: its squared length, v^T v
        if a != IDENTITY and a[0] != a[1]:
            raise ShapeError(f"only square matrices have powers: {_name(node.base)} in {_name(node)} "
                             f"is {show(a)}")
        k = constant_value(node.exp)
        if k is not None and k != int(k) and abs(k * 2) == int(abs(k * 2)) and abs(k) <= MAX_MATRIX_POWER:
            return a  # P^{1/2}, P^{-1/2}: a square root, of a symmetric positive semi-definite matrix
        if k is None or k != int(k) or abs(k) > MAX_MATRIX_POWER:
            raise ShapeError(f"a matrix power needs a whole-number exponent between "
                             f"-{MAX_MATRIX_POWER} and {MAX_MATRIX_POWER}, or a half for a square root "
                             f"({_name(node)}); use ^T (or .T, ') for the transpose")
        return a

    def call(self, node: N.Call) -> tuple:
        """Shape of a function call: scalar functions need scalar arguments; tr, det, inv need square matrices."""
        shapes = [self.infer(a) for a in node.args]
        fn, s = node.fn, shapes[0]
        arg = _name(node.args[0])
        if fn == "sqrt" and s != SCALAR:
            if s == IDENTITY:
                return IDENTITY
            if s[0] != s[1]:
                raise ShapeError(f"sqrt(...) of a matrix is its square root, which needs a square matrix, "
                                 f"but {arg} is {show(s)}")
            return s
        if fn == "inner":
            t = shapes[1]
            if IDENTITY in (s, t):
                raise ShapeError(f"the size of I in {_name(node)} cannot be inferred: write I_n (or I_d, ...)")
            if s != t and not (_is_vec(s) and _is_vec(t) and sorted(s) == sorted(t)):
                raise ShapeError(f"an inner product needs equal shapes: {arg} is {show(s)}, "
                                 f"{_name(node.args[1])} is {show(t)}")
            return SCALAR
        if fn == "pinv":
            if s == IDENTITY:
                return IDENTITY
            return s if s == SCALAR else transpose(s)
        if fn in SCALAR_FUNCS:
            for sh, a in zip(shapes, node.args):
                if sh != SCALAR:
                    raise ShapeError(f"{fn}(...) applies to scalars, but {_name(a)} is {show(sh)}")
            return SCALAR
        if s == IDENTITY and fn in ("abs", "norm", "norm2", "tr", "det"):
            raise ShapeError(f"the size of I in {_name(node)} cannot be inferred: write I_n (or I_d, ...)")
        if fn in ("abs", "norm", "norm2"):
            return SCALAR
        if fn == "transpose":
            return transpose(s)
        if fn in ("tr", "det", "inv"):
            if s == SCALAR and fn == "inv":
                return SCALAR
            if s == SCALAR and fn in ("tr", "det"):
                return SCALAR  # a 1×1 product: tr(a^T X X^T a) is the number itself
            if s == SCALAR or (s != IDENTITY and s[0] != s[1]):
                raise ShapeError(f"{fn}(...) needs a square matrix, but {arg} is {show(s)}")
            return s if fn == "inv" else SCALAR
        raise ShapeError(f"unknown function {fn}")


def _is_vec(shape: tuple) -> bool:
    return len(shape) == 2 and "1" in shape


def transpose(shape: tuple) -> tuple:
    """The transposed shape; scalars and identities are their own transpose."""
    if shape in (SCALAR, IDENTITY):
        return shape
    return (shape[1], shape[0])


def _name(node: N.Node) -> str:
    text = N.to_text(node)
    return text if len(text) <= 60 else text[:57] + "..."
