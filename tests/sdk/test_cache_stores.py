"""The cache-store kit over every store in the tree: memory (built-in), Redis and memcached."""

from __future__ import annotations

import pytest
from prisma_infra.cache.memory import MemoryStore
from prisma_infra.providers import CacheStore
from prisma_infra_memcached import MemcachedStore
from prisma_infra_redis import RedisStore
from prisma_infra_sdk.testing import CacheStoreContract

from tests.sdk.sdk_servers import Server

pytestmark = pytest.mark.integration


class TestMemoryStore(CacheStoreContract):
    @pytest.fixture
    def store(self) -> CacheStore:
        return MemoryStore({})


class TestRedisStore(CacheStoreContract):
    @pytest.fixture
    def store(self, redis_server: Server) -> CacheStore:
        return RedisStore({"url": redis_server.url})


class TestMemcachedStore(CacheStoreContract):
    @pytest.fixture
    def store(self, memcached_server: Server) -> CacheStore:
        return MemcachedStore({"servers": [f"127.0.0.1:{memcached_server.port}"]})


#: Registered name -> the kit run above; `test_coverage.py` fails for a store missing here.
COVERED = {"memory": TestMemoryStore, "redis": TestRedisStore, "memcached": TestMemcachedStore}
