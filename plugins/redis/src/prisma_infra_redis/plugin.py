"""Entry point ``redis``: registers the ``redis`` cache store."""

from __future__ import annotations

from collections.abc import Callable

from prisma_infra_sdk import hookimpl

from prisma_infra_redis.store import RedisStore

name = "redis"


@hookimpl
def register_cache_stores(register: Callable[[str, object], None]) -> None:
    register("redis", RedisStore)
