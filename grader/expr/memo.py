"""What the formula reader remembers, owned by the objects it is about (no module-level cache).

A symbol table carries the memo of everything computed with it (parses of texts, sample points,
values and error bounds of formulas there, settled sympy proofs); tables and matrix spaces are
built once per declaration by an :class:`ExprCache`, which a grading session owns (see
grader.session). A table built without one (a spec check, a test) keeps its own memo for as
long as it lives. Every entry is a pure function of the table's content and the formulas' text,
so nothing here can go stale when a spec is edited: an edited declaration is another table.
"""

from __future__ import annotations

import json
from typing import Any

from grader.identity_cache import IdentityCache


class TableMemo:
    """The memo of one symbol table."""

    def __init__(self) -> None:
        self.read: dict[Any, Any] = {}  # text, or its token key (a tuple) -> Formula (or ExprError)
        self.samples = IdentityCache()  # (reference node, seed text, samples) -> [(point, value)]
        self.points: dict[str, Any] = {}  # seed text -> (points drawn so far, their generator)
        self.values = IdentityCache(50_000)  # (formula node, point) -> value
        self.bounds = IdentityCache(50_000)  # (formula node, point) -> round-off bound
        self.proved = IdentityCache(10_000)  # (student node, reference, thorough) -> proved equal
        self.same: dict[Any, bool] = {}  # (seed text, side, last side) -> whether a chain's sides agree


MAX_READ = 10_000


def memo_of(table: Any) -> TableMemo:
    """The table's memo, made on first use."""
    memo = getattr(table, "_memo", None)
    if memo is None:
        memo = table._memo = TableMemo()
    return memo


class ExprCache:
    """Symbol tables and matrix spaces by their declaration (a part's `variables` and `dims`):
    parts declaring the same names share one table, and so its memo."""

    def __init__(self) -> None:
        self.by_object = IdentityCache(1000)  # the spec's own mapping: no need to serialize it
        self.by_text: dict[str, Any] = {}  # serialized declaration -> table or space
        self.readings: dict[Any, Any] = {}  # texts answer types read (grader/types/readings.py)

    def get(self, kind: str, variables: Any, dims: Any, build) -> Any:
        """The table or space of this declaration, made by `build()` the first time."""
        found = self.by_object.get(variables, kind, id(dims))
        if found is not None:
            return found
        key = json.dumps((kind, variables, dims), sort_keys=True, default=repr)
        if key not in self.by_text:
            if len(self.by_text) >= 1000:
                self.by_text.clear()
            self.by_text[key] = build()
        return self.by_object.put(variables, self.by_text[key], kind, id(dims), hold=(dims,))

    def adopt(self, other: "ExprCache") -> None:
        """Take the tables `other` built (a spec's, while it was checked) for declarations this
        cache has none for yet: they are keyed by content, so either is as good."""
        for key, value in other.by_text.items():
            self.by_text.setdefault(key, value)
