"""In-process entries: the result kept as Python objects, copied on every hit.

Unpickling ten rows with their datetimes costs ~15 µs on a slow VM; copying
only their containers costs ~1.5 µs (rows without nested values) to ~6 µs
(rows with relations). Scalars a result can hold (str, int, float, Decimal,
datetime, bytes, UUID, ...) are immutable and shared; every dict, list and
bytearray is copied, so a caller that mutates its result cannot corrupt the
cache or another caller's result. The size charged to the store is measured
with ``sys.getsizeof`` over the whole tree when the entry is filled (rare),
so the store's byte bound is real memory accounting.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from prisma_infra.cache.codec import Unencodable

__all__ = ["Live", "LocalEntry", "copy_tree", "live"]

_IMMUTABLE: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), bytes, Decimal, datetime, date, time, timedelta, uuid.UUID}
)


def copy_tree(value: Any) -> Any:
    """A copy of ``value`` whose dicts, lists, tuples and bytearrays are all new objects."""
    kind = type(value)
    if kind is dict:
        return {k: copy_tree(v) if type(v) not in _IMMUTABLE else v for k, v in value.items()}
    if kind is list:
        return [copy_tree(v) if type(v) not in _IMMUTABLE else v for v in value]
    if kind is tuple:
        return tuple(copy_tree(v) for v in value)
    if kind is bytearray:
        return bytearray(value)
    return value


def _measure(value: Any, seen: set[int]) -> int:
    """Bytes held by ``value`` (``sys.getsizeof`` over the tree); raises `Unencodable` on other types."""
    kind = type(value)
    if kind in _IMMUTABLE:
        if id(value) in seen:
            return 0
        seen.add(id(value))
        return sys.getsizeof(value)
    if kind is dict:
        total = sys.getsizeof(value)
        for k, v in value.items():
            if type(k) is not str:
                raise Unencodable(f"dict key {k!r} is not a string")
            total += _measure(k, seen) + _measure(v, seen)
        return total
    if kind is list or kind is tuple:
        return sys.getsizeof(value) + sum(_measure(v, seen) for v in value)
    if kind is bytearray:
        return sys.getsizeof(value)
    raise Unencodable(f"{kind.__name__} values are not cached")


def _flat_rows(value: Any) -> bool:
    """A list of dicts (or one dict) whose values are all immutable: one ``dict.copy`` per row copies it."""
    rows = value if type(value) is list else (value,)
    immutable = _IMMUTABLE
    for row in rows:
        if type(row) is not dict:
            return False
        for v in row.values():
            if type(v) not in immutable:
                return False
    return True


class Live:
    """A private copy of a result and the cheapest way to hand out further copies of it."""

    __slots__ = ("flat", "size", "value")

    def __init__(self, value: Any, size: int, flat: bool) -> None:
        self.value = value
        self.size = size
        self.flat = flat

    def copy(self) -> Any:
        value = self.value
        if self.flat:
            if type(value) is list:
                return [row.copy() for row in value]
            return value.copy()
        return copy_tree(value)


def live(result: Any) -> Live:
    """A `Live` holding a copy of ``result`` (the caller keeps ``result``).

    :raises Unencodable: the result holds a type the cache does not keep (a custom object).
    """
    kept = Live(result, _measure(result, set()), _flat_rows(result))
    kept.value = kept.copy()
    return kept


@dataclass(slots=True)
class LocalEntry:
    """What an in-process tier holds under an entry key."""

    fresh_until: float
    stale_until: float
    generations: tuple[int, ...]
    live: Live
