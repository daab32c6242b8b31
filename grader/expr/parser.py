"""Recursive-descent parser: normalized tokens -> AST, with every limit enforced.

Grammar (loosest first): sum := term (('+'|'-') term)* ; term := unary (('*'|'/'|'@'|'⊙'|
implicit) unary)* ; unary := ('-'|'+') unary | power ; power := atom (postfix | '^' exponent)* ;
atom := number | name | call | group | |x| | ‖x‖ | \\frac{a}{b} | \\sqrt[n]{x}.
Implicit products bind like '*', so ``1/2x`` is (1/2)*x and ``n/2 a'a`` is (n/2)*(a'a).
"""

from __future__ import annotations

import re
from operator import itemgetter

from grader.expr import nodes as N
from grader.expr.errors import ExprError
from grader.expr.latex import merge_subscripts, read_commands
from grader.expr.limits import MAX_DEPTH, MAX_NUMBER_EXP10
from grader.expr.symbols import BINARY, VARIADIC, SymbolTable
from grader.expr.tokens import END, KIND, POS, TEXT, Token, scan, shown, where

CLOSERS = {"(": ")", "[": "]", "{": "}"}


def parse(text: str, table: SymbolTable) -> N.Node:
    """Parse untrusted ``text`` using the part's names. Raises ExprError with a clear message."""
    return parse_tokens(tokenize(text), table)


def tokenize(text: str) -> list[Token]:
    """The normalized tokens of a formula (LaTeX commands read, subscripts glued on)."""
    if not isinstance(text, str):
        raise ExprError("a formula must be written as text")
    tokens = scan(text)
    if "." in text and _POINT_AFTER_NUMBER.search(text):
        _one_decimal_point(text, tokens)
    plain = text.isascii()
    if not plain or "\\" in text:  # commands come from a backslash, †, ᵀ or ⊤
        tokens = read_commands(tokens)
    if "_" in text or not plain and _SUBSCRIPT_DIGIT.search(text):  # a '_' token needs a '_' (or ₀..₉)
        tokens = merge_subscripts(tokens)
    return tokens


_SUBSCRIPT_DIGIT = re.compile("[₀-₉]")


# Where a number may run on into another that starts with its decimal point: a '.' with a
# decimal digit after it (the second number's start) and before it the end of a number (a digit,
# a '.', or a subscript digit ₀..₉ read as a norm's subscript). Texts without one (X.T, most
# formulas) need no look at their tokens.
_POINT_AFTER_NUMBER = re.compile(r"[\d.₀-₉]\.\d")


def _one_decimal_point(text: str, tokens: list[Token]) -> None:
    """'1.2.3', '1..2', '-1.0.0', '1e3.5': a number runs on into another that starts with its
    decimal point. Read as a product they would be a number nobody wrote (1.2 * 0.3)."""
    for before, after in zip(tokens, tokens[1:]):
        if (before[KIND] == "num" and after[KIND] == "num" and after[POS] == before[END]
                and text.startswith(".", after[POS])):
            written = text[before[POS]:after[END]]
            raise ExprError(f"'{written}' is not a number: a number has at most one decimal point "
                            f"({where(before)})", before[POS])


def token_key(tokens: list[Token]) -> tuple:
    """What parsing a token list depends on besides the part's names: each token's kind and
    text, and for a name longer than ``T`` that starts with one whether it was written plainly
    (``X^Ta`` is X^T a, ``X^\\mathrm{Ta}`` is not: Parser.transpose_mark, the one place where
    the tree depends on positions). Positions otherwise only go into messages and spans, so
    texts with one key parse alike (and \\mathbf{w}_0, w_{0} and w_0 share one). Built by joins
    (the kinds are prefix-free words; no token text holds a NUL), not a tuple per token."""
    texts = "\0".join(map(_TEXT, tokens))
    key: tuple = ("".join(map(_KIND, tokens)), texts)
    if _T_WORD.search(texts):  # most formulas: no such name (X^T's T is a name of its own)
        key += tuple([t[END] - t[POS] == len(t[TEXT]) for t in tokens
                      if t[KIND] == "name" and t[TEXT].startswith("T") and t[TEXT] != "T"])
    return key


_T_WORD = re.compile("(?:^|\0)T[^\0]")  # a token's text that starts with T and goes on
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
    if not [t for t in tokens if t[TEXT] == "=" and t[KIND] == "op"]:  # most formulas: no '=' at all
        return tokens
    depth, eqs = 0, []
    for k, t in enumerate(tokens):
        if t[KIND] == "op" and t[TEXT] in "([{":
            depth += 1
        elif t[KIND] == "op" and t[TEXT] in ")]}":
            depth -= 1
        elif t[KIND] == "op" and t[TEXT] == "=" and depth == 0:
            eqs.append(k)
    if not eqs:
        return tokens
    if len(eqs) > 1:
        raise ExprError(f"only one '=' is allowed ({where(tokens[eqs[1]])}); write just the expression",
                        tokens[eqs[1]][POS])
    k = eqs[0]
    lhs = tokens[:k]
    label_like = (lhs and lhs[0][KIND] == "name" and len(lhs) <= 12 and all(
        t[KIND] in ("name", "num") or (t[KIND] == "op" and t[TEXT] in "^*'(){}[],")
        or (t[KIND] == "cmd" and t[TEXT] == "top") for t in lhs))
    if not label_like:
        raise ExprError("an '=' may only follow the name of what you compute (as in 'eta^* = ...'); "
                        "write just the expression", tokens[k][POS])
    if tokens[k + 1][KIND] == "end":
        raise ExprError("nothing after '='", tokens[k][POS])
    return tokens[k + 1:]


def split_names(tokens: list[Token], table: SymbolTable) -> list[Token]:
    """Replace glued unknown words by known pieces (``XX`` -> X X, ``lambdaeta`` -> lambda eta)."""
    classify = table.classify
    if not [t for t in tokens if t[KIND] == "name" and t[TEXT] != "T" and classify(t[TEXT]) is None]:  # all known
        return tokens
    out = []
    for t in tokens:
        if t[KIND] == "name" and classify(t[TEXT]) is None and not (t[TEXT] == "T") and \
                not t[TEXT].startswith("log_"):
            pieces = table.split(t[TEXT])
            if pieces:
                at = t[POS]
                for p in pieces:
                    width = len(p) if t[END] - t[POS] == len(t[TEXT]) else 0
                    out.append(("name", p, at, at + width if width else t[END]))
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
        self.last_end = t[END]
        return t

    def at_op(self, chars: str, k: int = 0) -> bool:
        """Whether the token ``k`` ahead is one of the operator characters in ``chars``."""
        t = self.toks[self.i + k]
        return t[KIND] == "op" and t[TEXT] in chars and t[TEXT] != ""

    def enter(self, t: Token) -> None:
        """Count one more nesting level at ``t``; raises ExprError past MAX_DEPTH so hostile input cannot recurse deep."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"the formula is nested too deeply (more than {MAX_DEPTH} levels, "
                            f"{where(t)})", t[POS])

    def fail(self, t: Token, what: str = "") -> ExprError:
        """The ExprError for an unexpected token ``t`` (named, with its position), to raise; ``what`` says what was expected."""
        if t[KIND] == "op" and t[TEXT] == "∞":
            return ExprError(f"infinity is not allowed ({where(t)})", t[POS])
        if t[KIND] == "end":
            return ExprError("the formula ends too early" + (f": {what}" if what else ""), t[POS])
        return ExprError(f"unexpected {shown(t)} {where(t)}" + (f": {what}" if what else ""), t[POS])

    def expect(self, char: str, opener: Token) -> None:
        """Consume the closing ``char`` of ``opener``; otherwise fail naming the opener and where it was."""
        t = self.peek()
        if t[KIND] == "op" and t[TEXT] == char:
            self.take()
            return
        raise self.fail(t, f"expected '{char}' to close the '{opener[TEXT]}' {where(opener)}")

    # -- grammar ----------------------------------------------------------------------------
    def parse_all(self) -> N.Node:
        """The whole formula; raises ExprError when it is empty or text is left over (such as an unbalanced ')')."""
        if self.peek()[KIND] == "end":
            raise ExprError("the formula is empty")
        node = self.sum()
        t = self.peek()
        if t[KIND] != "end":
            if t[KIND] == "op" and t[TEXT] in ")]}":
                raise ExprError(f"unbalanced '{t[TEXT]}' {where(t)}", t[POS])
            raise self.fail(t)
        return node

    def sum(self) -> N.Node:
        """``term (('+'|'-') term)*``, left-associative."""
        toks = self.toks  # the list itself: a rewrite of a token (transpose_mark) happens in place
        start = toks[self.i][POS]
        node = self.term()
        while True:
            t = toks[self.i]
            if not (t[KIND] == "op" and (t[TEXT] == "+" or t[TEXT] == "-")):
                return node
            self.i += 1  # self.take(), inlined on this path (as in term, unary and atom)
            self.last_end = t[END]
            node = N.Bin(t[TEXT], node, self.term(), span=(start, self.last_end))

    def term(self) -> N.Node:
        """Products and quotients, left-associative; a juxtaposed atom is an implicit '*' binding like an explicit one."""
        toks = self.toks
        t = toks[self.i]
        start = t[POS]
        # self.unary(), which is self.power() unless a sign comes first
        node = self.unary() if t[KIND] == "op" and (t[TEXT] == "+" or t[TEXT] == "-") else self.power()
        while True:
            t = toks[self.i]
            kind = t[KIND]
            if kind == "op" and t[TEXT] in "*/@⊙" and t[TEXT] != "":
                self.i += 1
                self.last_end = t[END]
                u = toks[self.i]
                operand = self.unary() if u[KIND] == "op" and (u[TEXT] == "+" or u[TEXT] == "-") else self.power()
                node = N.Bin(t[TEXT], node, operand, span=(start, self.last_end))
            elif kind == "num" or kind == "name" or (kind != "end" and self.starts_atom(t)):
                node = N.Bin("*", node, self.power(), span=(start, self.last_end))
            else:
                return node

    def starts_atom(self, t: Token) -> bool:
        """Whether ``t`` can begin an implicit product's factor; a '|' or '‖' inside bars of its kind closes instead."""
        if t[KIND] in ("num", "name"):
            return True
        if t[KIND] == "cmd":
            return t[TEXT] in ("frac", "sqrt", "binom")
        if t[KIND] == "op":
            return t[TEXT] in "([{⟨" or (t[TEXT] == "|" and self.bars == 0) or (t[TEXT] == "‖" and self.norms == 0)
        return False

    def unary(self) -> N.Node:
        """Leading signs: '-' becomes Neg, '+' is dropped; they bind looser than '^' (-x^2 is -(x^2))."""
        t = self.toks[self.i]
        if t[KIND] == "op" and (t[TEXT] == "+" or t[TEXT] == "-"):
            self.i += 1
            self.last_end = t[END]
            self.enter(t)
            arg = self.unary()
            self.depth -= 1
            return N.Neg(arg, span=(t[POS], self.last_end)) if t[TEXT] == "-" else arg
        return self.power()

    def power(self) -> N.Node:
        """An atom followed by postfix marks: ``'``, ``.T``, ``^T``/``^\\top`` (transpose), ``^\\dagger`` (pinv) or ``^exp``."""
        toks = self.toks
        start = toks[self.i]
        node = self.atom()
        while True:
            t = toks[self.i]
            if t[KIND] != "op":
                return node
            if t[TEXT] == "'":
                self.take()
                node = N.Transpose(node, span=(start[POS], self.last_end))
            elif t[TEXT] == ".":
                dot = self.take()
                nxt = self.peek()
                if nxt[KIND] == "name" and nxt[TEXT] == "T":
                    self.take()
                    node = N.Transpose(node, span=(start[POS], self.last_end))
                else:
                    raise ExprError(f"'.' {where(dot)} is only allowed in numbers and in '.T' (transpose)",
                                    dot[POS])
            elif t[TEXT] == "^":
                caret = self.take()
                if self.transpose_mark():
                    node = N.Transpose(node, span=(start[POS], self.last_end))
                    continue
                if self.pinv_mark(caret):
                    node = N.Call("pinv", (node,), span=(start[POS], self.last_end))
                    continue
                self.enter(caret)
                if self.peek()[KIND] == "end":
                    raise self.fail(self.peek(), "'^' needs an exponent")
                exp = self.unary()
                self.depth -= 1
                node = N.Pow(node, exp, span=(start[POS], self.last_end))
            else:
                return node

    def transpose_mark(self) -> bool:
        """After '^': consume ``T``, ``\\top`` or ``{T}`` meaning transpose."""
        def is_mark(t: Token) -> bool:
            return (t[KIND] == "cmd" and t[TEXT] == "top") or (
                t[KIND] == "name" and t[TEXT] == "T" and self.table.classify("T") is None)

        if is_mark(self.peek()):
            self.take()
            return True
        if self.at_op("{") and is_mark(self.peek(1)) and self.at_op("}", 2):
            self.take(), self.take(), self.take()
            return True
        t = self.peek()
        if t[KIND] == "name" and len(t[TEXT]) > 1 and t[TEXT][0] == "T" and self.table.classify("T") is None \
                and t[END] - t[POS] == len(t[TEXT]) and self.table.classify(t[TEXT]) is None:
            # LaTeX's superscript takes one character: X^Ta is X^T a
            rest = t[TEXT][1:]
            pieces = [rest] if self.table.classify(rest) is not None else (self.table.split(rest) or [rest])
            at, new = t[POS] + 1, []
            for p in pieces:
                new.append(("name", p, at, at + len(p)))
                at += len(p)
            self.toks[self.i:self.i + 1] = new
            self.last_end = t[POS] + 1
            return True
        return False

    def pinv_mark(self, caret: Token) -> bool:
        """After '^': ``\\dagger``, ``{\\dagger}``, ``†`` or ``{+}``: the pseudo-inverse."""
        k = 1 if self.at_op("{") else 0
        t = self.peek(k)
        mark = (t[KIND] == "cmd" and t[TEXT] == "dagger") or (k == 1 and t[KIND] == "op" and t[TEXT] == "+") or (
            k == 0 and t[KIND] == "op" and t[TEXT] == "+" and self.table.matrix
            and self.peek(1)[KIND] != "num")  # LaTeX's superscript takes one token: X^+ y is X^{+} y
        if not mark or (k == 1 and not self.at_op("}", 2)):
            return False
        if not self.table.matrix:
            raise ExprError(f"a pseudo-inverse ({where(caret)}) applies to matrices; this part's formulas "
                            "are scalars", caret[POS])
        for _ in range(1 + 2 * k):
            self.take()
        return True

    def atom(self) -> N.Node:
        """One operand: number, name, bracketed group, bars, ``\\frac``, ``\\sqrt[n]``, ``\\binom`` or ``⟨u, v⟩``;
        stray ``\\top``/``\\dagger`` get a message saying they must follow '^'."""
        t = self.toks[self.i]
        kind = t[KIND]
        if kind == "name":
            self.i += 1
            self.last_end = t[END]
            return self.name(t)
        if kind == "num":
            self.i += 1
            self.last_end = t[END]
            return N.Num(_number(t), span=(t[POS], t[END]))
        if t[KIND] == "op" and t[TEXT] in CLOSERS:
            self.take()
            self.enter(t)
            if self.at_op(CLOSERS[t[TEXT]]):
                raise ExprError(f"empty '{t[TEXT]}{CLOSERS[t[TEXT]]}' {where(t)}", t[POS])
            saved = self.bars, self.norms
            self.bars = self.norms = 0
            node = self.sum()
            self.bars, self.norms = saved
            self.expect(CLOSERS[t[TEXT]], t)
            self.depth -= 1
            return node
        if t[KIND] == "op" and t[TEXT] in "|‖":
            return self.bars_atom(t)
        if t[KIND] == "cmd" and t[TEXT] == "frac":
            self.take()
            num = self.latex_arg(t)
            den = self.latex_arg(t)
            return N.Bin("/", num, den, span=(t[POS], self.last_end))
        if t[KIND] == "cmd" and t[TEXT] == "sqrt":
            self.take()
            if self.at_op("["):
                bracket = self.take()
                self.enter(bracket)
                index = self.sum()
                self.expect("]", bracket)
                self.depth -= 1
                if self.constant(index) == 0:
                    raise ExprError(f"'\\sqrt[0]' {where(t)} has no meaning: the root's index must not be 0",
                                    t[POS])
                arg = self.latex_arg(t)
                return N.Pow(arg, N.Bin("/", N.Num("1"), index), span=(t[POS], self.last_end))
            return N.Call("sqrt", (self.latex_arg(t),), span=(t[POS], self.last_end))
        if t[KIND] == "cmd" and t[TEXT] == "binom":
            self.take()
            top = self.latex_arg(t)
            bottom = self.latex_arg(t)
            return N.Call("binom", (top, bottom), span=(t[POS], self.last_end))
        if t[KIND] == "op" and t[TEXT] == "⟨":
            return self.inner(t)
        if t[KIND] == "cmd" and t[TEXT] == "top":
            raise ExprError(f"a transpose mark must follow '^' ({where(t)})", t[POS])
        if t[KIND] == "cmd" and t[TEXT] == "dagger":
            raise ExprError(f"a pseudo-inverse mark must follow '^', as in X^\\dagger ({where(t)})", t[POS])
        raise self.fail(t)

    def inner(self, t: Token) -> N.Node:
        """``\\langle u, v \\rangle``: the inner product (u^T v; for matrices tr(A^T B))."""
        if not self.table.matrix:
            raise ExprError(f"an inner product ⟨u, v⟩ ({where(t)}) needs vectors; this part's formulas "
                            "are scalars: write the product", t[POS])
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
        return N.Call("inner", (left, right), span=(t[POS], self.last_end))

    def bars_atom(self, t: Token) -> N.Node:
        """``|x|``, ``‖x‖``, ``||x||`` (a norm, not abs(abs(x))) and ``‖x‖_2`` / ``‖A‖_F``."""
        self.take()
        self.enter(t)
        if t[TEXT] == "|":
            self.bars += 1
        else:
            self.norms += 1
        node = self.sum()
        self.expect(t[TEXT], t)
        if t[TEXT] == "|":
            self.bars -= 1
        else:
            self.norms -= 1
        self.depth -= 1
        # ||x||: the inner bars are part of the norm sign (|x|_2 inside stays as written)
        doubled = self.bar_nodes.get(id(node)) is node and node.fn in ("abs", "norm")
        if doubled:
            node = node.args[0]
        matrix = self.table.matrix
        fn = "norm" if matrix and (t[TEXT] == "‖" or doubled) else "abs"
        if self.peek()[KIND] == "sub":
            fn = self.norm_kind(self.take())
        out = N.Call(fn, (node,), span=(t[POS], self.last_end))
        self.bar_nodes[id(out)] = out
        return out

    def norm_kind(self, sub: Token) -> str:
        """The function a norm's subscript asks for: _2 (a vector's length, a matrix's spectral
        norm) or _F (Frobenius, where matrices are allowed)."""
        if sub[TEXT] == "2":
            return "norm2" if self.table.matrix else "abs"
        if sub[TEXT] in ("F", "fro"):
            if not self.table.matrix:
                raise ExprError(f"the Frobenius norm '_{sub[TEXT]}' {where(sub)} applies to matrices; "
                                "this part's formulas are scalars: write |x| or abs(x)", sub[POS])
            return "norm"
        norm = "\\infty" if sub[TEXT] == "infty" else sub[TEXT]
        raise ExprError(f"only the 2-norm is supported here (\\|v\\|_2, or \\|A\\|_F for a matrix's "
                        f"Frobenius norm), not the norm '_{norm}' {where(sub)}", sub[POS])

    @staticmethod
    def constant(node: N.Node) -> float | None:
        """The numeric value of a constant sub-formula, or None (used to reject ``\\sqrt[0]``)."""
        from grader.expr.numeric import constant_value

        return constant_value(node)

    def latex_arg(self, cmd: Token) -> N.Node:
        """A ``{group}`` or a single token: ``\\frac{a}{b}``, ``\\frac12``, ``\\sqrt x``."""
        t = self.peek()
        if t[KIND] == "num" and len(t[TEXT]) > 1 and t[TEXT].isdigit():
            # \frac12 reads as \frac{1}{2}: split the digits
            self.toks[self.i] = ("num", t[TEXT][1:], t[POS] + 1, t[END])
            self.last_end = t[POS] + 1
            return N.Num(t[TEXT][0], span=(t[POS], t[POS] + 1))
        if t[KIND] in ("num", "name") or (t[KIND] == "op" and t[TEXT] in CLOSERS):
            return self.atom()
        raise self.fail(t, f"'\\{cmd[TEXT]}' needs an argument in braces")

    def name(self, t: Token) -> N.Node:
        """A name token as the part declares it (variable, constant, identity or function); unknown names raise
        ExprError listing the part's variables or allowed functions."""
        kind = self.table.classify(t[TEXT])
        if kind is not None and kind[0] == "sym":  # the common case first
            return N.Sym(kind[1], span=(t[POS], t[END]))
        span = (t[POS], t[END])
        if kind is None and t[TEXT].startswith("log_"):
            return self.log_base(t)
        if kind is None and self.table.matrix and t[TEXT] == "I_1":
            raise ExprError(f"'I_1' {where(t)} would be a 1×1 identity, the number 1; write I for an identity "
                            f"whose size the formula decides, or I_n with a dimension "
                            f"({', '.join(self.table.dims) or 'none declared'})", t[POS])
        if kind is None:
            if self.at_op("("):
                word = t[TEXT] if len(t[TEXT]) <= 40 else t[TEXT][:37] + "..."
                raise ExprError(f"unknown function '{word}' {where(t)}; allowed functions: "
                                f"{', '.join(sorted(set(self.table.functions.values())))}", t[POS])
            word = t[TEXT] if len(t[TEXT]) <= 40 else t[TEXT][:37] + "..."
            raise ExprError(f"unknown symbol '{word}' {where(t)}; this part's variables are "
                            f"{self.table.names_text()}", t[POS])
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
        base = t[TEXT][4:]
        named = {"10": "log10", "2": "log2", "e": "log"}
        if base in named and (base != "e" or "e" in self.table.constants()):
            return self.call(named[base], t)
        if base.replace(".", "", 1).isdigit():
            base_node = N.Num(base, span=(t[POS], t[END]))
        else:
            kind = self.table.classify(base)
            if kind is None or kind[0] not in ("sym", "const"):
                raise ExprError(f"unknown base '{base}' of the logarithm {where(t)}; this part's variables "
                                f"are {self.table.names_text()}", t[POS])
            base_node = N.Sym(kind[1], span=(t[POS], t[END])) if kind[0] == "sym" else N.Const(kind[1], span=(t[POS], t[END]))
        value = self.call("log", t)
        return N.Bin("/", value, N.Call("log", (base_node,), span=value.span), span=(t[POS], self.last_end))

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
                raise ExprError(f"{fn}() needs an argument {where(opener)}", opener[POS])
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
                raise ExprError(f"{fn}(...) needs at least two arguments {where(t)}", t[POS])
        elif fn in BINARY:
            if len(args) != 2:
                raise ExprError(f"{fn}(...) takes two arguments, got {len(args)} {where(t)}", t[POS])
        elif len(args) != 1:
            raise ExprError(f"{fn}(...) takes one argument, got {len(args)} {where(t)}", t[POS])
        node = N.Call(fn, tuple(args), span=(t[POS], self.last_end))
        return N.Pow(node, power, span=node.span) if power is not None else node


def _number(t: Token) -> str:
    text = t[TEXT]
    if len(text) <= MAX_NUMBER_EXP10 and "e" not in text and "E" not in text:  # the common case: nothing to check
        return text
    if "e" in text.lower():
        mant, _, exp = text.lower().partition("e")
        if abs(int(exp)) > MAX_NUMBER_EXP10:
            raise ExprError(f"the number {text} {where(t)} is out of range", t[POS])
    digits = len(text.split(".")[0].split("e")[0].lstrip("0"))
    if digits > MAX_NUMBER_EXP10:
        raise ExprError(f"the number {text[:20]}... {where(t)} is out of range", t[POS])
    return text
