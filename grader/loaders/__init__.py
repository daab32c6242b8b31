"""Turning whatever a student handed in (a .json, a .py, a folder) into a Submission."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grader.loaders.file_checks import refusal
from grader.loaders.json_file import Unreadable, read_json_answers
from grader.submission import Submission

MAX_FILES = 200
SUFFIXES = (".json", ".py", ".ipynb")
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
    path = Path(path)
    instructor = [Path(p) for p in private]
    sub = Submission(source=str(path), student_id=student_id, private=instructor + [Path(p) for p in hide])
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)  # one stat: a class has a thousand of these
    except (OSError, ValueError):
        sub.fatal = f"{path.name}: file not found"
        return sub
    why = refusal(path, instructor)
    if why is not None:
        sub.fatal = f"skipped: {why}"
        return sub
    if is_dir:
        refused: list[str] = []
        files = submission_files(path, instructor, refused)
        sub.messages.extend(f"skipped: {why}" for why in refused)
        if not files:
            sub.fatal = "; ".join(sub.messages) if refused else (
                f"{path.name}: no .json, .py or .ipynb file found in the submission "
                f"(expected an answers file such as answers.json)")
            return sub
        if len(files) > MAX_FILES:
            sub.messages.append(f"{path.name}: {len(files)} files; only the first {MAX_FILES} are read")
            files = files[:MAX_FILES]
        read_any = False
        for file in files:
            read_any |= _load_file(file, sub, label=str(file.relative_to(path)), alone=False)
        if not read_any:
            sub.fatal = "no file of the submission could be read: " + "; ".join(sub.messages)
        return sub
    if path.suffix.lower() not in SUFFIXES:
        sub.fatal = (f"{path.name}: unsupported file type; hand in a .json answers file, a .py module "
                     f"or a .ipynb notebook")
        return sub
    if not _load_file(path, sub, label=path.name, alone=True) and sub.fatal is None:
        sub.fatal = "; ".join(sub.messages) or f"{path.name}: could not be read"
    return sub


def _load_file(file: Path, sub: Submission, *, label: str, alone: bool) -> bool:
    """Merge one file's answers into `sub`; False when it could not be read."""
    if file.suffix.lower() == ".json":
        try:
            answers = read_json_answers(file)
        except Unreadable as exc:
            message = str(exc)
            if not message.startswith(file.name):
                message = f"{label}: {message}"
            sub.messages.append(message.replace(file.name, label, 1))
            return False
        merge(sub, answers, label)
        return True
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


def merge(sub: Submission, answers: dict, label: str) -> None:
    from grader.printable import scrub

    for key, value in answers.items():
        key, bad_key = scrub(str(key))
        value, bad_value = scrub(value)
        if bad_key or bad_value:
            sub.messages.append(f"{label}: the answer to part {key[:60]} holds invalid Unicode (a lone "
                                f"surrogate such as \\ud800), shown as \ufffd; save the file as UTF-8")
        if key in sub.answers:
            sub.messages.append(f"part {key} is answered in both {sub.answer_files[key]} and {label}; "
                                f"using {sub.answer_files[key]}")
            continue
        sub.answers[key] = value
        sub.answer_files[key] = label
