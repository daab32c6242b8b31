"""Markdown answer sheets (answers.md): one heading, or one fenced block, per part.

    ## 2.2.1.a  w1 after one GD step          <- a heading: the first word is the part id
    > the question (quoted lines are the template's, never part of the answer)
    $\\mathbf{w}_0 - \\frac{2\\eta}{n} X^\\top (X\\mathbf{w}_0 - \\mathbf{t})$

    ```answer 3.2.b                           <- or a fenced block named "answer <id>"
    30
    ```

The answer is everything under the heading up to the next heading, without quoted lines and
HTML comments. A task list (``- [x] B``) answers with the ticked labels. A ```python block
under a code part's heading is that part's code. A level-1 heading whose first word has no
digit is the document's title, not a part. Unclosed fences and comments and parts answered
twice are reported with their line numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.loaders.sheet import MAX_BLOCKS, Block, Sheet, clean_id, value_of

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`]*?)\s*$")
PYTHON = {"python", "py", "python3", "ipython", "pycon"}


def read_markdown(text: str, name: str) -> Sheet:
    """The answers of a Markdown sheet (one heading or ``answer`` fence per part); problems are
    line-numbered in ``sheet.problems`` for the student, never raised."""
    sheet = Sheet()
    lines = text.split("\n")
    current: Block | None = None
    body: list[str] = []
    fence: tuple[str, int, str] | None = None  # (marker, line, info)
    fenced: list[str] = []
    comment_from: int | None = None

    def close_current() -> None:
        nonlocal current, body
        if current is not None:
            current.value = value_of(_unwrap("\n".join(body)))
            sheet.blocks.append(current)
        current, body = None, []

    closing = None
    for number, line in enumerate(lines, 1):
        if fence is not None:
            marker, start, info = fence
            if closing.match(line):
                fence = None
                source = "\n".join(fenced)
                words = info.split()
                if words and words[0].lower() == "answer":
                    part = clean_id(" ".join(words[1:])) if len(words) > 1 else None
                    if part is None:
                        sheet.problems.append(f"{name} line {start}: the ```answer block names no part id "
                                              f"(write ```answer 2.2.1.a)")
                    else:
                        sheet.blocks.append(Block(part, start, value_of(source)))
                    continue
                if current is not None:
                    body.append(line)
                    if words and words[0].lower() in PYTHON:
                        current.code.append((start + 1, source))
                continue
            fenced.append(line)
            if current is not None:
                body.append(line)
            continue
        if comment_from is not None:
            if "-->" in line:
                comment_from = None
                line = line.split("-->", 1)[1]
            else:
                continue
        line = re.sub(r"<!--.*?-->", "", line)
        if "<!--" in line:
            comment_from = number
            line = line.split("<!--", 1)[0]
        m = _FENCE.match(line)
        if m:
            fence, fenced = (m.group(1), number, m.group(2)), []
            closing = re.compile(r" {0,3}" + re.escape(m.group(1)[0]) + "{" + str(len(m.group(1))) + r",}\s*$")
            if m.group(2).split()[:1] and m.group(2).split()[0].lower() == "answer":
                close_current()  # an answer block ends the part above it
            elif current is not None:
                body.append(line)
            continue
        h = _HEADING.match(line)
        part = clean_id((h.group(2) or "").strip()) if h else None
        if part is not None and len(h.group(1)) == 1 and not re.search(r"\d", part):
            part = None  # "# My homework": the document's title
        if h and part is None:
            if current is not None:
                body.append(line)  # "### (a)" or a title inside a part's answer: part of it
            continue
        if h:
            close_current()
            current = Block(part, number, None)
            if len(sheet.blocks) > MAX_BLOCKS:
                sheet.problems.append(f"{name}: more than {MAX_BLOCKS} parts; the rest is not read")
                break
            continue
        if current is not None and not re.match(r"^ {0,3}>", line):
            body.append(line)
    if fence is not None:
        marker, start, info = fence
        sheet.problems.append(f"{name} line {start}: the {marker} block opened here is never closed "
                              f"(close it with {marker} on a line of its own); "
                              + ("its answer was not read" if info.lower().startswith("answer")
                                 else "the rest of the file was read as its content"))
        if current is not None and info.split()[:1] and info.split()[0].lower() in PYTHON:
            current.code.append((start + 1, "\n".join(fenced)))
    if comment_from is not None:
        sheet.problems.append(f"{name} line {comment_from}: the comment <!-- opened here is never closed "
                              f"with -->; the rest of the file was skipped")
    close_current()
    return sheet


def _unwrap(text: str) -> str:
    """A body that is one fenced block (```math, ```latex...) is that block's content."""
    stripped = text.strip()
    m = re.fullmatch(r"(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)\n?\1", stripped, re.S)
    if m and m.group(2).lower() not in PYTHON:
        return m.group(3)
    return stripped


def load_markdown(path: Path) -> tuple[Sheet, str]:
    """Read a .md answer sheet (size-bounded); returns the sheet and the text read (its lines number the code module)."""
    from grader.loaders.sheet import read_text

    text = read_text(path)
    return read_markdown(text, path.name), text
