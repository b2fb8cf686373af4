"""Transactions, batches, the query builder and the synchronous facade against real databases."""

from __future__ import annotations

import asyncio

import pytest
from prisma_infra.data.pagination import CursorPage, Page
from prisma_infra.errors import TransactionError, UniqueConstraintError, UnknownFieldError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.sync import SyncInfrastructure

from tests.integration.it_support import Database, settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def test_commit(infra: Infrastructure) -> None:
    async with infra.transaction(isolation_level="Serializable") as tx:
        users = tx.repository("user")
        ann = await users.create({"email": "ann@x.io"})
        await tx.repository("post").create({"title": "t", "authorId": ann["id"]})
        assert await tx.query("post").where(authorId=ann["id"]).count() == 1
    assert tx.state == "committed"
    assert await infra.repository("post").count() == 1


async def test_rollback_on_exception(infra: Infrastructure) -> None:
    with pytest.raises(RuntimeError, match="undo"):
        async with infra.transaction() as tx:
            await tx.repository("user").create({"email": "ann@x.io"})
            assert await tx.repository("user").count() == 1
            raise RuntimeError("undo")
    assert tx.state == "rolled back"
    assert await infra.repository("user").count() == 0


async def test_database_error_rolls_back_everything(infra: Infrastructure) -> None:
    await infra.repository("user").create({"email": "taken@x.io"})
    with pytest.raises(UniqueConstraintError):
        async with infra.transaction() as tx:
            await tx.repository("user").create({"email": "new@x.io"})
            await tx.repository("user").create({"email": "taken@x.io"})
    assert await infra.repository("user").count() == 1


async def test_expired_transaction(infra: Infrastructure) -> None:
    with pytest.raises(TransactionError, match=r"expired: it stayed open longer than its timeout of 0\.5 s"):
        async with infra.transaction(timeout=0.5) as tx:
            await tx.repository("user").create({"email": "late@x.io"})
            await asyncio.sleep(1.0)  # outlive the timeout: the engine expires it in real time
    assert tx.state == "failed"
    assert not await infra.repository("user").exists({"email": "late@x.io"})
    with pytest.raises(TransactionError, match="expired"):
        async with infra.transaction(timeout=0.5) as tx2:
            await asyncio.sleep(1.0)  # the same, before the first statement
            await tx2.repository("user").count()


async def test_nested_transaction_reuses_the_outer_one(infra: Infrastructure) -> None:
    async with infra.transaction() as outer:
        await outer.repository("user").create({"email": "a@x.io"})
        async with infra.transaction() as inner:
            assert inner.id == outer.id
            await inner.repository("user").create({"email": "b@x.io"})
        assert outer.is_active
    assert await infra.repository("user").count() == 2
    with pytest.raises(RuntimeError):
        async with infra.transaction() as outer:
            await outer.repository("user").create({"email": "c@x.io"})
            async with infra.transaction() as inner:
                await inner.repository("user").create({"email": "d@x.io"})
                raise RuntimeError("inner")
    assert await infra.repository("user").count() == 2


async def test_bulk_and_stream_inside_a_transaction(infra: Infrastructure) -> None:
    async with infra.transaction() as tx:
        users = tx.repository("user")
        result = await users.bulk_create([{"email": f"u{i}@x.io"} for i in range(10)], batch_size=3)
        assert result.affected == 10 and result.batches == 4
        assert sum([len(b) async for b in users.stream(batch_size=4)]) == 10
    assert await infra.repository("user").count() == 10


async def test_batch_is_atomic_and_validated(infra: Infrastructure) -> None:
    users = infra.repository("user")
    created = await infra.batch([users.op.create(data={"email": "a@x.io"}), users.op.create(data={"email": "b@x.io"}),
                                 users.op.count()])
    assert [c["email"] for c in created[:2]] == ["a@x.io", "b@x.io"] and created[2] == 2
    with pytest.raises(UniqueConstraintError):
        await infra.batch([users.op.create(data={"email": "c@x.io"}), users.op.create(data={"email": "a@x.io"})])
    assert not await users.exists({"email": "c@x.io"})
    with pytest.raises(UnknownFieldError):
        await infra.batch([users.op.create(data={"email": "d@x.io"}), users.op.update(where=1, data={"nmae": "x"})])
    assert not await users.exists({"email": "d@x.io"})


async def test_query_builder(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i:02}@x.io", "karma": i % 5, "city": "Oslo" if i % 2 else "Rome"}
                             for i in range(30)])
    base = infra.query("user").where({"karma": {"gte": 2}})
    before = base.explain()
    rome = base.where(city="Rome").order_by("-karma").order_by("email")
    assert base.explain() == before
    assert await rome.count() == 9 and await base.count() == 18
    rows = await rome.select(["email", "karma"]).take(3).execute()
    assert rows == [{"email": f"u{i}4@x.io", "karma": 4} for i in range(3)]
    page = await rome.paginate(page=2, limit=4).execute()
    assert isinstance(page, Page) and page.total == 9 and len(page.items) == 4
    cursor = await base.cursor_paginate(limit=10).execute()
    assert isinstance(cursor, CursorPage) and len(cursor.items) == 10 and cursor.has_next
    assert (await base.search("U0").first()) is not None
    assert await base.where(email="zzz").exists() is False
    assert sum([len(b) async for b in base.stream(batch_size=7)]) == 18
    plan = rome.include(["posts"]).cache(ttl=30, tags=["users"]).explain()
    assert plan["models_touched"] == ["Post", "User"] and plan["cache"]["ttl"] == 30
    assert plan["args"]["where"] == {"AND": [{"karma": {"gte": 2}}, {"city": "Rome"}]}
    assert len(await rome.include(["posts"]).cache(ttl=30).execute()) == 9  # type: ignore[arg-type]


async def test_sync_facade(db: Database) -> None:
    def run() -> None:
        with SyncInfrastructure(Infrastructure(settings(db.provider, db.url))) as infra:
            users = infra.repository("user")
            users.delete_many()
            users.bulk_create([{"email": f"s{i}@x.io"} for i in range(12)], batch_size=5)
            assert users.count() == 12
            assert [len(b) for b in users.stream(batch_size=5)] == [5, 5, 2]
            assert [len(b) for b in infra.query("user").stream(batch_size=6)] == [6, 6]
            page = infra.query("user").order_by("email").paginate(page=1, limit=5).execute()
            assert isinstance(page, Page) and page.total == 12
            with infra.transaction() as tx:
                tx.repository("user").create({"email": "tx@x.io"})
                assert tx.query("user").count() == 13
            with pytest.raises(RuntimeError), infra.transaction() as tx:
                tx.repository("user").create({"email": "undone@x.io"})
                raise RuntimeError("undo")
            assert not users.exists({"email": "undone@x.io"})
            assert users.find_unique_or_raise({"email": "tx@x.io"})["email"] == "tx@x.io"
            users.delete_many()

    await asyncio.to_thread(run)
