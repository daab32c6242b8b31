"""LaTeX math as students write it, turned into the plain text the numeric readers take.

Students answer in LaTeX mixed with prose ("output shape would be $[32, 128, 26, 26]$",
"$\\frac{1}{3}\\begin{bmatrix} 1 \\\\ 100 \\end{bmatrix}$", "$r_d = 15$"). Number, array,
shape and option-label answers read that text through :func:`plain_math`: the last math
segment when the text mixes prose and math, the value after the last ``=`` (or ``\\approx``,
``\\Rightarrow``), ``\\frac{a}{b}`` as ``(a)/(b)``, matrices as nested lists. Nothing here
evaluates anything: the result is text for the whitelisting readers of :mod:`numeric`.
"""

from __future__ import annotations

import re

MAX_LATEX = 100_000

# $$...$$, \[...\], \(...\), $...$ (in that order of precedence)
_MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<!\\)\$(.+?)(?<!\\)\$", re.S)
_ENV = re.compile(r"\\begin\{([a-zA-Z]*matrix\*?|array)\}(\{[^{}]*\})?(.*?)\\end\{\1\}", re.S)
_FINAL = re.compile(r"=|\\approx\b|\\Rightarrow\b|\\implies\b|\\to\b|\\rightarrow\b|\\equiv\b|\\simeq\b")
_DROP = re.compile(r"\\(left|right|big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|displaystyle|textstyle|"
                   r"quad|qquad|lfloor|rfloor|lceil|rceil)(?![A-Za-z])|\\[,;:! ]|~")
_WRAP = re.compile(r"\\(text|textbf|textit|textrm|mathrm|mathbf|mathit|mathsf|mathcal|boldsymbol|bm|"
                   r"operatorname|mbox|underline|overline|boxed|fbox)\s*\{([^{}]*)\}")
_PROSE = re.compile(r"\\(text|textit|textrm|mbox|intertext)\s*\{[^{}]*[A-Za-z]{2}[^{}]*\}")
_SYMBOLS = {r"\times": " × ", r"\cdot": " * ", r"\ast": " * ", r"\div": " / ", r"\pi": " pi ",
            r"\infty": " inf ", r"\%": "%", r"\{": "(", r"\}": ")", r"\lbrack": "[",
            r"\rbrack": "]", r"\lparen": "(", r"\rparen": ")", r"\colon": ":", r"\dots": "",
            r"\ldots": "", r"\cdots": ""}


def has_latex(text: str) -> bool:
    return "\\" in text or "$" in text


def math_segments(text: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in _MATH.finditer(text)]


def final_math(text: str) -> str:
    """The last math segment of text that mixes prose and math; the text itself otherwise."""
    if "$" not in text and "\\[" not in text and "\\(" not in text:
        return text
    segments = math_segments(text)
    return segments[-1] if segments else text


_STEP = re.compile(r"\\(?:therefore|because|Rightarrow|rightarrow|implies|Longrightarrow|longrightarrow)"
                   r"(?![A-Za-z])")


def final_step(text: str) -> str:
    """The last step of a derivation written with \\therefore, \\Rightarrow, \\implies...:
    "(1 - 2\\eta\\tilde\\lambda) w_0 = ... \\rightarrow \\tilde{\\lambda} = \\frac{\\lambda}{2\\eta}"."""
    if "\\" not in text or len(text) > MAX_LATEX:
        return text
    depth, last = 0, None
    for m in re.finditer(r"[{}()\[\]]|" + _STEP.pattern, text):
        tok = m.group(0)
        if tok in "{([":
            depth += 1
        elif tok in "})]":
            depth -= 1
        elif depth == 0:
            last = m
    if last is None:
        return text
    rest = text[last.end():].strip()
    return rest or text


def strip_math(text: str) -> str:
    """Math delimiters and text wrappers removed, nothing else: "$C$ and $D$" -> "C and D"."""
    if not has_latex(text) or len(text) > MAX_LATEX:
        return text
    body = _MATH.sub(lambda m: next(g for g in m.groups() if g is not None), text)
    body = _DROP.sub(" ", body)
    for _ in range(8):
        new = _WRAP.sub(r"\2", body)
        if new == body:
            break
        body = new
    return " ".join(body.split())


def plain_math(text: str) -> str:
    """Plain text for the number, array, shape and label readers (unchanged without LaTeX)."""
    if not has_latex(text) or len(text) > MAX_LATEX:
        return text
    body = final_math(text)
    body = _final_value(body)
    body = _matrices(body)  # before the spacing commands: "\\\\ " ends a row
    body = _PROSE.sub(" ", body)  # "\\text{so the field is } 15": words inside math are prose
    body = _DROP.sub(" ", body)
    for _ in range(8):  # \text{\textbf{B}} and the like: innermost first
        new = _WRAP.sub(r"\2", body)
        if new == body:
            break
        body = new
    body = _fractions(body)
    for symbol, plain in _SYMBOLS.items():
        body = body.replace(symbol, plain)
    body = re.sub(r"\^\s*\{([^{}]*)\}", r"^(\1)", body)
    body = re.sub(r"\{,\}", "", body)  # 1{,}000
    body = body.replace("{", "(").replace("}", ")")
    return " ".join(body.split())


def _final_value(body: str) -> str:
    """The value after the last top-level '=' (or \\approx...): a derivation's result."""
    depth, last = 0, None
    for m in re.finditer(r"[{}()\[\]]|" + _FINAL.pattern, body):
        tok = m.group(0)
        if tok in "{([":
            depth += 1
        elif tok in "})]":
            depth -= 1
        elif depth == 0:
            last = m
    if last is None:
        return body
    rest = body[last.end():].strip()
    return rest or body


def _matrices(body: str) -> str:
    """\\begin{bmatrix} a & b \\\\ c & d \\end{bmatrix} -> [[a, b], [c, d]]; a leading scalar
    factor (\\frac{1}{3} \\begin{bmatrix}...) multiplies every cell; one row or one column is a
    vector."""
    for _ in range(4):
        m = _ENV.search(body)
        if m is None:
            return body
        rows = [r for r in re.split(r"\\\\(?:\[[^\]]*\])?", m.group(3)) if r.strip()
                and not re.fullmatch(r"\s*\\hline\s*", r)]
        table = [[c.strip() for c in re.sub(r"\\hline", "", r).split("&")] for r in rows]
        before = body[:m.start()]
        factor = before.strip()
        if factor and len(factor) <= 60 and not re.search(r"[\[\],;]", factor):
            factor_text = _fractions(factor).replace("{", "(").replace("}", ")")
            table = [[f"({factor_text})*({_fractions(c)})" for c in row] for row in table]
            before = ""
        if len(table) == 1:
            cells = table[0]
        elif all(len(row) == 1 for row in table):
            cells = [row[0] for row in table]
        else:
            cells = None
        if cells is not None:
            text = "[" + ", ".join(cells) + "]"
        else:
            text = "[" + ", ".join("[" + ", ".join(row) + "]" for row in table) + "]"
        body = before + text + body[m.end():]
    return body


def _fractions(body: str) -> str:
    """\\frac{a}{b} -> ((a)/(b)), \\sqrt{x} -> sqrt(x), nested, without evaluating."""
    for _ in range(50):
        m = re.search(r"\\[dtc]?frac\s*", body)
        s = re.search(r"\\sqrt\s*", body)
        if m is None and s is None:
            return body
        if m is not None and (s is None or m.start() < s.start()):
            a, end_a = _group(body, m.end())
            b, end_b = _group(body, end_a) if a is not None else (None, 0)
            if a is None or b is None:
                return body
            body = body[:m.start()] + f"(({a})/({b}))" + body[end_b:]
        else:
            a, end_a = _group(body, s.end())
            if a is None:
                return body
            body = body[:s.start()] + f"sqrt({a})" + body[end_a:]
    return body


def _group(body: str, i: int) -> tuple[str | None, int]:
    """A {...} group (or a single character) starting at i: (its text, the index after it)."""
    while i < len(body) and body[i] == " ":
        i += 1
    if i >= len(body):
        return None, i
    if body[i] != "{":
        return body[i], i + 1
    depth = 0
    for j in range(i, len(body)):
        if body[j] == "{":
            depth += 1
        elif body[j] == "}":
            depth -= 1
            if depth == 0:
                return body[i + 1:j], j + 1
    return None, i
