"""Wording of the hints given for a wrong formula (shared by the scalar and matrix judges)."""

from __future__ import annotations


def factor_hint(c: float) -> str:
    """'off by a constant factor of about 2'; the factor is printed with enough figures to tell
    it from 1 (1.0001 is not 'about 1'), and no hint at all when it cannot be told apart."""
    for digits in (4, 6, 8):
        text = f"{c:.{digits}g}"
        if float(text) != 1.0:
            return f"it is off by a constant factor of about {text}"
    return ""
