"""Interactive and batch transactions, and the synchronous facade over repositories, builders and streams."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prisma_infra.clock import ManualClock
from prisma_infra.data.pagination import Page
from prisma_infra.data.transaction import current_transaction
from prisma_infra.errors import TransactionError, UniqueConstraintError, UnknownFieldError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import Middleware
from prisma_infra.sync import SyncInfrastructure

from core.tests.doubles import emails, engine_of, memory_infrastructure


async def test_commit_on_normal_exit(infra: Infrastructure) -> None:
    async with infra.transaction(timeout=3, max_wait=1, isolation_level="Serializable") as tx:
        assert tx.id == "tx-1" and tx.is_active and current_transaction() is tx
        await tx.repository("user").create({"email": "a@x.io"})
        rows = await tx.query("user").execute()
        assert isinstance(rows, list) and len(rows) == 1
    assert tx.state == "committed" and current_transaction() is None
    engine = engine_of(infra)
    assert engine.tx_log == [("begin", "tx-1"), ("commit", "tx-1")]
    assert all(c.context.transaction == "tx-1" for c in engine.calls)
    assert emails(infra) == ["a@x.io"]


async def test_defaults_come_from_the_settings() -> None:
    async with memory_infrastructure(database={
        "engine": "memory-double", "transaction_timeout": 9, "transaction_max_wait": 4,
    }) as infra:
        tx = infra.transaction()
        assert (tx.timeout, tx.max_wait, tx.isolation_level) == (9, 4, None)


async def test_rollback_on_exception_which_propagates(infra: Infrastructure) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with infra.transaction() as tx:
            await tx.repository("user").create({"email": "a@x.io"})
            raise RuntimeError("boom")
    assert tx.state == "rolled back" and emails(infra) == []
    assert engine_of(infra).tx_log == [("begin", "tx-1"), ("rollback", "tx-1")]


async def test_operations_in_a_transaction_go_through_the_pipeline() -> None:
    seen: list[Operation] = []

    class Spy(Middleware):
        name = "spy"
        order = 10  # outermost: sees operations that validation then rejects

        def __init__(self, infrastructure: Infrastructure) -> None:
            pass

        async def before(self, operation: Operation) -> Operation | None:
            seen.append(operation)
            return None

    class SpyPlugin:
        name = "spy-plugin"

        @hookimpl
        def register_middleware(self, register: Any) -> None:
            register("spy", Spy)

    infra = memory_infrastructure()
    infra._extra_plugins.append(SpyPlugin())
    async with infra, infra.transaction() as tx:
        await tx.repository("user").count()
        with pytest.raises(UnknownFieldError):  # validation middleware applies inside transactions too
            await tx.repository("user").find_many({"nope": 1})
    assert [(op.action, op.context.transaction) for op in seen] == [(Action.COUNT, "tx-1"), (Action.FIND_MANY, "tx-1")]


async def test_expired_transaction_is_a_clear_error() -> None:
    clock = ManualClock()
    async with memory_infrastructure(clock=clock) as infra:
        with pytest.raises(TransactionError, match=r"expired: it stayed open longer than its timeout of 5 s"):
            async with infra.transaction(timeout=5) as tx:
                await tx.repository("user").create({"email": "a@x.io"})
                await clock.advance(5.01)  # outlive the timeout on the kernel's clock
                await tx.repository("user").count()
        assert emails(infra) == []


async def test_expiry_reported_by_the_engine_at_commit(infra: Infrastructure) -> None:
    with pytest.raises(TransactionError, match="expired") as info:
        async with infra.transaction(timeout=0.05) as tx:
            await tx.repository("user").create({"email": "a@x.io"})
            await asyncio.sleep(0.1)  # outlive the timeout: the engine expires it on its own (real) clock
    assert isinstance(info.value.__cause__, TransactionError)  # the engine's own error is kept as the cause
    assert tx.state == "failed" and emails(infra) == []


async def test_nested_transaction_joins_the_outer_one(infra: Infrastructure) -> None:
    async with infra.transaction() as outer:
        async with infra.transaction() as inner:
            assert inner.id == outer.id and inner.is_nested
            await inner.repository("user").create({"email": "a@x.io"})
        assert outer.is_active  # leaving the inner block neither commits nor rolls back
        async with outer.transaction() as explicit:
            assert explicit.id == outer.id
    assert engine_of(infra).tx_log == [("begin", "tx-1"), ("commit", "tx-1")]


async def test_an_error_in_a_nested_block_rolls_back_everything_when_it_propagates(infra: Infrastructure) -> None:
    with pytest.raises(RuntimeError):
        async with infra.transaction() as outer:
            await outer.repository("user").create({"email": "a@x.io"})
            async with infra.transaction() as inner:
                await inner.repository("user").create({"email": "b@x.io"})
                raise RuntimeError("inner")
    assert emails(infra) == []


async def test_a_finished_transaction_refuses_operations(infra: Infrastructure) -> None:
    async with infra.transaction() as tx:
        users = tx.repository("user")
    with pytest.raises(TransactionError, match="is committed"):
        await users.count()
    async with infra.transaction() as tx2:
        await tx2.repository("user").create({"email": "a@x.io"})
        await tx2.rollback()
    assert tx2.state == "rolled back" and emails(infra) == []


async def test_paginate_inside_a_transaction(infra: Infrastructure) -> None:
    async with infra.transaction() as tx:
        await tx.repository("user").create_many([{"email": f"u{i}@x.io"} for i in range(3)])
        page = await tx.repository("user").find_many(paginate={"page": 1, "limit": 2})
    assert isinstance(page, Page) and page.total == 3 and len(page.items) == 2


# -- batch transactions ------------------------------------------------------------------


async def test_batch_runs_operations_atomically_in_one_engine_batch(infra: Infrastructure) -> None:
    users = infra.repository("user")
    results = await infra.batch([
        users.op.create(data={"email": "a@x.io"}),
        users.op.create(data={"email": "b@x.io"}),
        users.op.count(),
    ])
    assert [r["email"] for r in results[:2]] == ["a@x.io", "b@x.io"] and results[2] == 2
    engine = engine_of(infra)
    assert len(engine.batches) == 1 and [op.action for op in engine.batches[0]] == [
        Action.CREATE, Action.CREATE, Action.COUNT,
    ]


async def test_a_failing_batch_writes_nothing(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create({"email": "taken@x.io"})
    with pytest.raises(UniqueConstraintError):
        await infra.batch([users.op.create(data={"email": "a@x.io"}), users.op.create(data={"email": "taken@x.io"})])
    assert emails(infra) == ["taken@x.io"]


async def test_batch_operations_are_validated_before_anything_is_sent(infra: Infrastructure) -> None:
    users = infra.repository("user")
    with pytest.raises(UnknownFieldError, match="Did you mean 'email'"):
        await infra.batch([users.op.create(data={"email": "a@x.io"}), users.op.create(data={"emial": "b@x.io"})])
    assert engine_of(infra).batches == [] and emails(infra) == []


async def test_batch_inside_a_transaction_runs_in_it(infra: Infrastructure) -> None:
    users = infra.repository("user")
    async with infra.transaction() as tx:
        await infra.batch([users.op.create(data={"email": "a@x.io"})])
        assert engine_of(infra).calls[-1].context.transaction == tx.id
    assert engine_of(infra).batches == []
    with pytest.raises(TransactionError, match="own transaction"):
        await infra.batch([tx.repository("user").op.count()])


async def test_batch_middleware_see_the_results() -> None:
    results: list[Any] = []

    class After(Middleware):
        name = "after"

        def __init__(self, infrastructure: Infrastructure) -> None:
            pass

        async def after(self, operation: Operation, result: Any) -> Any:
            results.append(result)
            return result

    class AfterPlugin:
        name = "after-plugin"

        @hookimpl
        def register_middleware(self, register: Any) -> None:
            register("after", After)

    infra = memory_infrastructure()
    infra._extra_plugins.append(AfterPlugin())
    async with infra:
        assert await infra.batch([]) == []
        await infra.batch([infra.repository("tag").op.create(data={"name": "x"})])
    assert results == [{"id": 1, "name": "x"}]


# -- the synchronous facade --------------------------------------------------------------


def test_sync_facade_repositories_builders_transactions_and_streams() -> None:
    with SyncInfrastructure(memory_infrastructure()) as infra:
        users = infra.repository("user")
        created = users.create({"email": "a@x.io", "name": "Ann"})
        assert created["id"] == 1
        assert users.bulk_create([{"email": f"u{i}@x.io"} for i in range(9)], batch_size=4).affected == 9
        assert users.count() == 10
        page = infra.query("user").order_by("id").paginate(page=1, limit=3).execute()
        assert isinstance(page, Page) and page.total == 10
        assert infra.query("user").where(name="Ann").first()["email"] == "a@x.io"
        assert [len(b) for b in users.stream(batch_size=4)] == [4, 4, 2]
        assert [len(b) for b in infra.query("user").stream(batch_size=5)] == [5, 5]

        with infra.transaction() as tx:
            tx.repository("user").create({"email": "in-tx@x.io"})
        assert users.exists({"email": "in-tx@x.io"})

        with pytest.raises(RuntimeError), infra.transaction() as tx:
            tx.query("user").count()
            tx.repository("user").create({"email": "rolled-back@x.io"})
            raise RuntimeError("undo")
        assert not users.exists({"email": "rolled-back@x.io"})
        assert infra.batch([users.op.delete(where={"email": "a@x.io"})])[0]["name"] == "Ann"
