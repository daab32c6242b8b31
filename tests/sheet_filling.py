"""Filling a bundle's answer templates the way the seed students write (tests only).

The seeds (../shared/seeds/000_*, 001_*, 002_*) write LaTeX mixed with prose: column vectors
and matrices as ``\\begin{bmatrix}``, fractions as ``\\frac``, shapes inside ``$...$`` after a
sentence, numbers at the end of their working (``... + 1 = 26``), choices as "Solution: C
and D". These helpers turn a JSON answer into that style and write it into the templates.
"""

from __future__ import annotations

import re
from typing import Any


def _cell(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"\s*-?[\d.]+\s*/\s*[\d.]+\s*", value):
        a, b = value.split("/")
        return f"\\frac{{{a.strip()}}}{{{b.strip()}}}"
    return str(value)


def seed_style(part_type: str, value: Any) -> str:
    """A full-credit JSON value, written as the seed students write it."""
    if part_type == "array" and isinstance(value, list):
        if value and all(isinstance(r, list) for r in value):
            rows = " \\\\ ".join(" & ".join(_cell(c) for c in row) for row in value)
            return f"$$\\begin{{bmatrix}} {rows} \\end{{bmatrix}}$$"
        column = " \\\\ ".join(_cell(c) for c in value)
        return f"$$\\theta = \\begin{{bmatrix}} {column} \\end{{bmatrix}}$$"  # seed 000, Q7
    if part_type == "shape":
        dims = value if isinstance(value, list) else re.findall(r"\d+", str(value))
        return f"output shape would be  $[{', '.join(map(str, dims))}]$"   # seed 000, Q1
    if part_type == "number" and isinstance(value, (int, float)):
        return f"$$\\text{{so}} \\quad n = {value}$$"
    if part_type in ("expression", "matrix_expression") and isinstance(value, str):
        return f"$${value}$$"
    if part_type == "multi":
        labels = value if isinstance(value, list) else re.split(r"\s*,\s*", str(value))
        return "Solution: " + " and ".join(labels)                       # seed 000, Q3
    if part_type == "choice":
        label = value[0] if isinstance(value, list) else value
        return f"Solution: {label}"
    if isinstance(value, (list, dict)):
        raise ValueError(f"no seed style for a {part_type} value {value!r}")
    return str(value)


def fill_markdown(template: str, answers: dict[str, str]) -> str:
    """Each part's `<!-- your answer -->` (or its option list) replaced by the answer."""
    out, current = [], None
    skipping = False
    for line in template.split("\n"):
        heading = re.match(r"^## (\S+)", line)
        if heading:
            current, skipping = heading.group(1), False
        if current in answers and (line.strip() == "<!-- your answer -->" or line.startswith("- [ ] ")
                                   or re.match(r"^- \w+: $", line)):
            if not skipping:
                out.append(answers[current])
                skipping = True
            continue
        out.append(line)
    return "\n".join(out)


def fill_latex(template: str, answers: dict[str, str]) -> str:
    def put(m: re.Match) -> str:
        pid = m.group(2)
        return m.group(1) + (answers.get(pid, "") + "\n" if pid in answers else "\n") + m.group(3)

    return re.sub(r"(\\begin\{answer\}\[[^\n]*\]\{([^}]*)\}\n)\n(\\end\{answer\})", put, template)
