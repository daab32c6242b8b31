"""LaTeX normalization of the token stream: commands become names or operators.

After this pass the only commands left are the structural ones the parser handles
(``frac``, ``sqrt``, ``top``); ``\\lambda_{\\min}`` has become the single name
``lambda_min``, ``\\left(`` is ``(``, ``\\cdot`` is ``*`` and ``\\mathbf{X}`` is ``X``.
"""

from __future__ import annotations

from grader.expr.errors import ExprError
from grader.expr.tokens import END, KIND, POS, TEXT, Token, where

GREEK_COMMANDS = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
    "Omega", "ell",
}
GREEK_VARIANTS = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi",
                  "varrho": "rho", "varsigma": "sigma", "varpi": "pi"}
IGNORED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
           "biggl", "biggr", "Biggl", "Biggr", "middle", "quad", "qquad", "displaystyle",
           "textstyle", "limits", "nolimits", "mathopen", "mathclose",
           "rm", "bf", "it", "sf", "tt", "scriptstyle", "therefore", "because", "hfill"}  # old font switches: {\\rm T} is T
OPERATORS = {"cdot": "*", "times": "*", "ast": "*", "star": "*", "div": "/", "odot": "⊙",
             "lvert": "|", "rvert": "|", "vert": "|", "lVert": "‖", "rVert": "‖", "Vert": "‖",
             "lbrace": "(", "rbrace": ")", "lbrack": "[", "rbrack": "]", "lparen": "(",
             "rparen": ")", "langle": "⟨", "rangle": "⟩"}
FUNCTIONS = {"exp", "log", "ln", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin",
             "arccos", "arctan", "det", "min", "max", "tr", "lg"}
STRUCTURAL = {"frac": "frac", "dfrac": "frac", "tfrac": "frac", "cfrac": "frac",
              "sqrt": "sqrt", "top": "top", "intercal": "top", "T": "top",
              "dagger": "dagger", "binom": "binom", "dbinom": "binom", "tbinom": "binom"}
WRAPPERS = {"mathbf", "boldsymbol", "bm", "mathrm", "mathit", "mathsf", "mathnormal", "pmb",
            "vec", "operatorname", "text", "textrm", "textbf", "textit", "mathbb", "mathcal",
            "mathtt", "texttt"}
DECORATIONS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde",
               "bar": "bar", "overline": "bar", "dot": "dot", "ddot": "ddot"}


def known(name: str) -> bool:
    """Whether ``\\name`` is a command of our subset (anything else is refused by name)."""
    return name == "infty" or any(name in group for group in (
        IGNORED, GREEK_COMMANDS, GREEK_VARIANTS, OPERATORS, FUNCTIONS, STRUCTURAL, WRAPPERS, DECORATIONS))


def normalize(tokens: list[Token]) -> list[Token]:
    """Rewrite LaTeX commands, then glue subscripts onto the names they follow."""
    return merge_subscripts(read_commands(tokens))


# The commands that become one token (or none) whatever follows them, by the first of the
# groups above that holds them (the order of read_commands' tests): None drops the command.
_SIMPLE: dict[str, tuple[str, str] | None] = {}
for _name in IGNORED:
    _SIMPLE.setdefault(_name, None)
for _name in GREEK_COMMANDS | set(GREEK_VARIANTS):
    _SIMPLE.setdefault(_name, ("name", GREEK_VARIANTS.get(_name, _name)))
for _name, _op in OPERATORS.items():
    _SIMPLE.setdefault(_name, ("op", _op))
for _name in FUNCTIONS:
    _SIMPLE.setdefault(_name, ("name", _name))
_SIMPLE.setdefault("infty", ("op", "∞"))  # refused by the parser, except as a norm's subscript
for _name, _cmd in STRUCTURAL.items():
    _SIMPLE.setdefault(_name, ("cmd", _cmd))
_NOT_SIMPLE = ("", "")


def read_commands(tokens: list[Token]) -> list[Token]:
    """The tokens with every command read (a name, an operator, a structural command, a
    wrapper's or decoration's argument as one name); an unknown command raises ExprError."""
    at = [k for k, t in enumerate(tokens) if t[KIND] == "cmd"]
    if not at:
        return tokens
    out: list[Token] = []
    i = 0
    for k in at:
        if k < i:  # inside the argument of a command already read
            continue
        out += tokens[i:k]
        t = tokens[k]
        _, name, pos, end = t
        simple = _SIMPLE.get(name, _NOT_SIMPLE)
        if simple is None:
            i = k + 1
        elif simple is not _NOT_SIMPLE:
            out.append((simple[0], simple[1], pos, end))
            i = k + 1
        elif name in WRAPPERS or name in DECORATIONS:
            inner, i = _argument(tokens, k + 1, t)
            if len(inner) != 1 or inner[0][KIND] not in ("name", "num"):  # (\mathbf{w}: nothing to rewrite)
                inner = read_commands(inner)
                if name in DECORATIONS:
                    inner = merge_subscripts(inner)
            word = _as_word(inner)
            if word is not None:
                if name in DECORATIONS:
                    word = decorate(word, DECORATIONS[name])
                out.append(("name", word, pos, inner[-1][END] if inner else end))
            elif name in DECORATIONS:
                raise ExprError(f"'\\{name}' must decorate a single name ({where(t)})", pos)
            else:
                out.append(("op", "(", pos, end))
                out.extend(inner)
                out.append(("op", ")", end, end))
        else:
            raise ExprError(f"unsupported LaTeX command '\\{name}' ({where(t)})", pos)
    out += tokens[i:]
    return out


def _argument(tokens: list[Token], i: int, cmd: Token) -> tuple[list[Token], int]:
    """The brace group (or single token) after a command, without the braces."""
    if i >= len(tokens) or tokens[i][KIND] == "end":
        raise ExprError(f"'\\{cmd[TEXT]}' needs an argument ({where(cmd)})", cmd[POS])
    if tokens[i][TEXT] == "{" and tokens[i][KIND] == "op":
        depth, j, n = 0, i, len(tokens)
        if j + 2 < n and tokens[j + 1][KIND] in ("name", "num") and tokens[j + 2][TEXT] == "}" and \
                tokens[j + 2][KIND] == "op":  # the common {w}, as the loop below finds it
            return tokens[j + 1:j + 2], j + 3
        while j < n:
            kind, text, _, _ = tokens[j]
            if kind == "end":
                break
            if text == "{" and kind == "op":
                depth += 1
            elif text == "}" and kind == "op":
                depth -= 1
                if depth == 0:
                    return tokens[i + 1:j], j + 1
            j += 1
        raise ExprError(f"missing '}}' after '\\{cmd[TEXT]}{{' ({where(cmd)})", cmd[POS])
    return [tokens[i]], i + 1


def _as_word(tokens: list[Token]) -> str | None:
    """Adjacent names and digits (``\\text{tr}``, ``\\mathbf{w}_0``'s ``w``) as one word."""
    if len(tokens) == 1:  # most arguments: \mathbf{X}, \tilde{\lambda}
        return tokens[0][TEXT] if tokens[0][KIND] == "name" else None
    if tokens and all(t[KIND] in ("name", "num") for t in tokens) and tokens[0][KIND] == "name":
        return "".join(t[TEXT] for t in tokens)
    return None


def decorate(word: str, accent: str) -> str:
    """The accent goes on the base name, before its subscript: \\hat{w_0} and \\hat{w}_0 are w_hat_0."""
    base, sep, sub = word.partition("_")
    return f"{base}_{accent}{sep}{sub}"


def merge_subscripts(tokens: list[Token]) -> list[Token]:
    """``name _ {text}`` / ``name _ x`` -> one name ``name_text``.

    After a norm's closing bar (``\\|v\\|_2``, also ``\\|v\\|^2_2``) the subscript becomes a
    ``sub`` token placed right after the bar, for the parser to read as the kind of norm.
    """
    at = [k for k, t in enumerate(tokens) if t[TEXT] == "_" and t[KIND] == "op"]
    if not at:  # most texts: nothing to glue
        return tokens
    out: list[Token] = []
    i = 0
    for k in at:
        if k < i:  # inside a subscript already read
            continue
        out += tokens[i:k]
        t = tokens[k]
        if k + 1 >= len(tokens) or tokens[k + 1][KIND] == "end":
            raise ExprError(f"'_' {where(t)} needs a subscript after it, as in w_0", t[POS])
        sub, i = _argument(tokens, k + 1, ("cmd", "_", t[POS], t[END]))
        text = "".join([_sub_text(s) for s in sub])
        if not text:
            raise ExprError(f"empty subscript ({where(t)})", t[POS])
        bar = _closing_bar(out)
        if bar is not None:
            out.insert(bar + 1, ("sub", text, t[POS], sub[-1][END]))
            continue
        if not out or out[-1][KIND] != "name":
            raise ExprError(f"unexpected '_' {where(t)}: a subscript must follow a name, as in w_0", t[POS])
        base = out.pop()
        out.append(("name", f"{base[TEXT]}_{text}", base[POS], sub[-1][END]))
    out += tokens[i:]
    return out


def _closing_bar(out: list[Token]) -> int | None:
    """Index of the bar a subscript belongs to: ``|`` / ``‖`` last, or before a ``^k`` / ``^{...}``."""
    def is_bar(k: int) -> bool:
        return k >= 0 and out[k][KIND] == "op" and out[k][TEXT] in "|‖"

    k = len(out) - 1
    if is_bar(k):
        return k
    if k >= 2 and out[k][KIND] == "num" and out[k - 1][TEXT] == "^" and is_bar(k - 2):
        return k - 2
    if k >= 0 and out[k][KIND] == "op" and out[k][TEXT] == "}":
        depth = 0
        while k >= 0:
            if out[k][KIND] == "op" and out[k][TEXT] in "{}":
                depth += 1 if out[k][TEXT] == "}" else -1
                if depth == 0:
                    break
            k -= 1
        if k >= 2 and out[k - 1][KIND] == "op" and out[k - 1][TEXT] == "^" and is_bar(k - 2):
            return k - 2
    return None


def _sub_text(t: Token) -> str:
    kind, text, pos, _ = t
    if kind == "op" and text in "{}":
        return ""
    if kind == "end":
        raise ExprError("unfinished subscript at the end of the formula", pos)
    return "infty" if text == "∞" else text
