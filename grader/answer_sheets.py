"""The answer templates a bundle gives students, written from the bundle's own part entries.

- ``answers.md``: one heading per part (id, title), the question quoted under it (points,
  section, prompt, the answer format; choice options as a task list to tick);
- ``answers.tex`` and ``grader-answers.sty``: one ``answer`` environment per part, the
  question in comments; it compiles (pdflatex) into the PDF handed in for hand-graded parts;
- ``answers.json``: every part id with ``null``;
- ``answers.py`` (code parts only): each function's signature and a docstring with the
  question and its public cases.

Each template, filled in, is a submission the grader reads as it is (blank blocks, nulls and
unchanged stubs are no answers), so a student may hand in the whole folder.
"""

from __future__ import annotations

import json
import re
from typing import Any

STYLE_FILE = "grader-answers.sty"
CODE_FILE = "answers.py"

STYLE = r"""\NeedsTeXFormat{LaTeX2e}
\ProvidesPackage{grader-answers}[answer sheets read by the grader]
% One source for both: the grader reads every answer environment of this file, and pdflatex
% typesets it into the PDF you hand in for the hand-graded parts.
%   \begin{answer}[title]{part id} ... \end{answer}
%   \answerpart{part id}{short answer}
\RequirePackage{amsmath}
\RequirePackage{amssymb}
\providecommand{\answersheet}[2]{%
  \begin{center}{\Large #1}\par\smallskip\texttt{\detokenize{#2}}\end{center}}
\def\grader@title{}
\newenvironment{answer}[2][]{%
  \par\addvspace{\medskipamount}\noindent
  \fbox{\textbf{Part \detokenize{#2}}}\def\grader@title{#1}%
  \ifx\grader@title\@empty\else\enspace\textbf{#1}\fi
  \par\nopagebreak\smallskip
  \begingroup\leftskip=\parindent\relax\noindent\ignorespaces}%
  {\par\endgroup\addvspace{\medskipamount}}
\newcommand{\answerpart}[2]{\begin{answer}{#1}#2\end{answer}}
\endinput
"""


def _points(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:g} pt"


def _kind(part: dict):
    """What the part's answer type declares (its name alone is never tested here)."""
    from grader.types import capabilities

    return capabilities(str(part.get("type")))


def _format_lines(part: dict) -> list[str]:
    """What the answer must look like, and how to write it in a sheet."""
    kind = _kind(part)
    lines = [f"Answer format: {part.get('answer_format') or part.get('type')}"]
    many = kind.selects == "many"
    if kind.sheet == "options":
        lines.append("Tick the option" + ("s" if many else "") + " (- [x]), or write the label"
                     + ("s (\"A, C\")" if many else " (\"B\")") + ".")
    elif kind.sheet == "function":
        lines.append(f"Write the function in {CODE_FILE} (the stub next to this file), or in a "
                     f"```python block here.")
    elif kind.sheet == "by_hand":
        lines.append("Graded by hand: write your answer and working here, or in answers.tex "
                     "(hand in its PDF).")
    elif kind.sheet == "math":
        lines.append("LaTeX is fine: $\\frac{1}{3}$, \\begin{bmatrix} 1 & 0 \\\\ 0 & 1 \\end{bmatrix}; "
                     "with working, the value after the last = is read.")
    return lines


def _options(part: dict) -> list[dict]:
    return [o for o in ((part.get("check") or {}).get("options") or []) if isinstance(o, dict)]


# ------------------------------------------------------------------ Markdown

def markdown(doc: dict) -> str:
    """The answers.md template of a bundle: one heading per part with its question quoted (quoted lines are not read back)."""
    out = [f"# Answers: {doc.get('title') or doc.get('id')}", "",
           f"> Problem `{doc.get('id')}`. Write each answer under its part's heading, below the quoted",
           "> question (quoted lines and <!-- comments --> are not read). LaTeX is welcome, no escaping:",
           "> $\\frac{n}{2}$, $\\mathbf{w}$, \\begin{bmatrix} ... \\end{bmatrix}. Leave a part empty to skip it.",
           "> Check it with: grader check . answers.md", ""]
    for part in doc.get("parts") or []:
        pid = str(part["id"])
        title = " ".join(str(part.get("title") or "").split())
        out.append(f"## {pid}" + (f" · {title}" if title else ""))
        out.append("")
        head = f"**{_points(part.get('points'))}**"
        if part.get("section"):
            head += f" · {part['section']}"
        out.append(f"> {head}")
        for block in ("prompt", "assumptions"):
            text = str(part.get(block) or "").strip()
            if text:
                out.append(">")
                if block == "assumptions":
                    out.append("> *Assumptions:*")
                out.extend(f"> {line}".rstrip() for line in text.split("\n"))
        out.append(">")
        out.extend(f"> *{line}*" if i == 0 else f"> {line}" for i, line in enumerate(_format_lines(part)))
        out.append("")
        options = _options(part)
        if _kind(part).sheet == "options" and options:
            for o in options:
                text = " ".join(str(o.get("text") or "").split())
                out.append(f"- [ ] {o.get('label')}" + (f". {text}" if text else ""))
            out.append("")
        else:
            out += ["<!-- your answer -->", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# ------------------------------------------------------------------ LaTeX

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
            "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}"}
_UNICODE = {"×": r"$\times$", "·": r"$\cdot$", "→": r"$\to$", "≤": r"$\le$", "≥": r"$\ge$",
            "–": "--", "—": "---", "’": "'", "“": "``", "”": "''", "…": r"\ldots{}"}


def tex_escape(text: str) -> str:
    """Text for LaTeX: balanced $...$ kept as math, special characters escaped, other
    non-ASCII characters that pdflatex cannot typeset replaced."""
    out = []
    for i, chunk in enumerate(re.split(r"(\$[^$]+\$)", text)):
        if i % 2 == 1:
            out.append(chunk if chunk.isascii() else tex_escape(chunk[1:-1]))
            continue
        for ch in chunk:
            if ch in _SPECIAL:
                out.append(_SPECIAL[ch])
            elif ch in _UNICODE:
                out.append(_UNICODE[ch])
            elif ord(ch) < 128:
                out.append(ch)
            elif ch.isalpha() and ord(ch) < 0x250:
                out.append(ch)  # Latin letters: utf8 input handles them
            else:
                out.append("?")
    return "".join(out)


def _comment(text: str) -> list[str]:
    return [f"% {line}".rstrip() for line in text.split("\n")]


def latex(doc: dict) -> str:
    """The answers.tex template of a bundle: one ``answer`` environment per part, the questions as comments,
    compilable with grader-answers.sty into the PDF handed in."""
    title = tex_escape(str(doc.get("title") or doc.get("id")))
    out = [
        f"% Answers: {' '.join(str(doc.get('title') or '').split())}",
        "% Write each answer inside its answer environment (everything else is not read by the",
        "% grader). Check it with:  grader check . answers.tex",
        "% Make the PDF you hand in for the hand-graded parts with:  pdflatex answers.tex",
        "% (grader-answers.sty must be next to this file).",
        r"\documentclass{article}",
        r"\usepackage{grader-answers}",
        r"\begin{document}",
        rf"\answersheet{{{title}}}{{{doc.get('id')}}}",
        "",
    ]
    for part in doc.get("parts") or []:
        pid = str(part["id"])
        name = " ".join(str(part.get("title") or "").split())
        label = tex_escape(name) + (" " if name else "") + f"({_points(part.get('points'))})"
        out.append("% " + "-" * 70)
        out.append(f"% Part {pid}" + (f": {name}" if name else "") + f" ({_points(part.get('points'))})")
        for block in ("section", "prompt", "assumptions"):
            text = str(part.get(block) or "").strip()
            if text:
                out.extend(_comment(text))
        out.extend(_comment("\n".join(_format_lines(part))))
        options = _options(part)
        if options:
            out.append("% Options:")
            out.extend(f"%   {o.get('label')}. " + " ".join(str(o.get("text") or "").split()) for o in options)
        if _kind(part).sheet == "function":
            out.append(f"% Write the function in {CODE_FILE}, or here inside \\begin{{verbatim}} ... \\end{{verbatim}}.")
        out.append(rf"\begin{{answer}}[{label}]{{{pid}}}")
        out.append("")
        out.append(r"\end{answer}")
        out.append("")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ JSON and Python

def json_template(doc: dict) -> str:
    """The answers.json template: every part answered with a JSON value (code parts, which take a .py file, left out)."""
    answers = {str(p["id"]): None for p in doc.get("parts") or [] if not _kind(p).whole_submission}
    return json.dumps({"answers": answers}, indent=2) + "\n"


def python_stub(doc: dict) -> str | None:
    """A .py file with one function stub per code part; None when the problem has no code part."""
    code = [p for p in doc.get("parts") or [] if _kind(p).sheet == "function"]
    if not code:
        return None
    out = [f'"""Code parts of {doc.get("id")}: fill in each function and hand in this file.',
           "",
           "Check them with:  grader check . answers.py",
           '"""', ""]
    for part in code:
        fn = str(part.get("function") or (part.get("code") or {}).get("function"))
        args = [str(a) for a in ((part.get("code") or {}).get("args") or [])]
        doc_lines = [f"Part {part['id']}" + (f": {part['title']}" if part.get("title") else "")
                     + f" ({_points(part.get('points'))})."]
        prompt = str(part.get("prompt") or "").strip()
        if prompt:
            doc_lines += [""] + prompt.split("\n")
        cases = part.get("public_cases") or []
        if cases:
            doc_lines += ["", "Public cases:"]
            for case in cases[:10]:
                call = ", ".join(json.dumps(a) for a in case.get("args") or [])
                kwargs = case.get("kwargs") or {}
                if kwargs:
                    call += (", " if call else "") + ", ".join(f"{k}={json.dumps(v)}" for k, v in kwargs.items())
                doc_lines.append(f"    {fn}({call}) -> {json.dumps(case.get('expected'))}")
        if part.get("hidden_cases"):
            doc_lines += ["", "Hidden cases are run by the real grader after you submit."]
        body = "\n".join(("    " + line).rstrip() for line in doc_lines)
        body = body.replace('"""', "'''").replace("\\", "\\\\")
        out.append(f"def {fn}({', '.join(args)}):")
        out.append(f'    """{body.strip()}\n    """')
        out.append(f'    raise NotImplementedError("write {fn}")')
        out.append("")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def write_templates(doc: dict, folder) -> list[str]:
    """Write every template into `folder`; the names written, in order."""
    from pathlib import Path

    folder = Path(folder)
    files = {"answers.md": markdown(doc), "answers.tex": latex(doc), STYLE_FILE: STYLE,
             "answers.json": json_template(doc)}
    stub = python_stub(doc)
    if stub is not None:
        files[CODE_FILE] = stub
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return list(files)
