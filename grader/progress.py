"""A one-line progress bar on stderr, so stdout stays clean for the summary table."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`done/total [#####.....] pct elapsed`, redrawn at most ten times a second."""

    def __init__(self, total: int, label: str = "grading", stream: TextIO | None = None,
                 enabled: bool = True, width: int = 30):
        self.total = max(total, 0)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.total > 0
        self.width = width
        self.done = 0
        self.start = time.monotonic()
        self._drawn = 0.0

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more done; redraws at most ten times a second so the bar costs nothing noticeable."""
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._drawn >= 0.1 or self.done >= self.total):
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        frac = min(1.0, self.done / self.total)
        filled = int(round(frac * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        self.stream.write(f"\r{self.label} {self.done}/{self.total} [{bar}] {frac:4.0%} "
                          f"{elapsed:5.1f}s eta {eta:4.0f}s ")
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
