"""Multi-level caching with relation-aware invalidation (see ``docs/caching.md``).

`CacheManager` owns keys, tags, generations, tiers, single-flight, SWR, stats
and degradation; stores (`MemoryStore` here, Redis and memcached in their
plugins) only keep bytes.
"""

from prisma_infra.cache.codec import Unencodable, decode, encode
from prisma_infra.cache.facade import ModelCache
from prisma_infra.cache.guard import StoreGuard, StoreUnavailable
from prisma_infra.cache.manager import CacheManager
from prisma_infra.cache.memory import MemoryStore
from prisma_infra.cache.middleware import CacheMiddleware

__all__ = [
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
