"""What data access asks of the cache: its view of a read (``query.explain()``) and a validator of it.

The cache feature publishes its manager under `CACHE_EXPLAIN` and `CACHE_VALIDATOR`
when its middleware starts; nothing is published while the cache middleware is
disabled (``pipeline.disable``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from prisma_infra.stash import ServiceKey

if TYPE_CHECKING:
    from prisma_infra.operation import Operation

__all__ = ["CACHE_EXPLAIN", "CACHE_VALIDATOR", "CacheExplainer", "CacheValidator"]


class CacheExplainer(Protocol):
    def explain(self, operation: Operation) -> dict[str, Any]:
        """The key, tags, tiers and TTLs the cache would use for ``operation``, or why it would not cache it."""
        ...


CACHE_EXPLAIN: ServiceKey[CacheExplainer] = ServiceKey("cache explain")


class CacheValidator(Protocol):
    async def validator(self, operation: Operation) -> str | None:
        """An opaque string that changes exactly when the cache would drop the entry of the read ``operation``.

        It digests the read's cache key and the current generation of each of its tags
        (its models, the models it includes, its user tags): a write that invalidates the
        entry (relation-aware, in any process sharing the store) changes it, any other write
        does not. With a shared tier the generations are read from the store in one round
        trip, and the fresh values are folded into this process's copy, so a read run
        *after* asking is at least as new as the validator. Ask before running the read.

        ``None`` when the read is not cacheable (cache or model cache off, ``cache=False``,
        inside a transaction, no scope, raw SQL on unknown tables, the actor may not read the
        model) or when the shared store cannot be reached.
        """
        ...


CACHE_VALIDATOR: ServiceKey[CacheValidator] = ServiceKey("cache validator")
"""The service key the cache feature publishes its manager under for validators (HTTP ETags)."""
