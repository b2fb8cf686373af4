"""The in-process store: LRU with TTL, bounded by bytes and by entries.

Through the `CacheStore` API it holds bytes, like any store. The cache
manager's in-process tier uses `get_entry`/`set_entry` instead: a
`~prisma_infra.cache.live.LocalEntry` whose result is copied on every hit (so
a caller that mutates its result cannot corrupt the cache), charged at the
size measured over its objects, so the byte bound is real memory accounting.
Expiry is timed on `clock` (the cache manager gives its tiers the kernel's clock).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from prisma_infra.cache.live import LocalEntry
from prisma_infra.clock import SYSTEM_CLOCK, Clock
from prisma_infra.providers.cache import CacheStore

__all__ = ["MemoryStore"]

#: Bytes charged per entry on top of key and value: the OrderedDict node, the tuple, the float.
ENTRY_OVERHEAD = 160


class MemoryStore(CacheStore):
    """``cache.stores.memory``: ``max_bytes`` (default 64 MiB), ``max_entries`` (default 100,000)."""

    name: ClassVar[str] = "memory"
    shared: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None, *, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(options)
        #: Where expiry reads time; replaced by the cache manager with the kernel's clock.
        self.clock = clock
        self.max_bytes = int(self.options.get("max_bytes", 64 * 1024 * 1024))
        self.max_entries = int(self.options.get("max_entries", 100_000))
        if self.max_bytes <= 0 or self.max_entries <= 0:
            raise ValueError("cache.stores.memory: max_bytes and max_entries must be positive")
        # key -> (value, expires at (0: never), bytes charged)
        self._data: OrderedDict[str, tuple[Any, float, int]] = OrderedDict()
        self.bytes = 0
        self.evictions = 0
        self.expirations = 0

    # -- synchronous primitives (the cache manager's hot path uses these directly) -------

    def _lookup(self, key: str) -> Any:
        found = self._data.get(key)
        if found is None:
            return None
        value, expires, _ = found
        if expires and expires <= self.clock.monotonic():
            self._remove(key)
            self.expirations += 1
            return None
        self._data.move_to_end(key)
        return value

    def _put(self, key: str, value: Any, size: int, ttl: float | None) -> None:
        if size > self.max_bytes:
            return
        if key in self._data:
            self._remove(key)
        self._data[key] = (value, self.clock.monotonic() + ttl if ttl else 0.0, size)
        self.bytes += size
        data = self._data
        while self.bytes > self.max_bytes or len(data) > self.max_entries:
            oldest = next(iter(data))
            self._remove(oldest)
            self.evictions += 1

    def get(self, key: str) -> bytes | None:
        found = self._lookup(key)
        return found if type(found) is bytes else None

    def set(self, key: str, value: bytes, ttl: float | None) -> None:
        self._put(key, value, len(key) + len(value) + ENTRY_OVERHEAD, ttl)

    def get_entry(self, key: str) -> LocalEntry | None:
        """The cache manager's entry under ``key`` (``None`` when absent or expired)."""
        found = self._lookup(key)
        return found if type(found) is LocalEntry else None

    def set_entry(self, key: str, entry: LocalEntry, ttl: float | None) -> None:
        self._put(key, entry, len(key) + entry.live.size + ENTRY_OVERHEAD, ttl)

    def delete(self, key: str) -> None:
        if key in self._data:
            self._remove(key)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with ``prefix``; returns how many."""
        doomed = [k for k in self._data if k.startswith(prefix)]
        for key in doomed:
            self._remove(key)
        return len(doomed)

    def purge_expired(self) -> int:
        now = self.clock.monotonic()
        doomed = [k for k, (_, expires, _) in self._data.items() if expires and expires <= now]
        for key in doomed:
            self._remove(key)
        self.expirations += len(doomed)
        return len(doomed)

    def _remove(self, key: str) -> None:
        _, _, size = self._data.pop(key)
        self.bytes -= size

    def __len__(self) -> int:
        return len(self._data)

    # -- CacheStore ------------------------------------------------------------------------

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        get = self.get
        return [get(k) for k in keys]

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        for key, value in items.items():
            self.set(key, value, ttl)

    async def delete_many(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.delete(key)

    async def incr(self, key: str) -> int:
        # Stored as ASCII digits without expiry, as Redis and memcached store counters.
        found = self.get(key)
        value = (int(found) if found is not None else 0) + 1
        self.set(key, str(value).encode(), None)
        return value

    async def clear(self) -> None:
        self._data.clear()
        self.bytes = 0

    def stats(self) -> dict[str, int]:
        return {
            "entries": len(self._data),
            "bytes": self.bytes,
            "max_bytes": self.max_bytes,
            "max_entries": self.max_entries,
            "evictions": self.evictions,
            "expirations": self.expirations,
        }
