"""The one store contract, run over memory, Redis and memcached (private servers: ``clear`` is allowed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prisma_infra.cache.memory import MemoryStore
from prisma_infra.providers.cache import CacheStore
from prisma_infra_memcached import MemcachedStore
from prisma_infra_redis import RedisStore
from prisma_infra_sdk.testing.contracts.cache import CONTRACT, Check, run_check

from tests.cache.servers import Server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Server]]:
    started = {"redis": Server("redis").start(), "memcached": Server("memcached").start()}
    yield started
    for server in started.values():
        server.kill()


def build(kind: str, servers: dict[str, Server]) -> CacheStore:
    if kind == "memory":
        return MemoryStore({})
    if kind == "redis":
        return RedisStore(servers["redis"].store_options())
    return MemcachedStore(servers["memcached"].store_options())


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__.removeprefix("check_"))
@pytest.mark.parametrize("kind", ["memory", "redis", "memcached"])
async def test_contract(kind: str, check: Check, servers: dict[str, Server]) -> None:
    await run_check(build(kind, servers), check)


async def test_stores_translate_errors(servers: dict[str, Server]) -> None:
    from prisma_infra.errors import CacheBackendError

    for store in (RedisStore({"url": "redis://127.0.0.1:1/0"}), MemcachedStore({"servers": ["127.0.0.1:1"]})):
        await store.start()
        with pytest.raises(CacheBackendError) as info:
            await store.get_many(["k"])
        assert info.value.backend == store.name
        await store.close()


def test_redis_url_credentials_are_masked() -> None:
    store = RedisStore({"url": "redis://user:s3cret@example:6379/0"})
    assert "s3cret" not in store.safe_url and "s3cret" not in str(store.stats())
