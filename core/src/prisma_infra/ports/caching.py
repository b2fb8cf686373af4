"""What data access asks of the cache: ``query.explain()`` shows the cache's view of a read.

The cache feature publishes its manager under `CACHE_EXPLAIN` when its middleware starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from prisma_infra.stash import ServiceKey

if TYPE_CHECKING:
    from prisma_infra.operation import Operation

__all__ = ["CACHE_EXPLAIN", "CacheExplainer"]


class CacheExplainer(Protocol):
    def explain(self, operation: Operation) -> dict[str, Any]:
        """The key, tags, tiers and TTLs the cache would use for ``operation``, or why it would not cache it."""
        ...


CACHE_EXPLAIN: ServiceKey[CacheExplainer] = ServiceKey("cache explain")
