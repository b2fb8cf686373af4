"""Helpers shared by the cache integration tests and the second process of the two-process test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import prisma_infra_memcached.plugin
import prisma_infra_redis.plugin
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager
from servers import MEMCACHED, REDIS, require
from shared_engine import FileEngine, FileEnginePlugin


def make_infra(cache: dict[str, Any], db: Path, **database_options: Any) -> Infrastructure:
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    plugins.register(FileEnginePlugin())
    plugins.register(prisma_infra_redis.plugin)
    plugins.register(prisma_infra_memcached.plugin)
    config = {"database": {"engine": "file-engine", "options": {"path": str(db), **database_options}}, "cache": cache}
    return Infrastructure(config, plugin_manager=plugins)


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
