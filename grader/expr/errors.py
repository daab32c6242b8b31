"""The one error the formula machinery raises for bad input, with where it happened."""

from __future__ import annotations


class ExprError(Exception):
    """A formula could not be read or evaluated; the message is shown to students as is.

    ``pos`` is a 0-based offset into the text when known (messages print it 1-based).
    """

    def __init__(self, message: str, pos: int | None = None):
        self.message = message
        self.pos = pos
        super().__init__(message)


class ShapeError(ExprError):
    """Operands of a matrix formula do not fit together (names the sub-expression)."""
