"""LaTeX written in JSON strings with single backslashes, read as the student meant it.

In JSON, ``"\\frac{a}{b}"`` decodes to a form feed followed by ``rac{a}{b}`` and ``"\\sigma"``
makes the whole file invalid ("Invalid \\escape"). Before decoding, :func:`repair` doubles
the backslash of

- every escape JSON does not have (``\\s``, ``\\m``, ``\\{``, ``\\,``, ``\\u`` not followed by
  four hex digits...), and
- ``\\b``, ``\\f``, ``\\n``, ``\\r``, ``\\t`` when the letters that follow complete a LaTeX
  command (``\\frac``, ``\\beta``, ``\\theta``, ``\\nabla``, ``\\rho``...): ``"line\\nnext"`` stays
  a new line, ``"\\nabla"`` becomes the command.

Each repair is reported (file, line, part) with the fix, so nothing happens silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# LaTeX commands that start with b, f, n, r or t: the only letters whose JSON escape is valid
# and so would silently turn into a control character.
COMMANDS = frozenset("""
    b bar backslash because begin beta bf big bigcap bigcup bigg biggl biggr bigl bigodot
    bigoplus bigotimes bigr bigsqcup bigstar bigtriangledown bigtriangleup biguplus bigvee
    bigwedge binom bm bmod boldsymbol bot bowtie box boxed boxdot boxminus boxplus boxtimes
    breve bullet
    fbox flat footnote forall frac frown framebox footnotesize
    nabla natural ne nearrow neg neq nexists ngeq ni nleq nmid nolimits noindent nonumber
    norm normalsize not notin nparallel nsubseteq nu nwarrow newline newcommand
    rangle rbrace rbrack rceil rfloor rho rightarrow right rightharpoonup rightleftharpoons
    rm rmoustache rvert rVert raisebox rule
    tag tan tanh tau text textbf textit textnormal textrm textsc textsf textstyle texttt
    textcolor tfrac therefore theta thinspace tilde times tiny to top trace tr triangle
    triangledown triangleleft triangleq triangleright twoheadrightarrow
""".split())
_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|[bfnrt][A-Za-z]*|["\\/]|.?)', re.S)
_LETTERS = re.compile(r"[A-Za-z]*")
MAX_DETAILED = 500  # repairs whose part is looked up; later ones only counted by line
_KEY = re.compile(r'"((?:[^"\\\n]|\\.){1,80})"\s*:')


MAX_REPAIRS = 20_000  # no answers file needs more; a file with more is refused, saying why


class TooManyRepairs(ValueError):
    """More single backslashes than any answers file holds: not read (hostile or not JSON)."""


@dataclass(frozen=True)
class Repair:
    """One single backslash doubled in an answers file, recorded so the student is told where."""
    line: int
    command: str   # what followed the backslash, e.g. "frac" or "s"
    part: str | None  # the key the string belongs to, when it can be told


# With its escaped backslashes (pairs, read from the left as JSON does) made spaces, every
# backslash left starts an escape. A text needs no repair when each is valid JSON and none is \b (a LaTeX
# command too) or \f \n \r \t running on into letters: one regex search (most files are so).
_MAYBE_REPAIR = re.compile(r'\\(?!u[0-9a-fA-F]{4}|["/]|[fnrt](?![A-Za-z]))')


# A \uD800-\uDFFF escape: the only way JSON makes a lone surrogate (strict UTF-8 decoding
# refuses an encoded one).
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_LOOKED_AT_MOST = 16  # escapes looked at one by one; past these, a search of the rest is cheaper


def escape_check(text: str) -> tuple[bool, bool]:
    """(whether repair() has an escape to look at, whether decoding may make a lone surrogate).

    With the escaped backslashes made spaces (as in repair), every backslash left starts an
    escape; a class's files hold none, one or two, each looked at where it is (two searches of
    the whole text cost more). A text with many is searched as a whole from the first few on."""
    if "\\" not in text:
        return False, False
    plain = text.replace("\\\\", " ")
    scan = surrogate = False
    at, looked = plain.find("\\"), 0
    while at >= 0 and not (scan and surrogate):
        if looked == _LOOKED_AT_MOST:
            return (scan or _MAYBE_REPAIR.search(plain, at) is not None,
                    surrogate or SURROGATE_ESCAPE.search(plain, at) is not None)
        scan = scan or _MAYBE_REPAIR.match(plain, at) is not None
        surrogate = surrogate or SURROGATE_ESCAPE.match(plain, at) is not None
        at, looked = plain.find("\\", at + 1), looked + 1
    return scan, surrogate


def repair(text: str) -> tuple[str, list[Repair]]:
    """The text with LaTeX backslashes doubled, and where that was done."""
    if "\\" not in text or _MAYBE_REPAIR.search(text.replace("\\\\", " ")) is None:
        return text, []
    out: list[str] = []
    fixes: list[Repair] = []
    pos = 0
    line, counted = 1, 0  # line numbers counted incrementally: a hostile file may hold millions
    for m in _ESCAPE.finditer(text):
        body = m.group(1)
        if body[:1] in ("u", '"', "\\", "/") and (len(body) == 5 or body[:1] != "u"):
            continue  # a valid JSON escape
        if body[:1] in ("b", "f", "n", "r", "t"):
            if body not in COMMANDS:
                continue  # "\n" then a word: a real new line (or tab...) in free text
            shown = body
        elif body[:1] == "u":
            shown = "u" + _LETTERS.match(text, m.end(), m.end() + 40).group(0)
        else:
            shown = body + (_LETTERS.match(text, m.end(), m.end() + 40).group(0) if body.isalpha() else "")
        if body in ("", "\n", "\r"):
            continue  # a backslash at the end or before a raw line break: json reports it
        out.append(text[pos:m.start()])
        out.append("\\\\")
        pos = m.start() + 1
        if len(fixes) >= MAX_REPAIRS:
            raise TooManyRepairs(f"more than {MAX_REPAIRS} single backslashes that JSON cannot read as "
                                 f"written; write \\\\ for each backslash, or use answers.md")
        line += text.count("\n", counted, m.start())
        counted = m.start()
        part = _part_at(text, m.start()) if len(fixes) < MAX_DETAILED else None
        fixes.append(Repair(line, shown, part))
    if not fixes:
        return text, []
    out.append(text[pos:])
    return "".join(out), fixes


def _part_at(text: str, pos: int) -> str | None:
    """The nearest "key": before pos on the same line or the lines above (a template's layout)."""
    start = max(0, pos - 4000)
    keys = list(_KEY.finditer(text, start, pos))
    return keys[-1].group(1) if keys else None


def describe(name: str, fixes: list[Repair], limit: int = 8) -> list[str]:
    """One message per part (or line), naming the commands and showing the fix."""
    groups: dict[tuple, list[Repair]] = {}
    for fix in fixes:
        groups.setdefault((fix.part, fix.line if fix.part is None else 0), []).append(fix)
    messages = []
    for (part, _), items in list(groups.items())[:limit]:
        commands = []
        for fix in items:
            if fix.command not in commands:
                commands.append(fix.command)
        shown = ", ".join("\\" + c for c in commands[:6]) + (", ..." if len(commands) > 6 else "")
        where = f"line {items[0].line}" + (f", part {part}" if part else "")
        first = commands[0]
        messages.append(
            f"{name} {where}: read {shown} as LaTeX with the backslash kept and graded it; in JSON a "
            f"single backslash starts an escape (\\{first[:1]} would be "
            f"{_meaning(first)}): write \\\\{first} in JSON, or use answers.md")
    if len(groups) > limit:
        messages.append(f"{name}: {len(groups) - limit} more part(s) had LaTeX backslashes read the same way")
    return messages


def _meaning(command: str) -> str:
    return {"b": "a backspace", "f": "a form feed", "n": "a new line", "r": "a carriage return",
            "t": "a tab"}.get(command[:1], "an invalid escape that makes the whole file unreadable")
