"""The service key the cache feature publishes its manager under (``kernel.services``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prisma_infra.stash import ServiceKey

if TYPE_CHECKING:
    from prisma_infra.cache.manager import CacheManager

__all__ = ["CACHE"]

CACHE: ServiceKey[CacheManager] = ServiceKey(
    "cache", missing="Caching is not available: the cache middleware is disabled (pipeline.disable)"
)
