"""A wall-clock limit for trusted code run in the grader's own process (solvers fed a student's
carried-forward value, sympy simplifications), so no answer can stall a grading run."""

from __future__ import annotations

import contextlib
import signal
import threading


class TimeLimit(Exception):
    """The limited call ran out of time."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise TimeLimit in the block after `seconds` (main thread on Unix; elsewhere no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise TimeLimit(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    outer = signal.getitimer(signal.ITIMER_REAL)[0]
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer > 0 else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:  # re-arm an enclosing limit (approximately: time spent here is lost)
            signal.setitimer(signal.ITIMER_REAL, outer)
