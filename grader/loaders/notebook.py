"""Jupyter notebooks: the code cells become one Python module, graded like a .py submission.

Only the notebook's JSON is read here; its code never runs in the grader's process. IPython
magics and shell escapes (`%%bash` cells, `%...`, `!...`) become inert comments, since plain
Python cannot run them, and the student is told.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from grader.loaders.file_checks import NotRegular, open_regular
from grader.loaders.json_file import MAX_BYTES, Unreadable

# `%magic`, `!shell`, `x = !shell`, `x = %magic`, `obj?`, `?obj`: IPython only.
_IPYTHON_LINE = re.compile(r"^(\s*)(?:[%!?]|[\w.,\s\[\]]+=\s*[%!]|[\w.]+\?{1,2}\s*$)")


def notebook_source(path: Path) -> tuple[str, list[str]]:
    """The code cells as one module, and notes for the student about what was made inert."""
    name = path.name
    try:
        if path.stat().st_size > MAX_BYTES:
            raise Unreadable(f"{name}: the notebook is larger than {MAX_BYTES // 1_000_000} MB; "
                             f"clear its outputs (Cell > All Output > Clear) and submit again")
        with os.fdopen(open_regular(path), "rb") as fh:  # never blocks on a FIFO
            doc = json.loads(fh.read(MAX_BYTES + 1).decode("utf-8-sig"))
    except NotRegular as exc:
        raise Unreadable(f"{name}: {exc}, not a notebook file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(f"{name}: cannot be read as a notebook ({exc})") from None
    except (ValueError, RecursionError):
        raise Unreadable(f"{name}: not a valid notebook (invalid JSON)") from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise Unreadable(f"{name}: not a Jupyter notebook (no cells)")
    chunks = []
    notes: list[str] = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        code, cell_notes = inert_magics(source, f"{name}, cell {i + 1}")
        notes.extend(cell_notes)
        chunks.append(f"# --- cell {i + 1}\n" + code)
    if not chunks:
        raise Unreadable(f"{name}: the notebook has no code cells")
    return "\n\n".join(chunks) + "\n", notes


# Cell magics whose body is Python: the magic line goes, the body stays (it defines things).
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "python", "python3", "debug"}


def inert_magics(source: str, where: str) -> tuple[str, list[str]]:
    """IPython syntax made inert comments, and a note for each kind found.

    A cell magic (`%%bash`, `%%writefile`...) comments out its whole cell, but for the few whose
    body is Python (`%%time`, `%%capture`...); a line magic (`%pip`), a shell escape (`!ls`,
    `x = !ls`) or a help query (`f?`) becomes `pass  # <the line>`, which keeps an indented block
    valid. Backslash continuations go with their line.
    """
    lines = source.splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if first[2:].split() else ""
        if magic not in PYTHON_CELL_MAGICS:
            note = (f"{where}: a %%{magic} cell is IPython, not Python; the whole cell was made a "
                    f"comment and did not run")
            return "\n".join("# " + line for line in lines), [note]
    out, found, carry = [], [], False
    for line in lines:
        match = _IPYTHON_LINE.match(line)
        if carry or match:
            indent = match.group(1) if match else ""
            if not carry:
                found.append(line.strip()[:40])
            out.append(f"{indent}pass  # {line.strip()}" if not carry else "# " + line)
            carry = line.rstrip().endswith("\\")
            continue
        out.append(line)
    notes = []
    if found:
        notes.append(f"{where}: IPython line(s) {', '.join(repr(f) for f in found[:3])}"
                     f"{' and more' if len(found) > 3 else ''} made comments; they did not run")
    return "\n".join(out), notes


def notebook_as_module(path: Path, scratch: Path) -> tuple[Path, list[str]]:
    """Write the notebook's code as `<stem>.py` in `scratch` (a folder the caller owns)."""
    target = scratch / (re.sub(r"\W", "_", path.stem) or "notebook")
    target = target.with_suffix(".py")
    source, notes = notebook_source(path)
    target.write_text(source, encoding="utf-8")
    return target, notes


def scratch_dir() -> Path:
    """A fresh private temporary folder for a notebook's extracted code; the caller removes it."""
    return Path(tempfile.mkdtemp(prefix="grader-nb-"))
