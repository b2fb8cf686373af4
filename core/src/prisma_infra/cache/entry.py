"""The bytes of one cache entry: freshness window, tag generations, payload.

Layout (little endian)::

    version:u8  fresh_until:f64  stale_until:f64  n:u16  generations:i64*n  payload

Times are wall-clock seconds (entries are shared between processes). The
generations are those of the entry's tags when its fill started, in the
plan's tag order; the entry is valid only while they are still current.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["Entry", "pack", "unpack"]

_VERSION = 1
_HEAD = struct.Struct("<Bddh")
_GENS: dict[int, struct.Struct] = {}


def _gens(n: int) -> struct.Struct:
    found = _GENS.get(n)
    if found is None:
        found = _GENS[n] = struct.Struct(f"<{n}q")
    return found


@dataclass(frozen=True, slots=True)
class Entry:
    fresh_until: float
    stale_until: float
    generations: tuple[int, ...]
    payload: bytes


def pack(fresh_until: float, stale_until: float, generations: tuple[int, ...], payload: bytes) -> bytes:
    n = len(generations)
    return _HEAD.pack(_VERSION, fresh_until, stale_until, n) + _gens(n).pack(*generations) + payload


def unpack(raw: bytes) -> Entry | None:
    """The entry in ``raw``, or ``None`` for bytes of another version or shape (treated as a miss)."""
    try:
        version, fresh_until, stale_until, n = _HEAD.unpack_from(raw, 0)
        if version != _VERSION or n < 0:
            return None
        layout = _gens(n)
        generations: tuple[int, ...] = layout.unpack_from(raw, _HEAD.size)
    except struct.error:
        return None
    start = _HEAD.size + layout.size
    if len(raw) <= start:
        return None
    # A bytes copy (not a memoryview): the decoders expect bytes.
    return Entry(fresh_until, stale_until, generations, raw[start:])
