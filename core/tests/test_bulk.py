"""Bulk writes: batches in their own transactions, a failed batch rolled back whole, the rest carried on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prisma_infra.data.bulk import BulkResult
from prisma_infra.errors import UniqueConstraintError, ValidationError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action

from core.tests.doubles import emails, engine_of


async def test_bulk_create_in_batches_each_in_a_transaction(infra: Infrastructure) -> None:
    progress: list[tuple[int, int | None]] = []
    result = await infra.repository("user").bulk_create(
        [{"email": f"u{i:02}@x.io"} for i in range(25)], batch_size=10, on_progress=lambda d, t: progress.append((d, t))
    )
    assert result == BulkResult(matched=25, affected=25, batches=3, failures=[])
    assert result.ok
    assert progress == [(10, 25), (20, 25), (25, 25)]
    engine = engine_of(infra)
    assert [kind for kind, _ in engine.tx_log] == ["begin", "commit"] * 3
    creates = [c for c in engine.calls if c.action is Action.CREATE_MANY]
    assert [len(c.args["data"]) for c in creates] == [10, 10, 5]
    assert all(c.context.transaction is not None for c in creates)


async def test_a_failed_batch_writes_nothing_and_the_others_continue(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create({"email": "taken@x.io"})
    records = [{"email": f"a{i}@x.io"} for i in range(3)]
    records += [{"email": "b0@x.io"}, {"email": "taken@x.io"}, {"email": "b2@x.io"}]  # batch 2 fails midway
    records += [{"email": f"c{i}@x.io"} for i in range(3)]
    result = await users.bulk_create(records, batch_size=3)
    assert (result.matched, result.affected, result.batches) == (9, 6, 3)
    (failure,) = result.failures
    assert failure.batch_index == 1 and failure.size == 3 and isinstance(failure.error, UniqueConstraintError)
    written = emails(infra)
    assert "b0@x.io" not in written  # written before the violation, then rolled back
    assert written == sorted(["taken@x.io", "a0@x.io", "a1@x.io", "a2@x.io", "c0@x.io", "c1@x.io", "c2@x.io"])
    assert ("rollback", "tx-2") in engine_of(infra).tx_log


async def test_stop_on_error_ends_the_run(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create({"email": "taken@x.io"})
    records = [{"email": "a@x.io"}, {"email": "taken@x.io"}, {"email": "c@x.io"}]
    result = await users.bulk_create(records, batch_size=1, stop_on_error=True)
    assert result.stopped and result.batches == 2 and result.affected == 1 and len(result.failures) == 1
    assert emails(infra) == ["a@x.io", "taken@x.io"]


async def test_bulk_create_takes_a_generator_and_async_progress(infra: Infrastructure) -> None:
    calls: list[tuple[int, int | None]] = []

    async def progress(done: int, total: int | None) -> None:
        calls.append((done, total))

    def records() -> Iterator[dict[str, str]]:
        for i in range(5):
            yield {"email": f"g{i}@x.io"}

    result = await infra.repository("user").bulk_create(records(), batch_size=2, on_progress=progress)
    assert result.affected == 5 and calls == [(2, None), (4, None), (5, None)]


async def test_bulk_update_selects_keys_by_cursor_then_updates_by_key(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i:02}@x.io", "name": "old" if i % 2 else "keep"} for i in range(20)])
    engine = engine_of(infra)
    engine.calls.clear()
    progress: list[tuple[int, int | None]] = []
    result = await users.bulk_update({"name": "old"}, {"name": "new"}, batch_size=4,
                                     on_progress=lambda d, t: progress.append((d, t)))
    assert (result.matched, result.affected, result.batches, result.failures) == (10, 10, 3, [])
    assert progress == [(4, 10), (8, 10), (10, 10)]
    assert await users.count({"name": "new"}) == 10 and await users.count({"name": "keep"}) == 10
    updates = [c for c in engine.calls if c.action is Action.UPDATE_MANY]
    assert updates[0].args["where"] == {"AND": [{"name": "old"}, {"id": {"in": [2, 4, 6, 8]}}]}
    assert all(u.context.transaction for u in updates)
    selects = [c for c in engine.calls if c.action is Action.FIND_MANY]
    assert selects[1].args["where"] == {"AND": [{"name": "old"}, {"id": {"gt": 8}}]}
    assert selects[1].args["select"] == {"id": True} and selects[1].context.transaction is None


async def test_bulk_delete_in_batches(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i:02}@x.io", "name": "x" if i < 7 else "y"} for i in range(10)])
    result = await users.bulk_delete({"name": "x"}, batch_size=3)
    assert (result.matched, result.affected, result.batches) == (7, 7, 3)
    assert await users.count() == 3


async def test_bulk_upsert_creates_new_keys_and_updates_existing(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create({"email": "ann@x.io", "name": "Ann"})
    records = [
        {"email": "ann@x.io", "name": "Ann B."},
        {"email": "bob@x.io", "name": "Bob"},
        {"email": "cid@x.io", "name": "Cid"},
        {"email": "bob@x.io", "name": "Bobby"},  # same key twice in one batch: the last wins
    ]
    result = await users.bulk_upsert(records, key=["email"], batch_size=10)
    assert (result.matched, result.affected, result.batches) == (4, 3, 1)
    names = {r["email"]: r["name"] for r in engine_of(infra).tables["User"]}
    assert names == {"ann@x.io": "Ann B.", "bob@x.io": "Bobby", "cid@x.io": "Cid"}
    calls = [c.action for c in engine_of(infra).calls if c.context.transaction]
    assert calls == [Action.FIND_MANY, Action.CREATE_MANY, Action.UPDATE]


async def test_bulk_upsert_key_must_be_unique(infra: Infrastructure) -> None:
    with pytest.raises(ValidationError, match=r"key \(name\) is not a unique key of User"):
        await infra.repository("user").bulk_upsert([{"name": "x"}], key=["name"])
    result = await infra.repository("user").bulk_upsert([{"name": "no email"}], key=["email"])
    assert isinstance(result.failures[0].error, ValidationError)


async def test_bulk_inside_a_transaction_joins_it_and_raises(infra: Infrastructure) -> None:
    await infra.repository("user").create({"email": "taken@x.io"})
    with pytest.raises(UniqueConstraintError):
        async with infra.transaction() as tx:
            await tx.repository("user").bulk_create([{"email": "a@x.io"}, {"email": "taken@x.io"}], batch_size=1)
    assert emails(infra) == ["taken@x.io"]
    assert [kind for kind, _ in engine_of(infra).tx_log] == ["begin", "rollback"]


async def test_bad_batch_size(infra: Infrastructure) -> None:
    with pytest.raises(ValidationError, match="batch_size"):
        await infra.repository("user").bulk_create([], batch_size=0)
    result = await infra.repository("user").bulk_create([])
    assert result == BulkResult()


async def test_bulk_on_a_plain_repository_inside_a_transaction_block_joins_it(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create({"email": "taken@x.io"})
    with pytest.raises(UniqueConstraintError):
        async with infra.transaction():
            await users.bulk_create([{"email": "a@x.io"}, {"email": "taken@x.io"}], batch_size=1)
    assert [kind for kind, _ in engine_of(infra).tx_log] == ["begin", "rollback"]
