"""The reference solver results of a problem, kept on disk between runs.

A cold `grader grade` (one student on Gradescope, a TA trying one file) would otherwise run
every reference solver again. The file is keyed by the hash of solver.py: a file written for
another text of the solver is ignored, never used. It lives beside the spec when that folder is
writable (it travels with the problem, into the Gradescope zip), else in the user's cache folder
($XDG_CACHE_HOME/grader, by default ~/.cache/grader). Writes are atomic (a temporary file
renamed), and a folder that cannot be written is never an error: the cache is an optimization.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from grader.solvers import CACHE_FILE, SolverFile


def user_cache_file(folder: Path) -> Path:
    """The cache file of a problem folder in the user's cache folder (one per problem folder)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    where = hashlib.sha256(str(Path(folder).resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return Path(base) / "grader" / f"reference-{where}.json"


def candidates(folder: Path) -> list[Path]:
    """Where the cache may be, in the order it is looked for: beside the spec, then per user."""
    return [Path(folder) / CACHE_FILE, user_cache_file(folder)]


def load(file: SolverFile) -> None:
    """Fill `file.calls` with the results persisted for this exact solver.py (if any)."""
    if file.digest is None:
        return
    for path in candidates(file.folder):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or doc.get("solver_sha256") != file.digest:
            continue  # written for another text of solver.py: stale, never used
        entries = doc.get("calls")
        if isinstance(entries, dict):
            for key, value in entries.items():
                file.calls.setdefault(key, value)
                file.reference_keys.add(key)
            file.saved.update(entries)
        return


def save(file: SolverFile) -> Path | None:
    """Write the reference results this process knows for `file` when some are not on disk yet;
    the path written, or None (nothing new, no solver, or no writable place)."""
    if file.digest is None:
        return None
    calls = {}
    for name in sorted(file.reference_keys):
        if name not in file.calls:
            continue
        try:
            text = json.dumps(file.calls[name], allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            continue
        if json.loads(text) == file.calls[name]:  # only values that survive the round trip exactly
            calls[name] = file.calls[name]
    if not calls or set(calls) <= file.saved:
        return None
    text = json.dumps({"solver_sha256": file.digest, "calls": calls}, sort_keys=True, allow_nan=False) + "\n"
    for path in candidates(file.folder):
        if _write_atomic(path, text):
            file.saved.update(calls)
            return path
    return None


def _write_atomic(path: Path, text: str) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
