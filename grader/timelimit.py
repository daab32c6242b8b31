"""Wall-clock limits for code run in the grader's own process (a student's batch slot, solvers
fed a student's carried-forward value, sympy simplifications), safely nested.

One SIGALRM timer serves every level: it is set for the nearest deadline, and when it fires the
level whose deadline passed is interrupted. The interruption travels as a BaseException, so a
broad `except Exception` inside the block (solvers, sympy) cannot swallow it; the level that
set the deadline turns it into :class:`TimeLimit` at its own boundary.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time

# signal.signal without its enum conversions (which cost more than the rest of a limit: a
# batch sets and restores the handler once per student)
from _signal import signal as _set_handler


class TimeLimit(Exception):
    """The limited block ran out of time."""


class _Expired(BaseException):
    def __init__(self, level: object):
        super().__init__("time limit")
        self.level = level


_STACK: list[tuple[object, float]] = []  # (level, monotonic deadline), outermost first


def available() -> bool:
    """Whether wall-clock limits work here: SIGALRM timers exist and only the main thread can receive them."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _arm() -> None:
    if not _STACK:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    nearest = min(deadline for _, deadline in _STACK)
    signal.setitimer(signal.ITIMER_REAL, max(nearest - time.monotonic(), 1e-4))


REFIRE_SECONDS = 1.0


def _on_alarm(signum, frame) -> None:
    now = time.monotonic()
    for i, (level, deadline) in enumerate(_STACK):  # the outermost expired level wins
        if deadline <= now + 1e-3:
            # Fire once now; again only if the interruption was swallowed and the block runs on.
            _STACK[i] = (level, now + REFIRE_SECONDS)
            _arm()
            raise _Expired(level)
    _arm()


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise TimeLimit out of the block after `seconds` (main thread on POSIX; else no limit)."""
    if not seconds or seconds <= 0 or not available():
        yield
        return
    level = object()
    previous = _set_handler(signal.SIGALRM, _on_alarm) if not _STACK else None
    _STACK.append((level, time.monotonic() + seconds))
    _arm()
    try:
        yield
    except _Expired as exc:
        if exc.level is not level:
            raise
        raise TimeLimit(f"took longer than {seconds:g} s") from None
    finally:
        _STACK[:] = [item for item in _STACK if item[0] is not level]
        if _STACK:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if previous is not None:
                _set_handler(signal.SIGALRM, previous)


# -- per-answer budgets ----------------------------------------------------------------------
# Optional work (sympy's proofs: without them the numeric verdict stands) is budgeted per
# student answer, not per comparison: a part that declares thirty mistakes compares an answer
# thirty-odd times, and a hostile formula must not cost thirty budgets.
ANSWER_SECONDS = 1.0

_BUDGETS: list[float] = []  # monotonic deadlines, innermost last


class answer_budget:  # noqa: N801 - used as a context manager, like a function
    """Every comparison inside the block shares `seconds` of optional work. (A class, not a
    generator: the engine enters one for each answer not graded before.)"""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float = ANSWER_SECONDS):
        self.seconds = seconds

    def __enter__(self) -> None:
        _BUDGETS.append(time.monotonic() + self.seconds)

    def __exit__(self, *exc: object) -> None:
        _BUDGETS.pop()


def budget_left(default: float) -> float:
    """Seconds of optional work left for the answer being graded (`default` outside one)."""
    if not _BUDGETS:
        return default
    return max(0.0, min(default, _BUDGETS[-1] - time.monotonic()))


def extend_budget(seconds: float) -> None:
    """Give the answer being graded `seconds` more (time spent on a process's one-time set-up,
    such as importing sympy, is not the answer's)."""
    if _BUDGETS:
        _BUDGETS[-1] += seconds
