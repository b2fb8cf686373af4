"""Entry point ``memcached``: registers the ``memcached`` cache store."""

from __future__ import annotations

from collections.abc import Callable

from prisma_infra_sdk import hookimpl

from prisma_infra_memcached.store import MemcachedStore

name = "memcached"


@hookimpl
def register_cache_stores(register: Callable[[str, object], None]) -> None:
    register("memcached", MemcachedStore)
