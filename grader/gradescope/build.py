"""Building the zip instructors upload to Gradescope (``grader gradescope PROBLEM -o FILE``).

Layout (Gradescope unpacks it into /autograder/source):

    setup.sh            Gradescope's setup script (pins, user, validation): scripts.SETUP_SH
    run_autograder      runs ``python -m grader.gradescope.run``: scripts.RUN_AUTOGRADER
    install.sh          the repository's setup.sh, which setup.sh calls
    requirements.txt    the pinned dependency versions
    pyproject.toml, README.md, grader/   the grader's source
    problems/<id>/      the problem (spec, solvers, optional tests/ of unittest tests)
    gradescope.json     which problem, and the instructor tests' time limit

The zip is byte-identical for identical inputs (sorted entries, fixed timestamps).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

STAMP = (2020, 1, 1, 0, 0, 0)
SKIP_NAMES = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store"}
SKIP_SUFFIXES = (".pyc", ".pyo")


@dataclass
class Built:
    """What ``grader gradescope`` wrote: the zip, its file list and, for hand-graded parts, an outline file."""
    path: Path
    files: list[str]
    problem_id: str
    outline: Path | None = None  # the manual questions' outline, when the problem has any


def _pts(x: float) -> str:
    return f"{x:g} point" + ("" if x == 1 else "s")


def manual_outline(problem, zip_name: str) -> str | None:
    """What the instructor creates by hand on Gradescope: the autograder's points and one
    manual question per hand-graded part (title, points, rubric items), in the spec's order."""
    manual = [p for p in problem.parts if p.kind.by_hand]
    if not manual:
        return None
    auto = round(sum(p.points for p in problem.parts if not p.kind.by_hand), 6)
    lines = [f"# {problem.id} on Gradescope: the assignment's outline", "",
             f"Programming assignment \"{problem.title}\".", "",
             f"1. Autograder points: {auto:g}. Upload `{zip_name}` (Configure Autograder > Zip file "
             "upload); its tests cover the parts graded automatically, nothing else.",
             f"2. Edit Outline: add these {len(manual)} manual question(s), worth "
             f"{_pts(sum(p.points for p in manual))} together, in this order. Graders read the "
             "student's answer in the submitted file.", ""]
    for i, part in enumerate(manual, 1):
        from grader.templates import placeholders  # a class-wide outline: [name] per parameter

        title = f"{part.id} {placeholders(part.title)}".strip()
        lines += [f"## {i}. {title} ({_pts(part.points)})", ""]
        if part.prompt.strip():
            lines += [placeholders(part.prompt).strip(), ""]
        rubric = [r for r in part.options.get("rubric") or [] if isinstance(r, dict)]
        if rubric:
            total = sum(float(r.get("points", 0) or 0) for r in rubric)
            cap = f" (the items add up to {_pts(total)}: set the score's ceiling to {part.points:g})" \
                if total > part.points else ""
            lines += [f"Rubric, positive scoring{cap}:", ""]
            lines += [f"- +{float(r.get('points', 0) or 0):g}: {r.get('item', '')}" for r in rubric]
            lines.append("")
        reference = part.options.get("reference")
        if reference:
            lines += ["Reference answer (for graders; never shown to students):", "", str(reference).strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def repo_root() -> Path:
    """The source checkout the grader runs from (pyproject.toml beside the package)."""
    root = Path(__file__).resolve().parent.parent.parent
    for needed in ("pyproject.toml", "setup.sh"):
        if not (root / needed).is_file():
            raise UsageError(f"grader gradescope packs the grader's source, but {root / needed} is "
                             "missing: run it from a source checkout (git clone + ./setup.sh)")
    return root


def _files(folder: Path) -> list[Path]:
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in SKIP_NAMES or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and not path.is_symlink() and not path.name.endswith(SKIP_SUFFIXES):
            out.append(path)
    return out


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
    zf.writestr(info, data)


def build_zip(problem_dir: Path, out: Path, *, tests: Path | None = None,
              unittest_timeout: float = 300.0) -> Built:
    """Build the autograder zip for ``problem_dir`` (pinned requirements, setup.sh, run_autograder, the grader,
    the problem and optional instructor tests)."""
    from grader.gradescope.scripts import RUN_AUTOGRADER, SETUP_SH, requirements
    from grader.spec import load_problem

    problem = load_problem(problem_dir)
    root = repo_root()
    prefix = f"problems/{problem.id}"
    entries: dict[str, tuple[bytes, bool]] = {
        "setup.sh": (SETUP_SH.replace("@PROBLEM@", prefix).encode(), True),
        "run_autograder": (RUN_AUTOGRADER.encode(), True),
        "install.sh": ((root / "setup.sh").read_bytes(), True),
        "requirements.txt": (requirements().encode(), False),
        "pyproject.toml": ((root / "pyproject.toml").read_bytes(), False),
        "README.md": ((root / "README.md").read_bytes() if (root / "README.md").is_file()
                      else b"# grader\n", False),
        "gradescope.json": (json.dumps({"problem": prefix, "unittest_timeout": unittest_timeout},
                                       indent=2).encode() + b"\n", False),
    }
    for path in _files(root / "grader"):
        entries["grader/" + path.relative_to(root / "grader").as_posix()] = (path.read_bytes(), False)
    for path in _files(problem.folder):
        rel = path.relative_to(problem.folder).as_posix()
        if tests is not None and rel.startswith("tests/"):
            continue
        entries[f"{prefix}/{rel}"] = (path.read_bytes(), False)
    if tests is not None:
        tests = Path(tests)
        if not tests.is_dir() or not any(tests.glob("test*.py")):
            raise UsageError(f"{tests}: no test*.py files (gradescope-utils unittest tests) there")
        for path in _files(tests):
            entries[f"{prefix}/tests/{path.relative_to(tests).as_posix()}"] = (path.read_bytes(), False)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as zf:
        for name in sorted(entries):
            data, executable = entries[name]
            _add(zf, name, data, executable)
    outline_text = manual_outline(problem, out.name)
    outline = None
    if outline_text is not None:
        outline = out.with_name(out.stem + "-manual-questions.md")
        outline.write_text(outline_text, encoding="utf-8")
    return Built(out, sorted(entries), problem.id, outline)
