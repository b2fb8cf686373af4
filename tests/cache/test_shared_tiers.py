"""The cache on real Redis and memcached: hits, relation-aware invalidation, tenants, SWR, single-flight."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from prisma_infra.clock import ManualClock
from prisma_infra.operation import CacheOptions

from tests.cache.cache_support import engine_of, shared_cache

pytestmark = pytest.mark.integration

USERS = [
    {"id": 1, "email": "a@x", "name": "Ann", "tenantId": "t1"},
    {"id": 2, "email": "b@x", "name": "Bo", "tenantId": "t2"},
]
POSTS = [
    {"id": "p1", "title": "Hello", "authorId": 1, "tenantId": "t1"},
    {"id": "p2", "title": "Other tenant", "authorId": 2, "tenantId": "t2"},
]


def seed(infra: Any) -> None:
    engine_of(infra).seed({"User": USERS, "Post": POSTS})


async def test_shared_hit_equals_uncached_read_exactly(shared: str, namespace: str, infra_for: Any) -> None:
    row = {
        "id": "p1",
        "authorId": 1,
        "price": Decimal("19.90"),
        "karma": 2**63 + 1,
        "avatar": b"\x00\xff",
        "publishedAt": datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC),
        "title": "\u00e9t\u00e9",
    }
    writer = await infra_for(shared_cache(shared, namespace, l1=False))
    engine_of(writer).seed({"Post": [row]})
    uncached = await writer.call("Post", "findMany", {})
    reader = await infra_for(shared_cache(shared, namespace, l1=False))
    cached = await reader.call("Post", "findMany", {})
    assert engine_of(reader).reads == 0, "the second infrastructure must read the shared tier"
    assert cached == uncached == [row]
    assert [type(v) for v in cached[0].values()] == [type(v) for v in row.values()]


async def test_relation_aware_invalidation(shared: str, namespace: str, infra_for: Any) -> None:
    """A cached post with its author included is a miss after the author changes, and is fresh."""
    infra = await infra_for(shared_cache(shared, namespace))
    seed(infra)
    args = {"where": {"id": "p1"}, "include": {"author": True}}
    assert (await infra.call("Post", "findMany", args))[0]["author"]["name"] == "Ann"
    await infra.call("Post", "findMany", args)
    assert engine_of(infra).reads == 1
    other = await infra_for(shared_cache(shared, namespace))  # a second instance writes
    await other.call("User", "update", {"where": {"id": 1}, "data": {"name": "Bea"}})
    await infra.cache_manager.tiers.sync()  # what its sync loop does every sync_interval
    fresh = await infra.call("Post", "findMany", args)
    assert fresh[0]["author"]["name"] == "Bea"
    assert engine_of(infra).reads == 2
    stats = infra.cache_for("post").stats()["tiers"]
    assert stats["memory"]["hits"] == 1


async def test_tenants_never_share_entries(shared: str, namespace: str, infra_for: Any) -> None:
    infra = await infra_for(shared_cache(shared, namespace))
    seed(infra)
    with infra.acting_as({"id": 1}, tenant="t1"):
        t1 = await infra.call("Post", "findMany", {})
    with infra.acting_as({"id": 1}, tenant="t2"):
        t2 = await infra.call("Post", "findMany", {})
    assert [p["id"] for p in t1] == ["p1"] and [p["id"] for p in t2] == ["p2"]
    other = await infra_for(shared_cache(shared, namespace, l1=False))
    with other.acting_as({"id": 1}, tenant="t2"):
        assert [p["id"] for p in await other.call("Post", "findMany", {})] == ["p2"]
    assert engine_of(other).reads == 0


async def test_single_flight_counts_engine_calls(shared: str, namespace: str, infra_for: Any) -> None:
    infra = await infra_for(shared_cache(shared, namespace))
    seed(infra)
    gate = engine_of(infra).hold()
    readers = asyncio.gather(*(infra.call("Post", "findMany", {"where": {"id": "p1"}}) for _ in range(100)))
    await engine_of(infra).entered.wait()
    gate.set()
    results = await readers
    assert engine_of(infra).reads == 1
    assert all(r == results[0] and r[0]["title"] == "Hello" for r in results)


async def test_stale_while_revalidate(shared: str, namespace: str, infra_for: Any) -> None:
    cache = shared_cache(shared, namespace, l1=False, ttl=1, swr=30, jitter=0)
    clock = ManualClock(wall=time.time())  # entries' windows are wall-clock times, shared through the store
    infra = await infra_for(cache, clock=clock)
    seed(infra)
    engine = engine_of(infra)
    await infra.call("Post", "findMany", {"where": {"id": "p1"}})
    other = await infra_for(shared_cache(shared, namespace, l1=False))
    engine_of(other).seed({"User": USERS, "Post": [{**POSTS[0], "title": "Changed quietly"}, POSTS[1]]})
    await clock.advance(1.3)  # fresh for 1 s, then stale for 30 s (the store keeps it 31 s of real time)
    gate = engine.hold()
    stale = await asyncio.gather(*(infra.call("Post", "findMany", {"where": {"id": "p1"}}) for _ in range(20)))
    assert all(r[0]["title"] == "Hello" for r in stale)  # served while the refresh waits at the engine
    await engine.entered.wait()
    engine.held = None
    gate.set()
    await infra.cache_manager.background.settled()
    assert engine.reads == 2, "twenty stale hits must start one background refresh"
    assert (await infra.call("Post", "findMany", {"where": {"id": "p1"}}))[0]["title"] == "Changed quietly"
    assert engine.reads == 2
    waited = await infra.call("Post", "findMany", {"where": {"id": "p1"}}, cache=CacheOptions(serve_stale=False))
    assert waited[0]["title"] == "Changed quietly"


async def test_user_tags_invalidate_across_instances(shared: str, namespace: str, infra_for: Any) -> None:
    a = await infra_for(shared_cache(shared, namespace))
    seed(a)
    b = await infra_for(shared_cache(shared, namespace))
    home = CacheOptions(tags=("home page",))
    await b.call("Post", "findMany", {}, cache=home)
    await b.call("Post", "findMany", {}, cache=home)
    assert engine_of(b).reads == 1
    await a.cache.invalidate(tags=["home page"])
    await b.cache_manager.tiers.sync()
    await b.call("Post", "findMany", {}, cache=home)
    assert engine_of(b).reads == 2
