"""Python submissions: import the module in the sandbox and read its ``ANSWERS``.

The module is never imported in the grader's process. Its ``ANSWERS`` (if any) crosses back
as validated plain data and is merged like a JSON file's answers; the functions it defines
are called later by code parts, in the same sandbox session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.submission import Submission


@dataclass
class PythonLoad:
    """What loading one .py file did. Truthy when the file could be read and imported."""

    ok: bool
    answers: int = 0                       # how many ANSWERS entries were merged
    functions: list[str] = field(default_factory=list)
    message: str | None = None             # why not (also appended to submission.messages)

    def __bool__(self) -> bool:
        return self.ok


def load_python_file(path: Path, submission: Submission, label: str | None = None) -> PythonLoad:
    """Import ``path`` in the submission's sandbox; merge ``ANSWERS`` into ``submission``."""
    from grader.sandbox.session import InternalError, get_session

    path = Path(path)
    label = label or path.name
    if path not in submission.python_files:
        submission.python_files.append(path)
    try:
        session = get_session(submission)
        file = next((f for f, src in _files_by_source(session).items() if src == str(path)), None)
        if file is None:
            file = session.add_file(path)
        result = session.load(file)
    except (OSError, ValueError) as exc:
        return _fail(submission, f"{label}: could not be read: {exc}")
    except InternalError as exc:
        return _fail(submission, f"{label}: the grader could not run it (not your fault, "
                                 f"please report it): {exc}")
    if not result.ok:
        return _fail(submission, f"{label}: {_why(result.failure, file)}")
    load = PythonLoad(True, functions=list(result.functions))
    if result.answers_error:
        load.message = f"{label}: {result.answers_error}; its answers were not read"
        submission.messages.append(load.message)
    elif result.answers is not None:
        from grader.loaders import merge

        before = dict(submission.answer_files)
        merge(submission, result.answers, label)
        load.answers = sum(1 for k in submission.answer_files if k not in before)
    return load


def _files_by_source(session) -> dict[str, str]:
    return getattr(session, "file_sources", {})


def _why(failure, file: str) -> str:
    if failure is None:
        return "could not be imported"
    if failure.kind == "exception":
        prefix = "has a syntax error" if failure.type in ("SyntaxError", "IndentationError",
                                                          "TabError") else "failed to import"
        return f"{prefix}: {failure.describe(False)}"
    if failure.kind == "exit":
        return f"exited while being imported: {failure.describe(False)}"
    return failure.message


def _fail(submission: Submission, message: str) -> PythonLoad:
    submission.messages.append(message)
    return PythonLoad(False, message=message)
