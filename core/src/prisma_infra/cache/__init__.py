"""Multi-level caching with relation-aware invalidation (see ``docs/caching.md``).

`CacheManager` (published under `CACHE` in the runtime's services) composes the
tiers, the planner, the read path, the invalidator, the warmer and the stats;
stores (`MemoryStore` here, Redis and memcached in their plugins) only keep bytes.
"""

from prisma_infra.cache.codec import Unencodable, decode, encode
from prisma_infra.cache.facade import ModelCache
from prisma_infra.cache.guard import StoreGuard, StoreUnavailable
from prisma_infra.cache.manager import CacheManager
from prisma_infra.cache.memory import MemoryStore
from prisma_infra.cache.middleware import CacheMiddleware
from prisma_infra.cache.service import CACHE

__all__ = [
    "CACHE",
    "CacheManager",
    "CacheMiddleware",
    "MemoryStore",
    "ModelCache",
    "StoreGuard",
    "StoreUnavailable",
    "Unencodable",
    "decode",
    "encode",
]
