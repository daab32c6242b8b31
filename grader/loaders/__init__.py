"""Turning whatever a student handed in (a .json, .py, .ipynb, answers.md, answers.tex, or a
folder of them) into a Submission.

A folder's files are all read, in name order, and merged. A part answered in two files (or
twice in one sheet) with different answers is not graded: it is marked invalid with a message
naming both places, so the student keeps one (equal answers are no conflict; an empty template
block or a JSON null is no answer).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from grader.loaders.file_checks import refusal
from grader.loaders.json_file import Unreadable, read_json_file
from grader.printable import has_surrogate, scrub
from grader.submission import Submission

MAX_FILES = 200
SUFFIXES = (".json", ".py", ".ipynb", ".md", ".tex")
SKIP_DIRS = {"__pycache__", "__MACOSX", ".git", "node_modules", ".ipynb_checkpoints"}


def submission_files(folder: Path, private: list[Path] | tuple = (),
                     refused: list[str] | None = None) -> list[Path]:
    """The .json, .py and .ipynb files of a submission folder, in a deterministic order.

    Links out of the folder, FIFOs, devices and the instructor's own files are left out, each
    with a message in `refused`; a link to another file of the folder is read under that name.
    """
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") or part in SKIP_DIRS for part in rel.parts):
            continue
        if path.suffix.lower() in (".md", ".tex") and path.stem.lower().startswith("readme"):
            continue  # a read-me (the bundle's own) is not an answer sheet
        if path.suffix.lower() not in SUFFIXES or path.is_dir():
            continue
        why = refusal(path, private, within=folder, label=str(rel))
        if why is None and path.is_symlink():
            continue  # a link inside the folder: its target is read under its own name
        if why is not None:
            if refused is not None:
                refused.append(why)
            continue
        found.append(path)
    return found


def load_submission(path: str | Path, student_id: str | None = None,
                    private: list[Path] | tuple = (), hide: list[Path] | tuple = ()) -> Submission:
    """Read a submission. `private` folders (the problem's) are hidden from student code, and a
    file of theirs is never read as the student's; `hide` folders (classmates' files, reports)
    are only hidden from student code."""
    path = _as_path(path)
    instructor = [_as_path(p) for p in private]
    sub = Submission(source=str(path), student_id=student_id, private=instructor + [_as_path(p) for p in hide])
    try:  # an lstat, which the checks below reuse (a class has a thousand of these)
        lst = os.lstat(path)
        is_dir = stat.S_ISDIR((os.stat(path) if stat.S_ISLNK(lst.st_mode) else lst).st_mode)
    except (OSError, ValueError):
        sub.fatal = f"{path.name}: file not found"
        return sub
    why = refusal(path, instructor, lstat=lst)
    if why is not None:
        sub.fatal = f"skipped: {why}"
        return sub
    if is_dir:
        refused: list[str] = []
        files = submission_files(path, instructor, refused)
        sub.messages.extend(f"skipped: {why}" for why in refused)
        if not files:
            sub.fatal = "; ".join(sub.messages) if refused else (
                f"{path.name}: no .json, .py or .ipynb file, and no .md or .tex answer sheet, found "
                f"in the submission (expected an answers file such as answers.md or answers.json)")
            return sub
        if len(files) > MAX_FILES:
            sub.messages.append(f"{path.name}: {len(files)} files; only the first {MAX_FILES} are read")
            files = files[:MAX_FILES]
        read_any = False
        for file in files:
            read_any |= _load_file(file, sub, label=str(file.relative_to(path)), alone=False)
        _report_functions_twice(sub)
        if not read_any:
            sub.fatal = "no file of the submission could be read: " + "; ".join(sub.messages)
        return sub
    if path.suffix.lower() not in SUFFIXES:
        sub.fatal = (f"{path.name}: unsupported file type; hand in answers.md, answers.tex, a .json "
                     f"answers file, a .py module or a .ipynb notebook")
        return sub
    if not _load_file(path, sub, label=path.name, alone=True) and sub.fatal is None:
        sub.fatal = "; ".join(sub.messages) or f"{path.name}: could not be read"
    return sub


def _as_path(path: str | Path) -> Path:
    """`path` as a Path, not parsed again when it is one (a class loads a thousand of these)."""
    return path if isinstance(path, Path) else Path(path)


def _load_file(file: Path, sub: Submission, *, label: str, alone: bool) -> bool:
    """Merge one file's answers into `sub`; False when it could not be read."""
    suffix = file.suffix.lower()
    if suffix == ".json":
        notes: list[str] = []
        try:
            read = read_json_file(file, notes=notes)
        except Unreadable as exc:
            message = str(exc)
            if not message.startswith(file.name):
                message = f"{label}: {message}"
            sub.messages.append(message.replace(file.name, label, 1))
            return False
        sub.messages.extend(n.replace(file.name, label, 1) for n in notes)
        if read.surrogate_free and not sub.answers:
            _take_all(sub, read.answers, label)
        else:
            merge(sub, read.answers, label, clean=True if read.surrogate_free else None)
        return True
    if suffix in (".md", ".tex"):
        return _load_sheet(file, sub, label)
    try:
        from grader.loaders.python_file import load_python_file
        from grader.sandbox.session import configure
    except ImportError:
        sub.messages.append(f"{label}: Python submissions are not supported by this installation")
        return False
    # ANSWERS are read by importing the module, before any code part names its folders.
    configure(hide=sub.private)
    if file.suffix.lower() != ".ipynb":
        return bool(load_python_file(file, sub, label=label))
    import shutil

    from grader.loaders.notebook import notebook_as_module, scratch_dir

    scratch = scratch_dir()
    try:
        module, notes = notebook_as_module(file, scratch)
        sub.messages.extend(note.replace(file.name, label, 1) for note in notes)
        return bool(load_python_file(module, sub, label=label))  # the session keeps its text
    except Unreadable as exc:
        sub.messages.append(str(exc).replace(file.name, label, 1))
        return False
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def merge(sub: Submission, answers: dict, label: str, *, clean: bool | None = None) -> None:
    """Add answers; `label` names where they come from (a sheet's: the file and line).
    `clean=True`: the reader knows no key or string holds a lone surrogate (else it is checked)."""
    if clean is None:
        clean = _no_surrogate(answers)
    for key, value in answers.items():
        if clean and type(key) is str:
            bad_key = bad_value = False
        else:
            key, bad_key = scrub(str(key))
            value, bad_value = scrub(value)
        if bad_key or bad_value:
            sub.messages.append(f"{label}: the answer to part {key[:60]} holds invalid Unicode (a lone "
                                f"surrogate such as \\ud800), shown as \ufffd; save the file as UTF-8")
        where = label
        if key in sub.answers and sub.answers[key] is not None and value is not None:
            if _same(sub.answers[key], value) or key in sub.rejected:
                continue
            why = (f"part {key} is answered in both {sub.answer_files[key]} and {where}; keep one "
                   f"answer per part: this part is not graded until then")
            sub.messages.append(why)
            sub.rejected[key] = why
            continue
        if value is None:
            continue  # null: a template's blank, no answer (the part is then "missing")
        sub.answers[key] = value
        sub.answer_files[key] = where


def _take_all(sub: Submission, answers: dict[str, Any], label: str) -> None:
    """merge() into a submission with no answer yet, of answers known to hold no lone surrogate
    and keyed by str (a JSON file's): nothing can conflict or need scrubbing, so every answer
    but null is taken as it is, in one pass (what a single-file submission does)."""
    sub.answers.update(answers if None not in answers.values() else
                       {key: value for key, value in answers.items() if value is not None})
    sub.answer_files.update(dict.fromkeys(sub.answers, label))


def _no_surrogate(value) -> bool:
    """True when scrub() would change nothing (the common case), in one pass with no copies:
    plain str, list and dict only (anything else, a subclass included, is left to scrub)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str:
            if has_surrogate(item):
                return False
        elif depth > 40:  # deep nesting: scrub's own walk (and its RecursionError) decides
            return False
        elif kind is list:
            stack.extend([(v, depth + 1) for v in item])
        elif kind is dict:
            stack.extend([(k, depth + 1) for k in item])
            stack.extend([(v, depth + 1) for v in item.values()])
        elif isinstance(item, (str, list, dict)):
            return False
    return True


def _report_functions_twice(sub: Submission) -> None:
    """A function written in two files (a sheet's code, a .py): the first file's is the one a
    code part calls; say so, naming both, so the student keeps one."""
    from grader.loaders.sheet import defined_functions

    seen: dict[str, str] = {}
    for path in sub.python_files:
        label = sub.code_labels.get(str(path), Path(path).name)
        try:
            source = sub.code_sources.get(str(path)) or Path(path).read_text(encoding="utf-8")[:1_000_000]
        except (OSError, UnicodeDecodeError):
            continue
        for name in defined_functions(source):
            if name in seen and seen[name] != label:
                sub.messages.append(f"function {name} is written in both {seen[name]} and {label}; "
                                    f"the one in {seen[name]} is graded: keep one")
            seen.setdefault(name, label)


def _same(a, b) -> bool:
    """The same answer written twice: equal, or equal as text (26 and "26", [1, 2] and "[1, 2]")."""
    try:
        if type(a) is type(b) and a == b:
            return True
        return _as_text(a) == _as_text(b)
    except Exception:  # noqa: BLE001 - odd values are simply not the same
        return False


def _as_text(value) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, default=str)[:100_000]
    return "".join(text.split())


def _load_sheet(file: Path, sub: Submission, label: str) -> bool:
    """answers.md / answers.tex: blocks by part id, merged with their line numbers; Python
    code written in the sheet becomes a module graded like a .py file."""
    from grader.loaders.latex import load_latex
    from grader.loaders.markdown import load_markdown
    from grader.loaders.sheet import code_module

    try:
        sheet, text = (load_markdown if file.suffix.lower() == ".md" else load_latex)(file)
    except Unreadable as exc:
        sub.messages.append(str(exc).replace(file.name, label, 1))
        return False
    sub.messages.extend(p.replace(file.name, label, 1) for p in sheet.problems)
    for block in sheet.blocks:  # in order: a part given twice is a conflict like two files
        if block.value is not None:
            merge(sub, {block.part: block.value}, f"{label} line {block.line}")
    module = code_module(sheet, text.count("\n") + 1)
    if module is not None:
        _load_sheet_code(file, module, sub, label)
    return True


def _load_sheet_code(file: Path, module: str, sub: Submission, label: str) -> None:
    try:
        from grader.loaders.python_file import load_python_file
        from grader.sandbox.session import configure
    except ImportError:
        sub.messages.append(f"{label}: Python code is not supported by this installation")
        return
    import re
    import shutil

    from grader.loaders.notebook import scratch_dir

    configure(hide=sub.private)
    scratch = scratch_dir()
    try:
        target = scratch / (re.sub(r"\W", "_", file.stem) + "_" + file.suffix.lower().lstrip(".") + ".py")
        target.write_text(module, encoding="utf-8")
        sub.code_labels[str(target)] = f"{label} (its Python code)"
        sub.code_sources[str(target)] = module
        load_python_file(target, sub, label=sub.code_labels[str(target)])  # the session keeps the text
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
