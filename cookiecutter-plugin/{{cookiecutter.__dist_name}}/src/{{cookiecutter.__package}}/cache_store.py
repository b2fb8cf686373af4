"""`{{ cookiecutter.__class_prefix }}Store`: a cache store over a dict, with TTLs.

A store implements only the byte-level primitives below. The kernel does the
rest: keys and their namespace, serialisation, tags and invalidation,
single-flight, per-call timeouts and a circuit breaker (a failing store is
bypassed, never an error for the caller), and hit/miss metrics.

Replace the dict with your backend; keep every method's contract (the SDK's
`CacheStoreContract` checks them all: ``pytest tests/test_cache_store.py``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from prisma_infra_sdk import CacheStore

__all__ = ["{{ cookiecutter.__class_prefix }}Store"]


class {{ cookiecutter.__class_prefix }}Store(CacheStore):
    """``cache.stores.{{ cookiecutter.__hyphenated }}``: ``max_entries`` (default 100,000; oldest dropped first)."""

    name: ClassVar[str] = "{{ cookiecutter.__hyphenated }}"
    #: False: entries live in this process (set True for a store several processes share).
    shared: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.max_entries = int(self.options.get("max_entries", 100_000))
        #: key -> (value, absolute expiry on the monotonic clock or None)
        self._data: dict[str, tuple[bytes, float | None]] = {}

    def _get(self, key: str) -> bytes | None:
        found = self._data.get(key)
        if found is None:
            return None
        value, expires = found
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    def _set(self, key: str, value: bytes, expires: float | None) -> None:
        self._data.pop(key, None)
        self._data[key] = (bytes(value), expires)
        while len(self._data) > self.max_entries:
            del self._data[next(iter(self._data))]  # dicts keep insertion order: the oldest goes first

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [self._get(key) for key in keys]

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        expires = time.monotonic() + ttl if ttl is not None else None
        for key, value in items.items():
            self._set(key, value, expires)

    async def delete_many(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._data.pop(key, None)

    async def incr(self, key: str) -> int:
        # Atomic: no await between the read and the write, so no other task runs in between.
        # A networked backend uses its own atomic increment (Redis INCR, memcached incr/add).
        value = int(self._get(key) or b"0") + 1
        self._set(key, str(value).encode(), None)
        return value

    async def clear(self) -> None:
        self._data.clear()
