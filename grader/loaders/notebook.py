"""Jupyter notebooks: the code cells become one Python module, graded like a .py submission.

Only the notebook's JSON is read here; its code never runs in the grader's process. IPython
magics and shell escapes (`%...`, `!...`) are commented out, since plain Python cannot run them.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from grader.loaders.json_file import MAX_BYTES, Unreadable

_MAGIC = re.compile(r"^(\s*)([%!].*)$")


def notebook_source(path: Path) -> str:
    name = path.name
    try:
        if path.stat().st_size > MAX_BYTES:
            raise Unreadable(f"{name}: the notebook is larger than {MAX_BYTES // 1_000_000} MB; "
                             f"clear its outputs (Cell > All Output > Clear) and submit again")
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(f"{name}: cannot be read as a notebook ({exc})") from None
    except (ValueError, RecursionError):
        raise Unreadable(f"{name}: not a valid notebook (invalid JSON)") from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise Unreadable(f"{name}: not a Jupyter notebook (no cells)")
    chunks = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        lines = [_MAGIC.sub(r"\1# \2", line) for line in source.splitlines()]
        chunks.append(f"# --- cell {i + 1}\n" + "\n".join(lines))
    if not chunks:
        raise Unreadable(f"{name}: the notebook has no code cells")
    return "\n\n".join(chunks) + "\n"


def notebook_as_module(path: Path, scratch: Path) -> Path:
    """Write the notebook's code as `<stem>.py` in `scratch` (a folder the caller owns)."""
    target = scratch / (re.sub(r"\W", "_", path.stem) or "notebook")
    target = target.with_suffix(".py")
    target.write_text(notebook_source(path), encoding="utf-8")
    return target


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="grader-nb-"))
