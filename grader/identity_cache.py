"""Results kept per object identity, for values derived from objects used as immutable.

A class grades the same reference formula, the same part result, the same problem over and
over; hashing such objects by value costs as much as the work saved (or they are unhashable).
Keyed by ``id()`` instead, an entry holds its object (and any other object whose id is part of
the key, ``hold``), so no id in a key can be reused while the entry exists.
"""

from __future__ import annotations

from typing import Any, Iterable


class IdentityCache:
    """A bounded map from (object, extra hashable parts) to a value; cleared when full.
    Values are never None (None means "not cached")."""

    def __init__(self, limit: int = 10_000):
        # keyed by id(obj), or (id(obj), *extra) when there are extra parts (no tuple to make
        # for the common lookup: an int is never equal to a tuple)
        self._entries: dict[Any, tuple[Any, Any, tuple]] = {}
        self._limit = limit

    def get(self, obj: Any, *extra: Any) -> Any | None:
        """The value cached for this very object (and ``extra``), or None."""
        hit = self._entries.get((id(obj),) + extra if extra else id(obj))
        return hit[1] if hit is not None and hit[0] is obj else None

    def get_each(self, objs: Iterable[Any]) -> list[Any | None]:
        """[get(obj) for obj in objs], in one call (a report's parts, say)."""
        entries = self._entries
        return [hit[1] if (hit := entries.get(id(obj))) is not None and hit[0] is obj else None for obj in objs]

    def put(self, obj: Any, value: Any, *extra: Any, hold: tuple = ()) -> Any:
        """Cache ``value`` for ``obj`` (clearing everything when full) and return it, for ``return cache.put(...)``."""
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[(id(obj),) + extra if extra else id(obj)] = (obj, value, hold)
        return value
