"""Student text made safe to write: valid Unicode for files, inert for terminals.

JSON can carry a lone UTF-16 surrogate ("\\ud800") and file names can hold undecodable bytes;
neither can be encoded as UTF-8, so every report would crash on them. And a terminal obeys the
escape sequences (ESC, CR, backspace...) in what it prints, so an id or an answer could rewrite
what a TA sees.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls, DEL, and the invisible bidirectional overrides (they reorder a line).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def has_surrogate(text: str) -> bool:
    """Whether the text holds a lone surrogate (a JSON "\\ud800" or undecodable file-name bytes), which UTF-8 cannot encode."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def scrub(value: Any) -> tuple[Any, bool]:
    """`value` with every lone surrogate replaced by U+FFFD (keys too); True if any was."""
    if isinstance(value, str):
        if has_surrogate(value):
            return _SURROGATE.sub(REPLACEMENT, value), True
        return value, False
    if isinstance(value, list):
        items = [scrub(v) for v in value]
        if any(changed for _, changed in items):
            return [v for v, _ in items], True
        return value, False
    if isinstance(value, dict):
        pairs = [(scrub(k), scrub(v)) for k, v in value.items()]
        if any(kc or vc for (_, kc), (_, vc) in pairs):
            return {k: v for (k, _), (v, _) in pairs}, True
        return value, False
    return value, False


def _escape(match: re.Match) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: Any, *, keep_newlines: bool = False) -> str:
    """Control characters shown as escapes (`\\e`, `\\r`, `\\x07`, `\\u202e`), never obeyed."""
    text = str(text)
    if text.isprintable() and text.isascii():
        return text
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_escape, line) for line in text.split("\n"))
    return _CONTROL.sub(_escape, text)
