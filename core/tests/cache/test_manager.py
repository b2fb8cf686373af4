"""CacheManager behaviour with the in-process tier: hits, invalidation, scope, SWR, single-flight."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from prisma_infra.clock import SYSTEM_CLOCK, Clock, ManualClock
from prisma_infra.errors import ConfigurationError
from prisma_infra.operation import Action
from prisma_infra.schema.model import Schema

from core.tests.cache.cache_fakes import FakeDB, backends, make_manager, op, run, sleeping


async def started(schema: Schema, clock: Clock = SYSTEM_CLOCK, **sections: Any) -> Any:
    manager = make_manager(schema, clock=clock, **sections)
    await manager.start()
    return manager


def seed(db: FakeDB) -> None:
    db.tables["User"] = [{"id": 1, "email": "a@x", "name": "Ann", "tenantId": "t1"}]
    db.tables["Post"] = [{"id": "p1", "title": "Hello", "authorId": 1, "views": 1}]


async def test_second_read_is_a_hit(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    first = await run(manager, db, op("Post"))
    second = await run(manager, db, op("Post"))
    assert first == second == db.tables["Post"]
    assert db.reads == 1
    stats = manager.stats()["models"]["Post"]["tiers"]["memory"]
    assert stats["hits"] == 1 and stats["misses"] == 1
    assert stats["hit_latency"]["count"] == 1
    await manager.close()


async def test_hits_are_copies(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post"))
    mine = await run(manager, db, op("Post"))
    mine[0]["title"] = "mutated by a caller"
    assert (await run(manager, db, op("Post")))[0]["title"] == "Hello"
    await manager.close()


async def test_arg_order_does_not_matter(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post", args={"where": {"authorId": 1, "title": "Hello"}, "take": 5}))
    await run(manager, db, op("Post", args={"take": 5, "where": {"title": "Hello", "authorId": 1}}))
    assert db.reads == 1
    await manager.close()


async def test_cached_read_equals_uncached_read_exactly(schema: Schema, db: FakeDB) -> None:
    row = {
        "id": "p1",
        "authorId": 1,
        "price": Decimal("19.90"),
        "createdAt": datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC),
        "avatar": b"\x00\xffpng",
        "karma": 2**63 + 5,
        "big": -(2**80),
        "nested": {"when": [datetime(2020, 1, 1, tzinfo=UTC)], "none": None},
    }
    db.tables["Post"] = [row]
    manager = await started(schema)
    uncached = await run(manager, db, op("Post"))
    cached = await run(manager, db, op("Post"))
    assert db.reads == 1
    assert cached == uncached == [row]
    assert [type(v) for v in cached[0].values()] == [type(v) for v in row.values()]
    await manager.close()


async def test_write_invalidates_the_model(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post"))
    await run(manager, db, op("Post", Action.CREATE, {"data": {"title": "New", "authorId": 1}}))
    after = await run(manager, db, op("Post"))
    assert [p["title"] for p in after] == ["Hello", "New"]
    assert db.reads == 2
    await manager.close()


async def test_write_to_another_model_keeps_entries(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post"))
    await run(manager, db, op("Tag", Action.CREATE, {"data": {"name": "x"}}))
    await run(manager, db, op("Post"))
    assert db.reads == 1
    await manager.close()


async def test_relation_aware_invalidation(schema: Schema, db: FakeDB) -> None:
    """A cached post that includes its author is a miss after the author changes, and is fresh."""
    seed(db)
    manager = await started(schema)
    read = op("Post", args={"where": {"id": "p1"}, "include": {"author": True}})
    assert (await run(manager, db, read))[0]["author"]["name"] == "Ann"
    await run(manager, db, op("Post", args={"where": {"id": "p1"}, "include": {"author": True}}))
    assert db.reads == 1
    await run(manager, db, op("User", Action.UPDATE, {"where": {"id": 1}, "data": {"name": "Bea"}}))
    fresh = await run(manager, db, op("Post", args={"where": {"id": "p1"}, "include": {"author": True}}))
    assert fresh[0]["author"]["name"] == "Bea"
    assert db.reads == 2
    # A post read *without* the author is unaffected by the author's change.
    await run(manager, db, op("Post", args={"where": {"id": "p1"}}))
    await run(manager, db, op("User", Action.UPDATE, {"where": {"id": 1}, "data": {"name": "Cy"}}))
    await run(manager, db, op("Post", args={"where": {"id": "p1"}}))
    assert db.reads == 3
    await manager.close()


async def test_relation_filter_in_where_tags_the_related_model(schema: Schema, db: FakeDB) -> None:
    manager = await started(schema)
    plan = manager.plan(op("Post", args={"where": {"author": {"is": {"name": "Ann"}}}}))
    assert plan is not None and "m:User" in plan.tags and "m:Post" in plan.tags
    many = manager.plan(op("Post", args={"where": {"tags": {"some": {"name": "x"}}}}))
    assert many is not None and "m:Tag" in many.tags
    await manager.close()


async def test_nested_write_invalidates_nested_models(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("User"))
    nested = {"data": {"title": "T", "author": {"create": {"email": "n@x"}}}}
    assert manager.written_models(op("Post", Action.CREATE, nested)) >= {"Post", "User"}  # type: ignore[operator]
    await run(manager, db, op("Post", Action.CREATE, nested))
    await run(manager, db, op("User"))
    assert db.reads == 2
    await manager.close()


async def test_tenants_and_actors_never_share_entries(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post", tenant="t1"))
    await run(manager, db, op("Post", tenant="t2"))
    await run(manager, db, op("Post", tenant="t1", actor={"id": 7}))
    await run(manager, db, op("Post", tenant="t1", actor={"id": 8}))
    assert db.reads == 4
    await run(manager, db, op("Post", tenant="t2"))
    assert db.reads == 4
    keys = {manager.explain(op("Post", tenant=t))["key"] for t in ("t1", "t2", None)}
    assert len(keys) == 3
    await manager.close()


async def test_actor_without_identity_is_not_cached(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post", actor=object()))
    await run(manager, db, op("Post", actor=object()))
    assert db.reads == 2
    assert "no cache scope" in manager.explain(op("Post", actor=object()))["reason"]
    await manager.close()


async def test_bypass_options(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema, models={"Tag": {"cache": {"enabled": False}}})
    for _ in range(2):
        await run(manager, db, op("Post", cache={"enabled": False}))
        await run(manager, db, op("Tag"))
        await run(manager, db, op("Post", transaction="tx-9"))
    assert db.reads == 6
    assert manager.explain(op("Post", transaction="tx-9"))["reason"] == "reads inside a transaction bypass the cache"
    await manager.close()


async def test_empty_results_only_cached_when_asked(schema: Schema, db: FakeDB) -> None:
    manager = await started(schema)
    for _ in range(2):
        assert await run(manager, db, op("Post")) == []
        assert await run(manager, db, op("Post", Action.COUNT)) == 0
        assert await run(manager, db, op("Post", Action.FIND_FIRST)) is None
    assert db.reads == 6
    await manager.close()
    db.calls.clear()
    manager = await started(schema, models={"Post": {"cache": {"cache_empty": True}}})
    for _ in range(2):
        assert await run(manager, db, op("Post")) == []
        assert await run(manager, db, op("Post", Action.COUNT)) == 0
        assert await run(manager, db, op("Post", Action.FIND_FIRST)) is None
    assert db.reads == 3
    await manager.close()


async def test_ttl_expiry_and_per_query_ttl(schema: Schema, db: FakeDB) -> None:
    seed(db)
    clock = ManualClock()
    manager = await started(schema, clock, cache={"jitter": 0})
    await run(manager, db, op("Post", cache={"ttl": 0.05}))
    await clock.advance(0.049)
    await run(manager, db, op("Post", cache={"ttl": 0.05}))
    assert db.reads == 1
    await clock.advance(0.002)
    await run(manager, db, op("Post", cache={"ttl": 0.05}))
    assert db.reads == 2
    await manager.close()


async def test_user_tags(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post", cache={"tags": ("home",)}))
    await run(manager, db, op("User", cache={"tags": ("sidebar",)}))
    await manager.invalidate(tags=["home"])
    await run(manager, db, op("Post", cache={"tags": ("home",)}))
    await run(manager, db, op("User", cache={"tags": ("sidebar",)}))
    assert db.reads == 3
    await manager.invalidate(models=["user"])
    await run(manager, db, op("User", cache={"tags": ("sidebar",)}))
    assert db.reads == 4
    await manager.close()


async def test_single_flight(schema: Schema, db: FakeDB) -> None:
    seed(db)
    gate = db.hold()
    manager = await started(schema)
    readers = asyncio.gather(*(run(manager, db, op("Post")) for _ in range(50)))
    await db.entered.wait()  # the first reader is in the database; the 49 others joined its flight
    gate.set()
    results = await readers
    assert db.reads == 1
    assert all(r == db.tables["Post"] for r in results)
    results[0][0]["title"] = "mine"
    assert results[1][0]["title"] == "Hello"  # joiners get their own copy
    assert manager.stats()["models"]["Post"]["single_flight_joined"] == 49
    await manager.close()


async def test_single_flight_shares_errors_and_recovers(schema: Schema, db: FakeDB) -> None:
    seed(db)
    gate = db.hold()
    db.fail = RuntimeError("db down")
    manager = await started(schema)
    readers = asyncio.gather(*(run(manager, db, op("Post")) for _ in range(10)), return_exceptions=True)
    await db.entered.wait()
    gate.set()
    results = await readers
    assert all(isinstance(r, RuntimeError) for r in results)
    assert db.reads == 1
    db.fail = db.held = None
    assert await run(manager, db, op("Post")) == db.tables["Post"]
    await manager.close()


async def test_a_writer_never_joins_a_fill_started_before_its_write(schema: Schema, db: FakeDB) -> None:
    seed(db)
    gate = db.hold()
    manager = await started(schema)
    before = asyncio.create_task(run(manager, db, op("Post")))
    await db.entered.wait()  # its read is in the database ...
    db.held = None  # ... and stays there while this request writes and reads
    await run(manager, db, op("Post", Action.CREATE, {"data": {"title": "Mine", "authorId": 1}}))
    mine = await run(manager, db, op("Post"))
    assert [p["title"] for p in mine] == ["Hello", "Mine"]
    gate.set()
    await before
    # The fill that started before the write must not be served afterwards.
    assert [p["title"] for p in await run(manager, db, op("Post"))] == ["Hello", "Mine"]
    await manager.close()


async def test_stale_while_revalidate(schema: Schema, db: FakeDB) -> None:
    seed(db)
    clock = ManualClock()
    manager = await started(schema, clock, cache={"ttl": 0.2, "swr": 5, "jitter": 0})
    await run(manager, db, op("Post"))
    db.tables["Post"][0]["title"] = "Changed behind the cache's back"
    await clock.advance(0.25)
    gate = db.hold()
    stale = await asyncio.gather(*(run(manager, db, op("Post")) for _ in range(20)))
    assert all(r[0]["title"] == "Hello" for r in stale)  # served stale at once, the refresh still running
    await db.entered.wait()
    db.held = None
    gate.set()
    await manager.background.settled()
    assert db.reads == 2  # one background refresh for 20 stale hits
    assert (await run(manager, db, op("Post")))[0]["title"] == "Changed behind the cache's back"
    assert db.reads == 2
    stats = manager.stats()["models"]["Post"]["tiers"]["memory"]
    assert stats["stale_hits"] == 20
    await manager.close()


async def test_serve_stale_false_waits_for_fresh(schema: Schema, db: FakeDB) -> None:
    seed(db)
    clock = ManualClock()
    manager = await started(schema, clock, cache={"ttl": 0.05, "swr": 5, "jitter": 0})
    await run(manager, db, op("Post"))
    db.tables["Post"][0]["title"] = "New"
    await clock.advance(0.07)
    fresh = await run(manager, db, op("Post", cache={"serve_stale": False}))
    assert fresh[0]["title"] == "New"
    await manager.close()


async def test_invalidated_entries_are_never_served_stale(schema: Schema, db: FakeDB) -> None:
    seed(db)
    clock = ManualClock()
    manager = await started(schema, clock, cache={"ttl": 0.05, "swr": 5, "jitter": 0})
    await run(manager, db, op("Post"))
    await clock.advance(0.07)
    await run(manager, db, op("Post", Action.UPDATE, {"where": {"id": "p1"}, "data": {"title": "Edited"}}))
    assert (await run(manager, db, op("Post")))[0]["title"] == "Edited"
    await manager.close()


async def test_ttl_jitter_spreads_expiry(schema: Schema, db: FakeDB) -> None:
    manager = await started(schema, cache={"ttl": 100, "jitter": 0.5})
    db.tables["Tag"] = [{"id": i, "name": str(i)} for i in range(30)]
    expiries = []
    for i in range(30):
        await run(manager, db, op("Tag", Action.FIND_UNIQUE, {"where": {"id": i}}))
        plan = manager.plan(op("Tag", Action.FIND_UNIQUE, {"where": {"id": i}}))
        assert plan is not None
        local = plan.policy.tiers[0].local
        assert local is not None
        entry = local.get_entry(plan.keys[0])
        assert entry is not None
        expiries.append(entry.fresh_until - time.time())
    assert min(expiries) >= 99 and max(expiries) <= 150.5
    assert max(expiries) - min(expiries) > 5
    await manager.close()


async def test_raw_execute_invalidates_parsed_tables(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post"))
    await run(manager, db, op("User"))
    await run(manager, db, op(None, Action.EXECUTE_RAW, {"sql": 'UPDATE "User" SET name = $1', "params": ["x"]}))
    await run(manager, db, op("Post"))
    await run(manager, db, op("User"))
    assert db.reads == 3  # User invalidated, Post kept
    await run(manager, db, op(None, Action.EXECUTE_RAW, {"sql": "VACUUM"}))  # unknown: everything
    await run(manager, db, op("Post"))
    await run(manager, db, op("User"))
    assert db.reads == 5
    await run(manager, db, op(None, Action.EXECUTE_RAW, {"sql": "CALL refresh()", "models": ["post"]}))
    await run(manager, db, op("Post"))
    await run(manager, db, op("User"))
    assert db.reads == 6
    await manager.close()


async def test_raw_execute_maps_table_names(schema: Schema) -> None:
    from core.tests.doubles import datamodel

    mapped = Schema.from_datamodel(datamodel("mapped"))
    manager = make_manager(mapped)
    written = manager.written_models(op(None, Action.EXECUTE_RAW, {"sql": "DELETE FROM public.employees WHERE 1=1"}))
    assert written == frozenset({"Employee"})
    truncated = manager.written_models(op(None, Action.EXECUTE_RAW, {"sql": "TRUNCATE projects, project_members"}))
    assert truncated == frozenset({"Project", "ProjectMember"})


async def test_raw_reads_cached_only_on_known_tables(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    sql = {"sql": 'SELECT * FROM "User" u JOIN "Post" p ON p."authorId" = u.id'}
    await run(manager, db, op(None, Action.QUERY_RAW, sql))
    await run(manager, db, op(None, Action.QUERY_RAW, sql))
    assert db.reads == 1
    await run(manager, db, op("Post", Action.UPDATE, {"where": {"id": "p1"}, "data": {"views": 2}}))
    await run(manager, db, op(None, Action.QUERY_RAW, sql))
    assert db.reads == 2
    unknown = {"sql": "SELECT * FROM pg_stat_activity"}
    await run(manager, db, op(None, Action.QUERY_RAW, unknown))
    await run(manager, db, op(None, Action.QUERY_RAW, unknown))
    assert db.reads == 4
    await manager.close()


async def test_a_query_raw_that_writes_invalidates_and_is_never_cached(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post"))
    await run(manager, db, op("User"))
    returning = {"sql": 'UPDATE "Post" SET views = views + 1 WHERE id = $1 RETURNING views', "params": ["p1"]}
    await run(manager, db, op(None, Action.QUERY_RAW, returning))
    await run(manager, db, op(None, Action.QUERY_RAW, returning))
    assert db.reads == 4  # both ran: a write is never answered from the cache
    await run(manager, db, op("Post"))
    await run(manager, db, op("User"))
    assert db.reads == 5  # Post invalidated, User kept
    cte = {"sql": 'WITH gone AS (DELETE FROM "User" WHERE id = 9 RETURNING id) SELECT count(*) FROM gone'}
    await run(manager, db, op("Post", Action.QUERY_RAW, cte))
    await run(manager, db, op("User"))
    assert db.reads == 7
    # Unclassified SQL writes the models it names; naming none, everything.
    await run(manager, db, op(None, Action.QUERY_RAW, {"sql": 'CALL bump("Post")'}))
    await run(manager, db, op("Post"))
    await run(manager, db, op("User"))
    assert db.reads == 9  # the CALL, then Post again; User kept
    await run(manager, db, op(None, Action.QUERY_RAW, {"sql": "DO $$ BEGIN PERFORM 1; END $$"}))
    await run(manager, db, op("Post"))
    await run(manager, db, op("User"))
    assert db.reads == 12
    await manager.close()


async def test_writes_in_a_transaction_invalidate_again_on_commit(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post"))
    await run(manager, db, op("Post", Action.CREATE, {"data": {"title": "In tx", "authorId": 1}}, transaction="tx-1"))
    # Another request fills the cache between the write and the commit (it cannot see the row yet).
    await run(manager, db, op("Post"))
    reads = db.reads
    await manager.on_commit("tx-1")
    await run(manager, db, op("Post"))
    assert db.reads == reads + 1
    manager.discard("tx-unknown")
    await manager.close()


async def test_failed_write_still_invalidates(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post"))
    db.fail = TimeoutError("after commit?")
    with pytest.raises(TimeoutError):
        await run(manager, db, op("Post", Action.UPDATE_MANY, {"where": {}, "data": {"views": 9}}))
    db.fail = None
    await run(manager, db, op("Post"))
    assert db.reads == 2
    await manager.close()


async def test_clear_and_model_facade(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = await started(schema)
    await run(manager, db, op("Post"))
    await run(manager, db, op("User"))
    posts = manager.for_model("post")
    assert await posts.get(Action.FIND_MANY, {}) == db.tables["Post"]
    assert await posts.get(Action.FIND_MANY, {"take": 1}, default="nothing") == "nothing"
    assert posts.stats()["tiers"]["memory"]["hits"] == 0
    await posts.clear()
    assert await posts.get() is None
    await run(manager, db, op("User"))
    assert db.reads == 2
    await manager.clear()
    await run(manager, db, op("User"))
    assert db.reads == 3
    await manager.close()


async def test_explain(schema: Schema, db: FakeDB) -> None:
    manager = await started(schema, models={"Post": {"cache": {"ttl": 5, "swr": 2}}})
    info = manager.explain(op("Post", args={"include": {"author": True}}, cache={"tags": ("home",)}))
    assert info["cached"] is True
    assert info["tiers"] == ["memory"]
    assert info["ttl"] == 5 and info["swr"] == 2
    assert set(info["tags"]) == {"*", "m:Post", "m:User", "t:home"}
    assert info["key"].startswith("pi:e:")
    write = manager.explain(op("User", Action.DELETE, {"where": {"id": 1}}))
    # Comment.author is SetNull and Profile.user Cascade; Post.author is required (Restrict): unchanged.
    assert write["cached"] is False and write["reason"].endswith("Comment, Profile, User")
    await manager.close()


async def test_unknown_tier_names_the_setting_and_the_closest_store(schema: Schema) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_manager(schema, cache={"tiers": ["memroy"]})
    assert "cache.tiers" in str(info.value) and "'memory'" in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        make_manager(schema, models={"Post": {"cache": {"tiers": ["memory", "redis"]}}})
    assert "models.Post.cache.tiers" in str(info.value)
    assert "pip install prisma-infra-redis" in str(info.value)


async def test_memory_store_options_and_accounting(schema: Schema, db: FakeDB) -> None:
    db.tables["Tag"] = [{"id": i, "name": "x" * 1000} for i in range(50)]
    manager = await started(schema, cache={"stores": {"memory": {"max_bytes": 20_000}}})
    for i in range(50):
        await run(manager, db, op("Tag", Action.FIND_UNIQUE, {"where": {"id": i}}))
    store = manager.stats()["stores"]["memory"]
    assert store["bytes"] <= 20_000
    assert store["evictions"] > 0
    assert store["entries"] < 50
    await manager.close()


async def test_warming(schema: Schema, db: FakeDB) -> None:
    seed(db)
    manager = make_manager(
        schema,
        cache={"warm": [{"model": "post", "args": {"take": 10}}, {"model": "user", "action": "count"}]},
    )
    await manager.start(runner=lambda operation: manager.read(operation, db))
    assert db.reads == 2
    await run(manager, db, op("Post", args={"take": 10}))
    await run(manager, db, op("User", Action.COUNT))
    assert db.reads == 2
    assert await manager.warm() == {"warmed": 2, "failed": 0}
    assert db.reads == 4  # warming refreshes even when entries are valid
    await manager.close()


async def test_warm_interval(schema: Schema, db: FakeDB) -> None:
    seed(db)
    clock = ManualClock()
    manager = make_manager(schema, clock=clock, cache={"warm": [{"model": "post"}], "warm_interval": 0.05})
    await manager.start(runner=lambda operation: manager.read(operation, db))
    assert db.reads == 1
    await sleeping(clock)
    await clock.advance(0.049)
    assert db.reads == 1
    await clock.advance(0.001)
    assert db.reads == 2
    await clock.advance(0.1)
    assert db.reads == 4
    await manager.close()


async def test_warm_config_errors(schema: Schema, db: FakeDB) -> None:
    manager = make_manager(schema, cache={"warm": [{"model": "post", "action": "create"}]})
    with pytest.raises(ConfigurationError, match=r"cache.warm\[0\].action"):
        manager.warm_operations()


async def test_unencodable_results_are_returned_but_not_cached(schema: Schema, db: FakeDB) -> None:
    manager = await started(schema)

    class Odd:
        pass

    odd = Odd()

    async def engine(operation: Any) -> Any:
        db.calls.append(operation)
        return [{"value": odd}]

    assert (await manager.read(op("Post"), engine))[0]["value"] is odd
    await manager.read(op("Post"), engine)
    assert len(db.calls) == 2
    await manager.close()


def test_backends_helper() -> None:
    assert "memory" in backends()
