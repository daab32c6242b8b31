"""What a loaded submission is, whatever format it came in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Submission:
    """A student's answers as plain data, plus the untrusted Python files (never imported here).

    ``fatal`` is set when nothing could be read at all: the engine then scores every part 0
    with that reason, so no student is lost.
    """

    source: str  # the path shown in messages
    answers: dict[str, Any] = field(default_factory=dict)
    answer_files: dict[str, str] = field(default_factory=dict)  # part id -> file it came from
    python_files: list[Path] = field(default_factory=list)
    student_id: str | None = None
    messages: list[str] = field(default_factory=list)  # warnings: unknown ids, duplicates...
    fatal: str | None = None
    # part id -> why its answer is not graded (answered differently in two files or blocks)
    rejected: dict[str, str] = field(default_factory=dict)
    # Python written inside an answer sheet: its scratch module's path -> label, and its text
    code_labels: dict[str, str] = field(default_factory=dict)
    code_sources: dict[str, str] = field(default_factory=dict)
    private: list[Path] = field(default_factory=list)  # folders student code must not see
    # Filled lazily by the sandbox (code parts): one isolated session per submission.
    runtime: Any = None

    def close(self) -> None:
        """Release the submission's sandbox session (its processes), if one was started; safe to call twice."""
        if self.runtime is not None and hasattr(self.runtime, "close"):
            self.runtime.close()
        self.runtime = None
