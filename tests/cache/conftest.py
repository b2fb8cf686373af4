"""Integration fixtures: real Redis and memcached (never skipped), private servers, infrastructures."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import prisma_infra_memcached.plugin  # noqa: E402
import prisma_infra_redis.plugin  # noqa: E402
from prisma_infra.infrastructure import Infrastructure  # noqa: E402
from prisma_infra.plugin_manager import PluginManager  # noqa: E402
from servers import MEMCACHED, REDIS, Server, require  # noqa: E402
from shared_engine import FileEngine, FileEnginePlugin  # noqa: E402


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


@pytest.fixture
def namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "db.json"
    path.write_text("{}")
    return path


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


@pytest.fixture(params=["redis", "memcached"])
def shared(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def private_server(shared: str) -> Iterator[Server]:
    server = Server(shared).start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def infra_for(db: Path) -> AsyncIterator[Any]:
    """``await infra_for(cache)`` → a started infrastructure, closed after the test."""
    started: list[Infrastructure] = []

    async def build(cache: dict[str, Any], **options: Any) -> Infrastructure:
        infra = make_infra(cache, db, **options)
        await infra.start()
        started.append(infra)
        return infra

    yield build
    for infra in started:
        await infra.close()
