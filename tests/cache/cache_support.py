"""Helpers shared by the cache integration tests and the second process of the two-process test."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import prisma_infra_memcached.plugin
import prisma_infra_redis.plugin
from prisma_infra.clock import Clock, ManualClock
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager

from tests.cache.servers import MEMCACHED, REDIS, require
from tests.cache.shared_engine import FileEngine, FileEnginePlugin


def make_infra(
    cache: dict[str, Any], db: Path, *, clock: Clock | None = None, **database_options: Any
) -> Infrastructure:
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    plugins.register(FileEnginePlugin())
    plugins.register(prisma_infra_redis.plugin)
    plugins.register(prisma_infra_memcached.plugin)
    config = {"database": {"engine": "file-engine", "options": {"path": str(db), **database_options}}, "cache": cache}
    return Infrastructure(config, plugin_manager=plugins, clock=clock)


def prisma_settings(url: str, cache: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """Settings of the real Prisma engine on the integration suite's SQLite database, with ``cache``."""
    from tests.integration.it_support import settings

    plugins = {"load": ["prisma", "redis", "memcached"]}
    return {**settings("sqlite", url), "plugins": plugins, "cache": cache, **sections}


def engine_of(infra: Infrastructure) -> FileEngine:
    engine = infra.engine
    assert isinstance(engine, FileEngine)
    return engine


def shared_cache(kind: str, namespace: str, *, l1: bool = True, **extra: Any) -> dict[str, Any]:
    if kind == "redis":
        require("Redis", REDIS)
        options: dict[str, Any] = {"url": f"redis://{REDIS[0]}:{REDIS[1]}/0"}
    else:
        require("memcached", MEMCACHED)
        options = {"servers": [f"{MEMCACHED[0]}:{MEMCACHED[1]}"]}
    options.update(namespace=namespace, sync_interval=0.02)
    options.update(extra.pop("store_options", {}))
    return {"tiers": (["memory"] if l1 else []) + [kind], "stores": {kind: options}, **extra}


async def breaker_closes(infra: Infrastructure, store: str, clock: ManualClock, attempts: int = 20) -> None:
    """Wait until the breaker of ``store`` is closed again, moving ``clock`` past each back-off.

    Each round lets the back-off pass, probes (a generation sync) and waits for the probe's
    answer, which is real I/O bounded by the store's timeout; a probe that fails opens it again.
    """
    guard = infra.cache_manager.tiers.by_name[store].guard
    back = asyncio.Event()
    guard.on_recover = lambda _guard: back.set()
    for _ in range(attempts):
        if not guard.open:
            return
        back.clear()
        await clock.advance(guard.retry_max)
        await infra.cache_manager.tiers.sync()  # probes, unless the sync loop's probe is under way
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(back.wait(), 2 * guard.timeout)
    raise AssertionError(f"the breaker of {store!r} stayed open: {guard.stats()}")
