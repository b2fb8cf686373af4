"""The cache-store interface: byte storage with TTL and counters.

The cache manager owns keys, tags, serialisation, timeouts, metrics and
degradation; a store implements only these primitives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = ["CacheStore"]


class CacheStore(ABC):
    """A key/value store of bytes, local (memory) or shared (Redis, memcached)."""

    name: ClassVar[str] = ""
    #: True when several processes see the same entries (drives cross-process invalidation).
    shared: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: Mapping[str, Any] = dict(options or {})

    @abstractmethod
    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Values for ``keys`` in order, ``None`` where missing or expired."""

    @abstractmethod
    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """Store every item; ``ttl`` in seconds, ``None`` for no expiry."""

    @abstractmethod
    async def delete_many(self, keys: Sequence[str]) -> None:
        """Remove keys (missing keys are ignored)."""

    @abstractmethod
    async def incr(self, key: str) -> int:
        """Atomically add one to a counter (created at 1) and return the new value."""

    @abstractmethod
    async def clear(self) -> None:
        """Remove every entry this store owns."""

    async def start(self) -> None:  # noqa: B027 - optional
        """Connect; called once before first use."""

    async def close(self) -> None:  # noqa: B027 - optional
        """Disconnect; called when the store is swapped out or the infrastructure stops."""
