"""A student's answer as safe pieces for the page: text (shown with textContent, math typeset
in the browser by KaTeX) and code (highlighted here by Pygments, which escapes it).

Nothing a student wrote ever reaches the page as markup: text pieces are plain strings that
the page inserts as text, and code pieces are Pygments' escaped HTML.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
MAX_SHOWN = 20_000


def _looks_like_code(text: str) -> bool:
    lines = text.splitlines()
    if len(lines) < 2:
        return False
    starts = ("def ", "import ", "from ", "class ", "for ", "return ", "    ", "\t", "#include", "if ")
    return sum(1 for ln in lines if ln.startswith(starts)) >= max(2, len(lines) // 3)


def highlight(code: str, language: str = "") -> str:
    """Code as highlighted HTML (Pygments escapes it); unknown languages fall back to Python."""
    from pygments import highlight as _highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language) if language else PythonLexer()
    except ClassNotFound:
        lexer = PythonLexer()
    return _highlight(code, lexer, HtmlFormatter(nowrap=False, cssclass="code"))


def pieces(answer: Any) -> list[dict[str, str]]:
    """[{kind: text|code|empty, text|html}] for one answer."""
    if answer is None:
        return [{"kind": "empty", "text": "(no answer)"}]
    text = answer if isinstance(answer, str) else json.dumps(answer, indent=1, ensure_ascii=False)
    if len(text) > MAX_SHOWN:
        text = text[:MAX_SHOWN] + f"\n... [{len(text) - MAX_SHOWN} more characters]"
    if not text.strip():
        return [{"kind": "empty", "text": "(empty answer)"}]
    out: list[dict[str, str]] = []
    pos = 0
    for m in _FENCE.finditer(text):
        if m.start() > pos:
            out.append({"kind": "text", "text": text[pos:m.start()]})
        out.append({"kind": "code", "html": highlight(m.group(2), m.group(1))})
        pos = m.end()
    if pos < len(text):
        rest = text[pos:]
        if not out and _looks_like_code(rest):
            out.append({"kind": "code", "html": highlight(rest)})
        else:
            out.append({"kind": "text", "text": rest})
    return out


def code_css() -> str:
    """The stylesheet for :func:`highlight`'s HTML (the app serves it as a file of its own)."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(cssclass="code").get_style_defs(".code")
