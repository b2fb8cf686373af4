"""What other features ask of the cache: its view of a read (``query.explain()``), a validator of
a read (HTTP ETags), and the deployment's shared store (the dashboard's process documents).

The cache feature publishes its manager under `CACHE_EXPLAIN` and `CACHE_VALIDATOR`,
and, when a shared store (Redis, memcached) is configured, that store under
`SHARED_STORE`, when its middleware starts; nothing is published while the cache
middleware is disabled (``pipeline.disable``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from prisma_infra.stash import ServiceKey

if TYPE_CHECKING:
    from prisma_infra.operation import Operation

__all__ = ["CACHE_EXPLAIN", "CACHE_VALIDATOR", "SHARED_STORE", "CacheExplainer", "CacheValidator", "SharedStore"]


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


class SharedStore(Protocol):
    """The store every process of a deployment shares, for other features' small documents.

    The cache's own client (no second connection), behind its breaker and timeout. Keys
    are namespaced by the store's ``namespace`` and never meet the cache's entries or
    generations.

    :raises CacheBackendError: (every method) the store failed, timed out or its breaker is open.
    """

    @property
    def name(self) -> str:
        """The store's name in ``cache.stores`` (``redis``, ``memcached``)."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Values for ``keys`` in order, ``None`` where missing or expired."""
        ...

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """Store every item for ``ttl`` seconds (``None``: no expiry)."""
        ...

    async def delete_many(self, keys: Sequence[str]) -> None:
        """Remove keys (missing keys are ignored)."""
        ...


SHARED_STORE: ServiceKey[SharedStore] = ServiceKey("shared store")
"""The deployment's shared store, published by the cache when one of its tiers is shared."""
