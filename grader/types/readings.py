"""What answer types remember of the texts they read, for as long as the grading session lives.

A class writes the same few element texts ('$2$', '= 2') and the same phrases thousands of
times, and an answer is compared with its reference, each tier and each anticipated mistake:
reading a text again each time costs more than the comparisons. The memo is the session's
(PartContext.expr_cache, see grader.session): nothing is kept at module level, and a context
without one (a spec check, a test) just reads again. Keys are the type's own tuples (their
first item names what was read), values never None; the memo is cleared when it is full.
"""

from __future__ import annotations

from typing import Any, Callable

from grader.types.base import PartContext

MAX_READINGS = 50_000


def remembered(ctx: PartContext, key: tuple, read: Callable[[], Any]) -> Any:
    """read(), once per session for `key` (what is read must depend on nothing else)."""
    cache = ctx.expr_cache
    memo = getattr(cache, "readings", None)
    if memo is None:
        return read()
    found = memo.get(key)
    if found is None:
        found = read()
        if len(memo) >= MAX_READINGS:
            memo.clear()
        memo[key] = found
    return found
