"""Recursive-descent parser: normalized tokens -> AST, with every limit enforced.

Grammar (loosest first): sum := term (('+'|'-') term)* ; term := unary (('*'|'/'|'@'|'⊙'|
implicit) unary)* ; unary := ('-'|'+') unary | power ; power := atom (postfix | '^' exponent)* ;
atom := number | name | call | group | |x| | ‖x‖ | \\frac{a}{b} | \\sqrt[n]{x}.
Implicit products bind like '*', so ``1/2x`` is (1/2)*x and ``n/2 a'a`` is (n/2)*(a'a).
"""

from __future__ import annotations

from operator import itemgetter

from grader.expr import nodes as N
from grader.expr.errors import ExprError
from grader.expr.latex import merge_subscripts, normalize
from grader.expr.limits import MAX_DEPTH, MAX_NUMBER_EXP10
from grader.expr.symbols import BINARY, VARIADIC, SymbolTable
from grader.expr.tokens import Token, scan

CLOSERS = {"(": ")", "[": "]", "{": "}"}


def parse(text: str, table: SymbolTable) -> N.Node:
    """Parse untrusted ``text`` using the part's names. Raises ExprError with a clear message."""
    return parse_tokens(tokenize(text), table)


def tokenize(text: str) -> list[Token]:
    """The normalized tokens of a formula (LaTeX commands read, subscripts glued on)."""
    if not isinstance(text, str):
        raise ExprError("a formula must be written as text")
    tokens = scan(text)
    if "." in text:
        _one_decimal_point(text, tokens)
    if text.isascii() and "\\" not in text:  # no command (they come from a backslash, †, ᵀ or ⊤)
        return merge_subscripts(tokens) if "_" in text else tokens  # a '_' token needs a '_' (or ₀..₉)
    return normalize(tokens)


def _one_decimal_point(text: str, tokens: list[Token]) -> None:
    """'1.2.3', '1..2', '-1.0.0', '1e3.5': a number runs on into another that starts with its
    decimal point. Read as a product they would be a number nobody wrote (1.2 * 0.3)."""
    for before, after in zip(tokens, tokens[1:]):
        if (before.kind == "num" and after.kind == "num" and after.pos == before.end
                and text.startswith(".", after.pos)):
            written = text[before.pos:after.end]
            raise ExprError(f"'{written}' is not a number: a number has at most one decimal point "
                            f"({before.where()})", before.pos)


def token_key(tokens: list[Token]) -> tuple:
    """What parsing a token list depends on besides the part's names: each token's kind and
    text, and for a name holding a ``T`` whether it was written plainly (``X^Ta`` is X^T a,
    ``X^\\mathrm{Ta}`` is not). Positions only go into messages and spans, so texts with
    one key parse alike (and \\mathbf{w}_0, w_{0} and w_0 share one). Built by joins (the
    kinds are prefix-free words; no token text holds a NUL), not a tuple per token."""
    texts = "\0".join(map(_TEXT, tokens))
    key: tuple = ("".join(map(_KIND, tokens)), texts)
    if "T" in texts:
        key += tuple([t.end - t.pos == len(t.text) for t in tokens if t.kind == "name" and "T" in t.text])
    return key


_KIND, _TEXT = itemgetter(0), itemgetter(1)


def parse_tokens(tokens: list[Token], table: SymbolTable) -> N.Node:
    """The AST of :func:`tokenize`'s tokens."""
    tokens = strip_label(tokens)
    tokens = split_names(tokens, table)
    node = Parser(tokens, table).parse_all()
    from grader.expr.numeric import check_magnitudes

    check_magnitudes(node)
    return node


def strip_label(tokens: list[Token]) -> list[Token]:
    """Drop a leading ``name =`` (``\\eta^* =``, ``x_{t+1} =``): students often copy it."""
    if not [t for t in tokens if t.text == "=" and t.kind == "op"]:  # most formulas: no '=' at all
        return tokens
    depth, eqs = 0, []
    for k, t in enumerate(tokens):
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
        elif t.kind == "op" and t.text == "=" and depth == 0:
            eqs.append(k)
    if not eqs:
        return tokens
    if len(eqs) > 1:
        raise ExprError(f"only one '=' is allowed ({tokens[eqs[1]].where()}); write just the expression",
                        tokens[eqs[1]].pos)
    k = eqs[0]
    lhs = tokens[:k]
    label_like = (lhs and lhs[0].kind == "name" and len(lhs) <= 12 and all(
        t.kind in ("name", "num") or (t.kind == "op" and t.text in "^*'(){}[],")
        or (t.kind == "cmd" and t.text == "top") for t in lhs))
    if not label_like:
        raise ExprError("an '=' may only follow the name of what you compute (as in 'eta^* = ...'); "
                        "write just the expression", tokens[k].pos)
    if tokens[k + 1].kind == "end":
        raise ExprError("nothing after '='", tokens[k].pos)
    return tokens[k + 1:]


def split_names(tokens: list[Token], table: SymbolTable) -> list[Token]:
    """Replace glued unknown words by known pieces (``XX`` -> X X, ``lambdaeta`` -> lambda eta)."""
    classify = table.classify
    if not [t for t in tokens if t.kind == "name" and t.text != "T" and classify(t.text) is None]:  # all known
        return tokens
    out = []
    for t in tokens:
        if t.kind == "name" and classify(t.text) is None and not (t.text == "T") and \
                not t.text.startswith("log_"):
            pieces = table.split(t.text)
            if pieces:
                at = t.pos
                for p in pieces:
                    width = len(p) if t.end - t.pos == len(t.text) else 0
                    out.append(Token("name", p, at, at + width if width else t.end))
                    at += width
                continue
        out.append(t)
    return out


class Parser:
    """One pass over one formula's tokens; holds the nesting depth and open bars so every limit is enforced
    while reading (never after building a deep tree). Use :func:`parse`, not this class, from outside."""
    def __init__(self, tokens: list[Token], table: SymbolTable):
        self.toks = tokens + tokens[-1:] * 3  # peek(k) past the end sees the end token
        self.i = 0
        self.table = table
        self.depth = 0
        self.bars = 0  # inside |...|: a '|' closes instead of starting an implicit product
        self.norms = 0
        self.last_end = 0
        self.bar_nodes: dict[int, N.Node] = {}  # nodes written with bars (to read ||x|| as one norm)

    # -- helpers ----------------------------------------------------------------------------
    # take() is only ever called on a token that is not the end, so self.i never passes the
    # end token and self.toks[self.i + k] (k <= 2, three end tokens at the end) is the token.
    def peek(self, k: int = 0) -> Token:
        """The token ``k`` ahead without consuming it; past the end it is the end token, never an IndexError."""
        return self.toks[self.i + k]

    def take(self) -> Token:
        """Consume the current token and remember where it ends (node spans close there)."""
        t = self.toks[self.i]
        self.i += 1
        self.last_end = t.end
        return t

    def at_op(self, chars: str, k: int = 0) -> bool:
        """Whether the token ``k`` ahead is one of the operator characters in ``chars``."""
        t = self.toks[self.i + k]
        return t.kind == "op" and t.text in chars and t.text != ""

    def enter(self, t: Token) -> None:
        """Count one more nesting level at ``t``; raises ExprError past MAX_DEPTH so hostile input cannot recurse deep."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"the formula is nested too deeply (more than {MAX_DEPTH} levels, "
                            f"{t.where()})", t.pos)

    def fail(self, t: Token, what: str = "") -> ExprError:
        """The ExprError for an unexpected token ``t`` (named, with its position), to raise; ``what`` says what was expected."""
        if t.kind == "op" and t.text == "∞":
            return ExprError(f"infinity is not allowed ({t.where()})", t.pos)
        if t.kind == "end":
            return ExprError("the formula ends too early" + (f": {what}" if what else ""), t.pos)
        return ExprError(f"unexpected {t.show()} {t.where()}" + (f": {what}" if what else ""), t.pos)

    def expect(self, char: str, opener: Token) -> None:
        """Consume the closing ``char`` of ``opener``; otherwise fail naming the opener and where it was."""
        t = self.peek()
        if t.kind == "op" and t.text == char:
            self.take()
            return
        raise self.fail(t, f"expected '{char}' to close the '{opener.text}' {opener.where()}")

    # -- grammar ----------------------------------------------------------------------------
    def parse_all(self) -> N.Node:
        """The whole formula; raises ExprError when it is empty or text is left over (such as an unbalanced ')')."""
        if self.peek().kind == "end":
            raise ExprError("the formula is empty")
        node = self.sum()
        t = self.peek()
        if t.kind != "end":
            if t.kind == "op" and t.text in ")]}":
                raise ExprError(f"unbalanced '{t.text}' {t.where()}", t.pos)
            raise self.fail(t)
        return node

    def sum(self) -> N.Node:
        """``term (('+'|'-') term)*``, left-associative."""
        toks = self.toks  # the list itself: a rewrite of a token (transpose_mark) happens in place
        start = toks[self.i].pos
        node = self.term()
        while True:
            t = toks[self.i]
            if not (t.kind == "op" and (t.text == "+" or t.text == "-")):
                return node
            self.i += 1  # self.take(), inlined on this path (as in term, unary and atom)
            self.last_end = t.end
            node = N.Bin(t.text, node, self.term(), span=(start, self.last_end))

    def term(self) -> N.Node:
        """Products and quotients, left-associative; a juxtaposed atom is an implicit '*' binding like an explicit one."""
        toks = self.toks
        t = toks[self.i]
        start = t.pos
        # self.unary(), which is self.power() unless a sign comes first
        node = self.unary() if t.kind == "op" and (t.text == "+" or t.text == "-") else self.power()
        while True:
            t = toks[self.i]
            kind = t.kind
            if kind == "op" and t.text in "*/@⊙" and t.text != "":
                self.i += 1
                self.last_end = t.end
                u = toks[self.i]
                operand = self.unary() if u.kind == "op" and (u.text == "+" or u.text == "-") else self.power()
                node = N.Bin(t.text, node, operand, span=(start, self.last_end))
            elif kind == "num" or kind == "name" or (kind != "end" and self.starts_atom(t)):
                node = N.Bin("*", node, self.power(), span=(start, self.last_end))
            else:
                return node

    def starts_atom(self, t: Token) -> bool:
        """Whether ``t`` can begin an implicit product's factor; a '|' or '‖' inside bars of its kind closes instead."""
        if t.kind in ("num", "name"):
            return True
        if t.kind == "cmd":
            return t.text in ("frac", "sqrt", "binom")
        if t.kind == "op":
            return t.text in "([{⟨" or (t.text == "|" and self.bars == 0) or (t.text == "‖" and self.norms == 0)
        return False

    def unary(self) -> N.Node:
        """Leading signs: '-' becomes Neg, '+' is dropped; they bind looser than '^' (-x^2 is -(x^2))."""
        t = self.toks[self.i]
        if t.kind == "op" and (t.text == "+" or t.text == "-"):
            self.i += 1
            self.last_end = t.end
            self.enter(t)
            arg = self.unary()
            self.depth -= 1
            return N.Neg(arg, span=(t.pos, self.last_end)) if t.text == "-" else arg
        return self.power()

    def power(self) -> N.Node:
        """An atom followed by postfix marks: ``'``, ``.T``, ``^T``/``^\\top`` (transpose), ``^\\dagger`` (pinv) or ``^exp``."""
        toks = self.toks
        start = toks[self.i]
        node = self.atom()
        while True:
            t = toks[self.i]
            if t.kind != "op":
                return node
            if t.text == "'":
                self.take()
                node = N.Transpose(node, span=(start.pos, self.last_end))
            elif t.text == ".":
                dot = self.take()
                nxt = self.peek()
                if nxt.kind == "name" and nxt.text == "T":
                    self.take()
                    node = N.Transpose(node, span=(start.pos, self.last_end))
                else:
                    raise ExprError(f"'.' {dot.where()} is only allowed in numbers and in '.T' (transpose)",
                                    dot.pos)
            elif t.text == "^":
                caret = self.take()
                if self.transpose_mark():
                    node = N.Transpose(node, span=(start.pos, self.last_end))
                    continue
                if self.pinv_mark(caret):
                    node = N.Call("pinv", (node,), span=(start.pos, self.last_end))
                    continue
                self.enter(caret)
                if self.peek().kind == "end":
                    raise self.fail(self.peek(), "'^' needs an exponent")
                exp = self.unary()
                self.depth -= 1
                node = N.Pow(node, exp, span=(start.pos, self.last_end))
            else:
                return node

    def transpose_mark(self) -> bool:
        """After '^': consume ``T``, ``\\top`` or ``{T}`` meaning transpose."""
        def is_mark(t: Token) -> bool:
            return (t.kind == "cmd" and t.text == "top") or (
                t.kind == "name" and t.text == "T" and self.table.classify("T") is None)

        if is_mark(self.peek()):
            self.take()
            return True
        if self.at_op("{") and is_mark(self.peek(1)) and self.at_op("}", 2):
            self.take(), self.take(), self.take()
            return True
        t = self.peek()
        if t.kind == "name" and len(t.text) > 1 and t.text[0] == "T" and self.table.classify("T") is None \
                and t.end - t.pos == len(t.text) and self.table.classify(t.text) is None:
            # LaTeX's superscript takes one character: X^Ta is X^T a
            rest = t.text[1:]
            pieces = [rest] if self.table.classify(rest) is not None else (self.table.split(rest) or [rest])
            at, new = t.pos + 1, []
            for p in pieces:
                new.append(Token("name", p, at, at + len(p)))
                at += len(p)
            self.toks[self.i:self.i + 1] = new
            self.last_end = t.pos + 1
            return True
        return False

    def pinv_mark(self, caret: Token) -> bool:
        """After '^': ``\\dagger``, ``{\\dagger}``, ``†`` or ``{+}``: the pseudo-inverse."""
        k = 1 if self.at_op("{") else 0
        t = self.peek(k)
        mark = (t.kind == "cmd" and t.text == "dagger") or (k == 1 and t.kind == "op" and t.text == "+") or (
            k == 0 and t.kind == "op" and t.text == "+" and self.table.matrix
            and self.peek(1).kind != "num")  # LaTeX's superscript takes one token: X^+ y is X^{+} y
        if not mark or (k == 1 and not self.at_op("}", 2)):
            return False
        if not self.table.matrix:
            raise ExprError(f"a pseudo-inverse ({caret.where()}) applies to matrices; this part's formulas "
                            "are scalars", caret.pos)
        for _ in range(1 + 2 * k):
            self.take()
        return True

    def atom(self) -> N.Node:
        """One operand: number, name, bracketed group, bars, ``\\frac``, ``\\sqrt[n]``, ``\\binom`` or ``⟨u, v⟩``;
        stray ``\\top``/``\\dagger`` get a message saying they must follow '^'."""
        t = self.toks[self.i]
        kind = t.kind
        if kind == "name":
            self.i += 1
            self.last_end = t.end
            return self.name(t)
        if kind == "num":
            self.i += 1
            self.last_end = t.end
            return N.Num(_number(t), span=(t.pos, t.end))
        if t.kind == "op" and t.text in CLOSERS:
            self.take()
            self.enter(t)
            if self.at_op(CLOSERS[t.text]):
                raise ExprError(f"empty '{t.text}{CLOSERS[t.text]}' {t.where()}", t.pos)
            saved = self.bars, self.norms
            self.bars = self.norms = 0
            node = self.sum()
            self.bars, self.norms = saved
            self.expect(CLOSERS[t.text], t)
            self.depth -= 1
            return node
        if t.kind == "op" and t.text in "|‖":
            return self.bars_atom(t)
        if t.kind == "cmd" and t.text == "frac":
            self.take()
            num = self.latex_arg(t)
            den = self.latex_arg(t)
            return N.Bin("/", num, den, span=(t.pos, self.last_end))
        if t.kind == "cmd" and t.text == "sqrt":
            self.take()
            if self.at_op("["):
                bracket = self.take()
                self.enter(bracket)
                index = self.sum()
                self.expect("]", bracket)
                self.depth -= 1
                if self.constant(index) == 0:
                    raise ExprError(f"'\\sqrt[0]' {t.where()} has no meaning: the root's index must not be 0",
                                    t.pos)
                arg = self.latex_arg(t)
                return N.Pow(arg, N.Bin("/", N.Num("1"), index), span=(t.pos, self.last_end))
            return N.Call("sqrt", (self.latex_arg(t),), span=(t.pos, self.last_end))
        if t.kind == "cmd" and t.text == "binom":
            self.take()
            top = self.latex_arg(t)
            bottom = self.latex_arg(t)
            return N.Call("binom", (top, bottom), span=(t.pos, self.last_end))
        if t.kind == "op" and t.text == "⟨":
            return self.inner(t)
        if t.kind == "cmd" and t.text == "top":
            raise ExprError(f"a transpose mark must follow '^' ({t.where()})", t.pos)
        if t.kind == "cmd" and t.text == "dagger":
            raise ExprError(f"a pseudo-inverse mark must follow '^', as in X^\\dagger ({t.where()})", t.pos)
        raise self.fail(t)

    def inner(self, t: Token) -> N.Node:
        """``\\langle u, v \\rangle``: the inner product (u^T v; for matrices tr(A^T B))."""
        if not self.table.matrix:
            raise ExprError(f"an inner product ⟨u, v⟩ ({t.where()}) needs vectors; this part's formulas "
                            "are scalars: write the product", t.pos)
        self.take()
        self.enter(t)
        saved = self.bars, self.norms
        self.bars = self.norms = 0
        left = self.sum()
        if not self.at_op(","):
            raise self.fail(self.peek(), "an inner product is written ⟨u, v⟩, with a comma")
        self.take()
        right = self.sum()
        self.bars, self.norms = saved
        self.expect("⟩", t)
        self.depth -= 1
        return N.Call("inner", (left, right), span=(t.pos, self.last_end))

    def bars_atom(self, t: Token) -> N.Node:
        """``|x|``, ``‖x‖``, ``||x||`` (a norm, not abs(abs(x))) and ``‖x‖_2`` / ``‖A‖_F``."""
        self.take()
        self.enter(t)
        if t.text == "|":
            self.bars += 1
        else:
            self.norms += 1
        node = self.sum()
        self.expect(t.text, t)
        if t.text == "|":
            self.bars -= 1
        else:
            self.norms -= 1
        self.depth -= 1
        # ||x||: the inner bars are part of the norm sign (|x|_2 inside stays as written)
        doubled = self.bar_nodes.get(id(node)) is node and node.fn in ("abs", "norm")
        if doubled:
            node = node.args[0]
        matrix = self.table.matrix
        fn = "norm" if matrix and (t.text == "‖" or doubled) else "abs"
        if self.peek().kind == "sub":
            fn = self.norm_kind(self.take())
        out = N.Call(fn, (node,), span=(t.pos, self.last_end))
        self.bar_nodes[id(out)] = out
        return out

    def norm_kind(self, sub: Token) -> str:
        """The function a norm's subscript asks for: _2 (a vector's length, a matrix's spectral
        norm) or _F (Frobenius, where matrices are allowed)."""
        if sub.text == "2":
            return "norm2" if self.table.matrix else "abs"
        if sub.text in ("F", "fro"):
            if not self.table.matrix:
                raise ExprError(f"the Frobenius norm '_{sub.text}' {sub.where()} applies to matrices; "
                                "this part's formulas are scalars: write |x| or abs(x)", sub.pos)
            return "norm"
        shown = "\\infty" if sub.text == "infty" else sub.text
        raise ExprError(f"only the 2-norm is supported here (\\|v\\|_2, or \\|A\\|_F for a matrix's "
                        f"Frobenius norm), not the norm '_{shown}' {sub.where()}", sub.pos)

    @staticmethod
    def constant(node: N.Node) -> float | None:
        """The numeric value of a constant sub-formula, or None (used to reject ``\\sqrt[0]``)."""
        from grader.expr.numeric import constant_value

        return constant_value(node)

    def latex_arg(self, cmd: Token) -> N.Node:
        """A ``{group}`` or a single token: ``\\frac{a}{b}``, ``\\frac12``, ``\\sqrt x``."""
        t = self.peek()
        if t.kind == "num" and len(t.text) > 1 and t.text.isdigit():
            # \frac12 reads as \frac{1}{2}: split the digits
            self.toks[self.i] = Token("num", t.text[1:], t.pos + 1, t.end)
            self.last_end = t.pos + 1
            return N.Num(t.text[0], span=(t.pos, t.pos + 1))
        if t.kind in ("num", "name") or (t.kind == "op" and t.text in CLOSERS):
            return self.atom()
        raise self.fail(t, f"'\\{cmd.text}' needs an argument in braces")

    def name(self, t: Token) -> N.Node:
        """A name token as the part declares it (variable, constant, identity or function); unknown names raise
        ExprError listing the part's variables or allowed functions."""
        kind = self.table.classify(t.text)
        if kind is not None and kind[0] == "sym":  # the common case first
            return N.Sym(kind[1], span=(t.pos, t.end))
        span = (t.pos, t.end)
        if kind is None and t.text.startswith("log_"):
            return self.log_base(t)
        if kind is None and self.table.matrix and t.text == "I_1":
            raise ExprError(f"'I_1' {t.where()} would be a 1×1 identity, the number 1; write I for an identity "
                            f"whose size the formula decides, or I_n with a dimension "
                            f"({', '.join(self.table.dims) or 'none declared'})", t.pos)
        if kind is None:
            if self.at_op("("):
                shown = t.text if len(t.text) <= 40 else t.text[:37] + "..."
                raise ExprError(f"unknown function '{shown}' {t.where()}; allowed functions: "
                                f"{', '.join(sorted(set(self.table.functions.values())))}", t.pos)
            shown = t.text if len(t.text) <= 40 else t.text[:37] + "..."
            raise ExprError(f"unknown symbol '{shown}' {t.where()}; this part's variables are "
                            f"{self.table.names_text()}", t.pos)
        what, value = kind
        if what == "sym":
            return N.Sym(value, span=span)
        if what == "const":
            return N.Const(value, span=span)
        if what == "ident":
            return N.Ident(value, span=span)
        return self.call(value, t)

    def log_base(self, t: Token) -> N.Node:
        """``\\log_{10} x``, ``\\log_2 x``, ``\\log_b x``: log(x) / log(b)."""
        base = t.text[4:]
        named = {"10": "log10", "2": "log2", "e": "log"}
        if base in named and (base != "e" or "e" in self.table.constants()):
            return self.call(named[base], t)
        if base.replace(".", "", 1).isdigit():
            base_node = N.Num(base, span=(t.pos, t.end))
        else:
            kind = self.table.classify(base)
            if kind is None or kind[0] not in ("sym", "const"):
                raise ExprError(f"unknown base '{base}' of the logarithm {t.where()}; this part's variables "
                                f"are {self.table.names_text()}", t.pos)
            base_node = N.Sym(kind[1], span=(t.pos, t.end)) if kind[0] == "sym" else N.Const(kind[1], span=(t.pos, t.end))
        value = self.call("log", t)
        return N.Bin("/", value, N.Call("log", (base_node,), span=value.span), span=(t.pos, self.last_end))

    def call(self, fn: str, t: Token) -> N.Node:
        """A whitelisted function's argument(s), in parentheses or as one juxtaposed factor (``\\sin x``), with the
        arity checked; ``\\sin^2 x`` becomes sin(x)^2."""
        power = None
        if self.at_op("^") and fn not in ("inv",):  # \sin^2 x
            caret = self.take()
            self.enter(caret)
            power = self.unary()
            self.depth -= 1
        if self.at_op("("):
            opener = self.take()
            self.enter(opener)
            if self.at_op(")"):
                raise ExprError(f"{fn}() needs an argument {opener.where()}", opener.pos)
            args = [self.sum()]
            while self.at_op(","):
                self.take()
                args.append(self.sum())
            self.expect(")", opener)
            self.depth -= 1
        elif self.starts_atom(self.peek()):
            self.enter(t)
            args = [self.power()]
            self.depth -= 1
        else:
            raise self.fail(self.peek(), f"{fn} needs an argument, as in {fn}(x)")
        if fn in VARIADIC:
            if len(args) < 2:
                raise ExprError(f"{fn}(...) needs at least two arguments {t.where()}", t.pos)
        elif fn in BINARY:
            if len(args) != 2:
                raise ExprError(f"{fn}(...) takes two arguments, got {len(args)} {t.where()}", t.pos)
        elif len(args) != 1:
            raise ExprError(f"{fn}(...) takes one argument, got {len(args)} {t.where()}", t.pos)
        node = N.Call(fn, tuple(args), span=(t.pos, self.last_end))
        return N.Pow(node, power, span=node.span) if power is not None else node


def _number(t: Token) -> str:
    text = t.text
    if len(text) <= MAX_NUMBER_EXP10 and "e" not in text and "E" not in text:  # the common case: nothing to check
        return text
    if "e" in text.lower():
        mant, _, exp = text.lower().partition("e")
        if abs(int(exp)) > MAX_NUMBER_EXP10:
            raise ExprError(f"the number {text} {t.where()} is out of range", t.pos)
    digits = len(text.split(".")[0].split("e")[0].lstrip("0"))
    if digits > MAX_NUMBER_EXP10:
        raise ExprError(f"the number {text[:20]}... {t.where()} is out of range", t.pos)
    return text
