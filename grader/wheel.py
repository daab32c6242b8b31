"""A wheel of this grader, for a bundle: students install exactly the grader that made it.

Built from the files of the imported ``grader`` package and the installed distribution's
metadata (name, version, dependencies, extras), with fixed timestamps and order, so the
same grader gives the same bytes (PEP 427 / the binary distribution format: a zip with the
package, ``*.dist-info/METADATA``, ``WHEEL``, ``entry_points.txt`` and ``RECORD``).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

DIST = "answer-grader"
EPOCH = (2020, 1, 1, 0, 0, 0)


def _metadata() -> tuple[str, str]:
    """(version, METADATA text) of the installed distribution, or of the package alone."""
    from importlib import metadata

    import grader

    try:
        meta = metadata.metadata(DIST)
    except metadata.PackageNotFoundError:
        version = grader.__version__
        return version, (f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {version}\n"
                         f"Requires-Python: >=3.10\n")
    keep = ("Metadata-Version", "Name", "Version", "Summary", "Requires-Python", "Requires-Dist",
            "Provides-Extra")
    lines = [f"{key}: {value}" for key in keep for value in (meta.get_all(key) or [])]
    return meta["Version"], "\n".join(lines) + "\n"


def _package_files() -> list[tuple[str, Path]]:
    import grader

    root = Path(grader.__file__).resolve().parent
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and "__pycache__" not in rel.parts and path.suffix not in (".pyc", ".pyo"):
            files.append(("grader/" + rel.as_posix(), path))
    return files


def build_wheel(folder: Path) -> Path:
    """Write the wheel into `folder`; returns its path."""
    version, metadata_text = _metadata()
    name = DIST.replace("-", "_")
    info = f"{name}-{version}.dist-info"
    target = Path(folder) / f"{name}-{version}-py3-none-any.whl"
    entries: list[tuple[str, bytes]] = [(arc, path.read_bytes()) for arc, path in _package_files()]
    entries.append((f"{info}/METADATA", metadata_text.encode()))
    entries.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: grader.wheel\n"
                                     b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    entries.append((f"{info}/entry_points.txt", b"[console_scripts]\ngrader = grader.cli:main\n"))
    entries.append((f"{info}/top_level.txt", b"grader\n"))
    record = []
    for arc, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    entries.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arc, data in entries:
            item = zipfile.ZipInfo(arc, date_time=EPOCH)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = 0o644 << 16
            zf.writestr(item, data)
    return target
