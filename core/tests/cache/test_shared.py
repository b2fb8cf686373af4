"""Shared tiers with a fake shared store: two managers on one backing behave like two processes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from prisma_infra.cache.manager import CacheManager
from prisma_infra.cache.memory import MemoryStore
from prisma_infra.clock import ManualClock
from prisma_infra.operation import Action
from prisma_infra.schema.model import Schema

from core.tests.cache.cache_fakes import FakeDB, SharedFake, backends, make_manager, op, run, sleeping


class Cluster:
    """Managers ("processes") sharing one store backing; each has its own SharedFake client."""

    def __init__(self, schema: Schema, tiers: list[str], *, timeout: float = 0.1, **cache: Any) -> None:
        self.schema = schema
        self.backing = MemoryStore({})
        self.tiers = tiers
        self.timeout = timeout
        self.cache = cache
        self.clients: list[SharedFake] = []
        self.processes = 0
        #: The clock of every process: the generation sync, the staleness of its copy, the breaker's back-off.
        self.clock = ManualClock()

    def factory(self, options: Any) -> SharedFake:
        client = SharedFake(self.backing, options)
        self.clients.append(client)
        return client

    async def process(self) -> CacheManager:
        store = {"sync_interval": 0.02, "timeout": self.timeout, "retry_after": 0.05}
        cache = {"tiers": self.tiers, "stores": {"fake": store}, **self.cache}
        manager = make_manager(self.schema, backends(fake=self.factory), clock=self.clock, cache=cache)
        await manager.start()
        self.processes += 1
        await sleeping(self.clock, self.processes)  # its generation sync waits for the clock
        return manager

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for every process: each sync loop runs every 20 ms of it."""
        await self.clock.advance(seconds)


def seed(db: FakeDB) -> None:
    db.tables["User"] = [{"id": 1, "email": "a@x", "name": "Ann"}]
    db.tables["Post"] = [{"id": "p1", "title": "Hello", "authorId": 1}]


async def test_shared_tier_hit_is_one_round_trip(schema: Schema, db: FakeDB) -> None:
    seed(db)
    cluster = Cluster(schema, ["fake"])
    a = await cluster.process()
    await run(a, db, op("Post"))
    client = cluster.clients[0]
    before = client.calls
    assert await run(a, db, op("Post")) == db.tables["Post"]
    assert client.calls - before == 1
    assert db.reads == 1
    await a.close()


async def test_second_process_hits_the_shared_tier_then_its_l1(schema: Schema, db: FakeDB) -> None:
    seed(db)
    cluster = Cluster(schema, ["memory", "fake"])
    a, b = await cluster.process(), await cluster.process()
    await run(a, db, op("Post"))
    await run(b, db, op("Post"))
    assert db.reads == 1
    calls = cluster.clients[1].calls
    await run(b, db, op("Post"))  # now from B's in-process tier: no store call
    assert cluster.clients[1].calls == calls
    tiers = b.stats()["models"]["Post"]["tiers"]
    assert tiers["fake"]["hits"] == 1 and tiers["memory"]["hits"] == 1
    await a.close()
    await b.close()


async def test_write_in_one_process_reaches_the_other_within_the_sync_interval(schema: Schema, db: FakeDB) -> None:
    seed(db)
    cluster = Cluster(schema, ["memory", "fake"])
    a, b = await cluster.process(), await cluster.process()
    await run(b, db, op("Post", args={"include": {"author": True}}))
    await run(b, db, op("Post", args={"include": {"author": True}}))
    assert db.reads == 1
    await run(a, db, op("User", Action.UPDATE, {"where": {"id": 1}, "data": {"name": "Bea"}}))
    stale = await run(b, db, op("Post", args={"include": {"author": True}}))
    assert stale[0]["author"]["name"] == "Ann"  # B's copy of the generations is not synced yet
    await cluster.advance(0.02)
    fresh = await run(b, db, op("Post", args={"include": {"author": True}}))
    assert fresh[0]["author"]["name"] == "Bea"
    await a.close()
    await b.close()


async def test_writer_reads_its_own_write_at_once(schema: Schema, db: FakeDB) -> None:
    seed(db)
    cluster = Cluster(schema, ["memory", "fake"], )
    a = await cluster.process()
    await run(a, db, op("Post"))
    await run(a, db, op("Post", Action.UPDATE, {"where": {"id": "p1"}, "data": {"title": "Mine"}}))
    assert (await run(a, db, op("Post")))[0]["title"] == "Mine"
    await a.close()


async def test_lost_counters_never_revive_old_entries(schema: Schema, db: FakeDB) -> None:
    """A store flush loses counters; a counter re-created afterwards must not match old entries."""
    seed(db)
    cluster = Cluster(schema, ["fake"])
    a = await cluster.process()
    await run(a, db, op("Post"))
    entry_keys = [k for k in cluster.backing._data if ":e:" in k]
    saved = {k: cluster.backing.get(k) for k in entry_keys}
    await cluster.backing.clear()  # counters (and entries) gone ...
    await cluster.backing.set_many({k: v for k, v in saved.items() if v}, 60)  # ... the entry survives elsewhere
    db.tables["Post"][0]["title"] = "Changed"
    await run(a, db, op("Post", Action.UPDATE, {"where": {"id": "p1"}, "data": {"title": "Changed"}}))
    assert (await run(a, db, op("Post")))[0]["title"] == "Changed"
    await a.close()


async def test_store_down_is_bypassed_with_one_warning_and_recovers(
    schema: Schema, db: FakeDB, caplog: pytest.LogCaptureFixture
) -> None:
    seed(db)
    cluster = Cluster(schema, ["memory", "fake"])
    a = await cluster.process()
    await run(a, db, op("Post"))
    client = cluster.clients[0]
    client.down = True
    caplog.set_level(logging.INFO, logger="prisma_infra.cache")
    await cluster.advance(0.3)  # the L1 copy of the generations is too old to trust now
    for i in range(20):
        result = await run(a, db, op("Post"))
        assert result == db.tables["Post"]
        if i == 10:
            await run(a, db, op("Post", Action.UPDATE, {"where": {"id": "p1"}, "data": {"title": "While down"}}))
    assert result[0]["title"] == "While down"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'fake' is unavailable" in warnings[0].getMessage()
    store = a.stats()["stores"]["fake"]
    assert store["state"] == "open" and store["failures"] >= 1 and store["bypassed"] >= 1
    assert store["generations"]["pending_bumps"] >= 1
    client.down = False
    await cluster.advance(0.3)
    assert a.stats()["stores"]["fake"]["state"] == "closed"
    assert a.stats()["stores"]["fake"]["generations"]["pending_bumps"] == 0
    assert any("recovered" in r.getMessage() for r in caplog.records)
    reads = db.reads
    await run(a, db, op("Post"))
    await run(a, db, op("Post"))
    assert db.reads == reads + 1  # cached again
    await a.close()


async def test_bump_lost_while_down_is_delivered_on_recovery(schema: Schema, db: FakeDB) -> None:
    seed(db)
    cluster = Cluster(schema, ["memory", "fake"])
    a, b = await cluster.process(), await cluster.process()
    await run(b, db, op("Post"))
    cluster.clients[0].down = True  # only A's connection to the store is broken
    await run(a, db, op("Post", Action.UPDATE, {"where": {"id": "p1"}, "data": {"title": "Edited"}}))
    assert (await run(a, db, op("Post")))[0]["title"] == "Edited"  # A bypasses the cache for that tag
    cluster.clients[0].down = False
    await cluster.advance(0.3)
    assert (await run(b, db, op("Post")))[0]["title"] == "Edited"
    await a.close()
    await b.close()


async def test_slow_store_is_bypassed(schema: Schema, db: FakeDB) -> None:
    seed(db)
    cluster = Cluster(schema, ["fake"], timeout=0.02)
    a = await cluster.process()
    cluster.clients[0].hangs = True
    for _ in range(3):  # failure_threshold calls in a row open the breaker (each ends at the real timeout)
        result = await asyncio.wait_for(run(a, db, op("Post")), 0.4)
        assert result == db.tables["Post"]
    assert a.stats()["stores"]["fake"]["state"] == "open"
    result = await asyncio.wait_for(run(a, db, op("Post")), 0.05)  # skipped without waiting
    assert result == db.tables["Post"]
    await a.close()


async def test_single_flight_on_shared_tier(schema: Schema, db: FakeDB) -> None:
    seed(db)
    gate = db.hold()
    cluster = Cluster(schema, ["memory", "fake"])
    a = await cluster.process()
    readers = asyncio.gather(*(run(a, db, op("Post")) for _ in range(30)))
    await db.entered.wait()
    gate.set()
    results = await readers
    assert db.reads == 1 and all(r == db.tables["Post"] for r in results)
    await a.close()


async def test_peek_through_shared_tier(schema: Schema, db: FakeDB) -> None:
    seed(db)
    cluster = Cluster(schema, ["fake"])
    a, b = await cluster.process(), await cluster.process()
    await run(a, db, op("Post"))
    assert await b.for_model("Post").get() == db.tables["Post"]
    assert await b.for_model("Post").contains(Action.COUNT) is False
    await a.close()
    await b.close()
