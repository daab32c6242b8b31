"""Which part a student's answer key names: the grader and the self-check match keys alike.

Students write part ids loosely ('3.1.', 'Q1.a ', 'q1.A'): a key that is not a part id but
reads as one once white space, outer dots and case are ignored is taken as that part, unless
the part was also answered under its exact id (then the exact answer stands).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

MAX_KEY = 200  # characters of a key that are compared (a key a megabyte long is not an id)


def part_key(text: str) -> str:
    """A part id or answer key without white space, outer dots and case: what must agree."""
    return "".join(text.split()).strip(".").casefold()


def key_index(ids: Iterable[str]) -> dict[str, str]:
    """part_key -> part id, built once per problem."""
    return {part_key(i): i for i in ids}


def match_part_ids(ids: frozenset[str] | set[str], index: Mapping[str, str],
                   answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str | None]]]:
    """Student keys -> part ids: (the answers by part id, and each key that is no exact id in
    the order met, with the part it was taken as, or None when it names no part).

    ``index`` is :func:`key_index` of ``ids``; callers word the notes (the grader and the
    self-check say different things about the same match)."""
    out: dict[str, Any] = {}
    notes: list[tuple[str, str | None]] = []
    for key, value in answers.items():
        if key in ids:
            out.setdefault(key, value)
            continue
        target = index.get(part_key(key[:MAX_KEY]))
        if target and target not in answers and target not in out:
            out[target] = value
            notes.append((key, target))
        else:
            notes.append((key, None))
    return out, notes
