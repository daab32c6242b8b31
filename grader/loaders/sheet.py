"""What the answer-sheet readers (answers.md, answers.tex) share: blocks with line numbers,
the answer a block holds, and Python code written in a sheet.

A block is one part's answer: its id, the line it starts on, its text. An empty block (an
unfilled template) is no answer. A block whose Python code defines a function or class is
also code: the sheet's code blocks become one module, with every line at its line number in
the sheet so that errors point at the sheet's own lines.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.loaders.json_file import read_bounded_text

# A part id as students write it: "2.2.1.a", "Q1.a.i", "neatness", "3.1." (a trailing dot goes)
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,79}")
MAX_BLOCKS = 2000
MAX_PROBLEMS = 50  # reported problems of one sheet; past that the rest of the file is not read


@dataclass
class Block:
    """One part's answer found in a sheet, with its line (for messages) and any Python code blocks."""
    part: str
    line: int
    value: Any  # text, or a list of ticked option labels
    code: list[tuple[int, str]] = field(default_factory=list)  # (first line, python source)


@dataclass
class Sheet:
    """What a sheet reader found: answer blocks, and problems to tell the student."""
    blocks: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # line-numbered, for the student


def read_text(path: Path) -> str:
    """The sheet's text, bounded and decoded like a JSON answers file."""
    text = read_bounded_text(path, what="answer sheets")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_id(text: str) -> str | None:
    """'2.2.1.a', 'Part 3.1:', '**Q1.a.i**' -> the id; None when nothing looks like one."""
    text = re.sub(r"[*_`]+", "", text).strip()
    text = re.sub(r"^(?:part|question|problem|exercise)\s+", "", text, flags=re.I)
    m = ID.match(text)
    if not m:
        return None
    return m.group(0).rstrip(".-_") or None


def python_defines(source: str) -> bool | None:
    """Whether code defines a function or class at top level; None when it does not parse
    (parsing is not running: the code itself only ever runs in the sandbox)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body)


def code_module(sheet: Sheet, n_lines: int) -> str | None:
    """The sheet's code blocks as one module, each line at its line number; None if no code."""
    chunks = [(line, src) for b in sheet.blocks for line, src in b.code]
    chunks = [(line, src) for line, src in chunks
              if python_defines(src) is not False and re.search(r"^\s*(def|class)\s", src, re.M)]
    if not chunks:
        return None
    lines = [""] * max(n_lines, 1)
    for first, src in chunks:
        for i, text in enumerate(src.split("\n")):
            if first - 1 + i < len(lines):
                lines[first - 1 + i] = text
    return "\n".join(lines) + "\n"


def value_of(text: str) -> Any:
    """The answer a block's text holds: None when empty, ticked labels for a task list."""
    text = text.strip()
    if not text:
        return None
    lines = [line for line in text.split("\n") if line.strip()]
    if all(re.match(r"^\s*[-*+]?\s*[A-Za-z_][\w .-]*:\s*$", line) for line in lines):
        return None  # a template's "- neurons:" lines, not filled in
    items = [re.match(r"^\s*[-*+]\s+\[([ xX])\]\s*(.*)$", line) for line in lines]
    if items and all(items):
        ticked = [clean_label(m.group(2)) for m in items if m.group(1) in "xX"]
        return [t for t in ticked if t] or None
    return text


def clean_label(text: str) -> str:
    """'B. Bias term' / '(B) ...' / '**B**: ...' -> 'B'."""
    text = re.sub(r"[*_`]+", "", text).strip()
    m = re.match(r"^\(?([A-Za-z0-9]{1,8})[\).:]?(?:\s|$)", text)
    return m.group(1) if m else text


def defined_functions(source: str) -> list[str]:
    """Top-level functions that are written, not left as a template's stub (a body of only a
    docstring and `raise NotImplementedError`, `pass` or `...`). Parsed, never run."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        stub = all(isinstance(n, ast.Pass) or (isinstance(n, ast.Raise) and "NotImplementedError" in ast.dump(n))
                   for n in body)
        if not stub:
            names.append(node.name)
    return names
