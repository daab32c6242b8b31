"""Errors that stop a command, each carrying where it happened."""

from __future__ import annotations


class SpecError(Exception):
    """The instructor's spec or solver is wrong. Exit status 2."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class UsageError(Exception):
    """The command line is wrong (a path that does not exist...). Exit status 2."""
