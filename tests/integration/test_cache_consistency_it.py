"""With the cache on: batches and transactions read their own writes, and never fill the cache before commit.

Each provider's database is also opened by a second infrastructure whose cache
is on, once with the in-process tier alone and once with Redis alone (the
shared path: generations kept in the store).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation

from tests.integration.it_support import Database, settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

TIERS: dict[str, dict[str, Any]] = {
    "memory": {"tiers": ["memory"]},
    "redis": {"tiers": ["redis"], "stores": {"redis": {"url": "redis://127.0.0.1:6379/0", "sync_interval": 0.02}}},
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cached_infras(db: Database) -> AsyncIterator[dict[str, Infrastructure]]:
    started: dict[str, Infrastructure] = {}
    try:
        for name, tier in TIERS.items():
            config = settings(db.provider, db.url)
            config["plugins"] = {"load": ["prisma", "redis"]}
            stores = {k: {**v, "namespace": f"it{uuid.uuid4().hex[:8]}"} for k, v in tier.get("stores", {}).items()}
            config["cache"] = {"enabled": True, "ttl": 300, "tiers": tier["tiers"], "stores": stores}
            infra = Infrastructure(config)
            await infra.start()
            started[name] = infra
        yield started
    finally:
        for infra in started.values():
            await infra.close()


@pytest_asyncio.fixture(loop_scope="module", params=list(TIERS))
async def cached(
    request: pytest.FixtureRequest, infra: Infrastructure, cached_infras: dict[str, Infrastructure]
) -> Any:
    """The cached infrastructure (tables emptied by ``infra``) with one user, Ann, whose read is cached."""
    cached = cached_infras[request.param]
    await cached.cache.clear()
    users = cached.repository("user")
    ann = await users.create({"email": "ann@x.io", "name": "Ann", "karma": 1})
    assert (await users.find_unique(ann["id"]))["name"] == "Ann"  # type: ignore[index]
    await _assert_cached(cached, ann["id"], "Ann")
    return cached, ann["id"]


async def _assert_cached(infra: Infrastructure, user_id: int, name: str) -> None:
    found, value = await infra.cache.peek(infra.repository("user").op.find_unique(where=user_id))
    assert found and value["name"] == name


async def _assert_not_cached_as(infra: Infrastructure, user_id: int, name: str) -> None:
    found, value = await infra.cache.peek(infra.repository("user").op.find_unique(where=user_id))
    assert not found or value["name"] != name, f"the cache holds {name!r}"


async def test_batch_reads_its_own_writes(cached: Any) -> None:
    infra, ann = cached
    users, posts = infra.repository("user"), infra.repository("post")
    before, updated, after, count, post_count = await infra.batch(
        [
            users.op.find_unique(where=ann),  # before any write: may come from the cache
            users.op.update(where=ann, data={"name": "Ann B", "karma": {"increment": 1}}),
            users.op.find_unique(where=ann),
            users.op.count(where={"name": "Ann B"}),
            posts.op.count(),  # a model the batch has not written: the cache may answer
        ]
    )
    assert before["name"] == "Ann" and updated["name"] == "Ann B"
    assert after["name"] == "Ann B" and after["karma"] == 2
    assert count == 1 and post_count == 0
    assert (await users.find_unique(ann))["name"] == "Ann B"
    # A relation: a post created in the batch is seen by a later (cached) read of its author with posts.
    assert (await users.find_unique(ann, include={"posts": True}))["posts"] == []
    (_, author) = await infra.batch(
        [
            posts.op.create(data={"title": "t", "authorId": ann}),
            users.op.find_unique(where=ann, include={"posts": True}),
        ]
    )
    assert [p["title"] for p in author["posts"]] == ["t"]
    # Raw SQL: the tables it writes are the models it changed.
    q = "`" if infra.engine.provider == "mysql" else '"'
    sql = {"sql": f"UPDATE {q}User{q} SET {q}name{q} = 'Raw'", "params": []}
    raw = Operation(model=None, action=Action.EXECUTE_RAW, args=sql, context=infra.operation_context())
    (_, after_raw) = await infra.batch([raw, users.op.find_unique(where=ann)])
    assert after_raw["name"] == "Raw"


async def test_transaction_reads_its_own_writes_and_fills_nothing_before_commit(cached: Any) -> None:
    infra, ann = cached
    with pytest.raises(RuntimeError, match="undo"):
        async with infra.transaction() as tx:
            users = tx.repository("user")
            await users.update(ann, {"name": "Uncommitted"})
            assert (await users.find_unique(ann))["name"] == "Uncommitted"
            assert (await tx.batch([users.op.find_unique(where=ann)]))[0]["name"] == "Uncommitted"
            await _assert_not_cached_as(infra, ann, "Uncommitted")
            raise RuntimeError("undo")
    await _assert_not_cached_as(infra, ann, "Uncommitted")
    assert (await infra.repository("user").find_unique(ann))["name"] == "Ann"
    async with infra.transaction() as tx:
        await tx.repository("user").update(ann, {"name": "Committed"})
        assert (await tx.repository("user").find_unique(ann))["name"] == "Committed"
        await _assert_not_cached_as(infra, ann, "Committed")
    assert (await infra.repository("user").find_unique(ann))["name"] == "Committed"
