"""memcached cache store for prisma-infra."""

from prisma_infra_memcached.store import MemcachedStore

__all__ = ["MemcachedStore"]
