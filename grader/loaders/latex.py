"""LaTeX answer sheets (answers.tex): one environment, or one macro, per part.

    \\begin{answer}[w1 after one GD step (0.5 pt)]{2.2.1.a}
      $\\mathbf{w}_0 - \\frac{2\\eta}{n} X^\\top (X\\mathbf{w}_0 - \\mathbf{t})$
    \\end{answer}

    \\answerpart{3.2.b}{30}

Everything outside them (the preamble, the questions, your working) is not read. Comments
(``%`` to the end of the line) are dropped, except inside verbatim-like environments. Python
in ``verbatim``, ``lstlisting`` or ``minted`` inside an answer is that part's code. The same
file compiles, with the bundle's ``grader-answers.sty``, into the PDF handed in for the
hand-graded parts. Unclosed environments, nested or stray ones, and parts answered twice are
reported with their line numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.loaders.sheet import MAX_BLOCKS, MAX_PROBLEMS, Block, Sheet, clean_id, value_of

VERBATIM = ("verbatim", "verbatim*", "lstlisting", "minted", "Verbatim", "python", "pycode")
_TOKEN = re.compile(r"\\begin\s*\{answer\}|\\end\s*\{answer\}|\\answerpart\s*\{|\\begin\s*\{(" +
                    "|".join(re.escape(v) for v in VERBATIM) + r")\}")


_VERBATIM_BEGIN = re.compile(r"\\begin\s*\{(" + "|".join(re.escape(v) for v in VERBATIM) + r")\}")


def strip_comments(text: str) -> str:
    """'%' comments removed (not '\\%'), keeping verbatim environments and every line break."""
    if "%" not in text:
        return text
    out = []
    inside: str | None = None
    for line in text.split("\n"):
        if inside is not None:
            if ("\\end{" + inside + "}") in line:
                inside = None
            out.append(line)
            continue
        cut = _comment_at(line)
        m = _VERBATIM_BEGIN.search(line) if "\\begin" in line else None
        if m and (cut is None or m.start() < cut):
            if ("\\end{" + m.group(1) + "}") not in line[m.end():]:
                inside = m.group(1)
            out.append(line)
            continue
        out.append(line if cut is None else line[:cut])
    return "\n".join(out)


def _comment_at(line: str) -> int | None:
    i = line.find("%")
    while i != -1:
        backslashes = len(line[:i]) - len(line[:i].rstrip("\\"))
        if backslashes % 2 == 0:
            return i
        i = line.find("%", i + 1)
    return None


def read_latex(text: str, name: str) -> Sheet:
    """The answers of a LaTeX sheet's ``answer`` environments and ``\\answerpart`` macros; problems are
    line-numbered in ``sheet.problems`` for the student, never raised."""
    sheet = Sheet()
    text = strip_comments(text)
    line_at = _line_index(text)
    pos = 0
    open_at: tuple[int, str, int] | None = None  # (body start, part, line)
    while True:
        m = _TOKEN.search(text, pos)
        if m is None:
            break
        token = m.group(0)
        if m.group(1):  # skip verbatim content: an \end{answer} in it is text
            end = text.find("\\end{" + m.group(1) + "}", m.end())
            if end == -1:
                sheet.problems.append(f"{name} line {line_at(m.start())}: \\begin{{{m.group(1)}}} is never "
                                      f"closed with \\end{{{m.group(1)}}}")
                break
            pos = end + len(m.group(1)) + 6
            continue
        if token.startswith("\\begin"):
            title_end = _skip_optional(text, m.end())
            part_text, after = _braced(text, title_end, 400)
            line = line_at(m.start())
            if open_at is not None:
                sheet.problems.append(f"{name} line {line}: \\begin{{answer}} inside the answer to part "
                                      f"{open_at[1]} opened at line {open_at[2]}; close that one first "
                                      f"with \\end{{answer}}")
                _add(sheet, open_at[1], open_at[2], text[open_at[0]:m.start()], line_at, open_at[0])
                open_at = None
            part = clean_id(part_text) if part_text is not None else None
            if part is None:
                sheet.problems.append(f"{name} line {line}: \\begin{{answer}} needs the part id in braces, "
                                      f"as in \\begin{{answer}}{{2.2.1.a}}")
                pos = m.end()
                continue
            open_at = (after, part, line)
            pos = after
        elif token.startswith("\\end"):
            if open_at is None:
                sheet.problems.append(f"{name} line {line_at(m.start())}: \\end{{answer}} without a "
                                      f"\\begin{{answer}}")
            else:
                _add(sheet, open_at[1], open_at[2], text[open_at[0]:m.start()], line_at, open_at[0])
                open_at = None
            pos = m.end()
        else:  # \answerpart{id}{content}
            line = line_at(m.start())
            part_text, after = _braced(text, m.end() - 1, 400)
            content, end = _braced(text, after, 100_000) if part_text is not None else (None, m.end())
            if part_text is None or content is None:
                sheet.problems.append(f"{name} line {line}: \\answerpart{{...}}{{...}} is not closed: a "
                                      f"brace is missing; the rest of the file was not read")
                break
            part = clean_id(part_text)
            if part is None:
                sheet.problems.append(f"{name} line {line}: \\answerpart needs a part id, as in "
                                      f"\\answerpart{{3.2.b}}{{30}}")
            else:
                _add(sheet, part, line, content, line_at, end - len(content) - 1)
            pos = end
        if len(sheet.blocks) > MAX_BLOCKS or len(sheet.problems) > MAX_PROBLEMS:
            sheet.problems.append(f"{name}: more than {MAX_BLOCKS} answers or {MAX_PROBLEMS} problems; "
                                  f"the rest of the file is not read")
            return sheet
    if open_at is not None:
        sheet.problems.append(f"{name} line {open_at[2]}: the answer to part {open_at[1]} is never closed "
                              f"with \\end{{answer}}; it was not read")
    return sheet


def _add(sheet: Sheet, part: str, line: int, body: str, line_at, start: int | None = None) -> None:
    block = Block(part, line, value_of(_unwrap(body)))
    offset = start if start is not None else 0
    for m in re.finditer(r"\\begin\s*\{(verbatim\*?|lstlisting|minted|Verbatim|python|pycode)\}"
                         r"(\[[^\]\n]*\])?(\{[^}\n]*\})?[ \t]*\n?(.*?)\\end\s*\{\1\}", body, re.S):
        language = (m.group(3) or "").strip("{}").lower()
        if m.group(1) == "minted" and language not in ("python", "py", "python3"):
            continue
        block.code.append((line_at(offset + m.start(4)), m.group(4)))
    sheet.blocks.append(block)


def _unwrap(body: str) -> str:
    """An answer that is only a verbatim block is that block's text."""
    stripped = body.strip()
    m = re.fullmatch(r"\\begin\s*\{(verbatim\*?|lstlisting|Verbatim)\}(\[[^\]\n]*\])?\s*\n?(.*?)\\end\s*\{\1\}",
                     stripped, re.S)
    return m.group(3) if m else stripped


def _skip_optional(text: str, i: int) -> int:
    """Past an optional [title] (brackets inside braces allowed)."""
    j = i
    while j < len(text) and text[j] in " \t\n":
        j += 1
    if j >= len(text) or text[j] != "[":
        return i
    depth = 0
    for k in range(j + 1, min(len(text), j + 2000)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
        elif text[k] == "]" and depth <= 0:
            return k + 1
    return i


def _braced(text: str, i: int, limit: int = 200_000) -> tuple[str | None, int]:
    """The {...} group at i (after spaces): its content and the index after it. Searched
    `limit` characters at most, so unclosed braces cannot make reading quadratic."""
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i >= len(text) or text[i] != "{":
        return None, i
    depth = 0
    k = i
    stop = min(len(text), i + limit)
    while k < stop:
        ch = text[k]
        if ch == "\\":
            k += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1:k], k + 1
        k += 1
    return None, i


def _line_index(text: str):
    import bisect

    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    return lambda pos: bisect.bisect_right(starts, pos)


def load_latex(path: Path) -> tuple[Sheet, str]:
    """Read a .tex answer sheet (size-bounded); returns the sheet and the text read (its lines number the code module)."""
    from grader.loaders.sheet import read_text

    text = read_text(path)
    return read_latex(text, path.name), text
