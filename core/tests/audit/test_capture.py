"""The audit middleware on the memory engine: one event per written record, before-images in the write's
transaction, nothing on rollback, nothing for reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.audit.file_sink import iter_trail
from prisma_infra.errors import PrismaInfraError, RecordNotFoundError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action

from core.tests.audit.audit_doubles import MemorySink, audit_infrastructure
from core.tests.doubles import MemoryEngine


@pytest.fixture
async def infra(tmp_path: Path) -> AsyncIterator[Infrastructure]:
    async with audit_infrastructure(tmp_path) as started:
        yield started


def engine_of(infra: Infrastructure) -> MemoryEngine:
    engine = infra.engine
    assert isinstance(engine, MemoryEngine)
    return engine


async def trail(infra: Infrastructure) -> list[dict[str, Any]]:
    await infra.audit.flush()
    return list(iter_trail(Path(infra.config.base_dir) / "audit.jsonl"))


async def make_user(infra: Infrastructure, email: str = "alice@example.com", **data: Any) -> dict[str, Any]:
    data.setdefault("karma", 0)  # the memory engine knows no defaults
    created: dict[str, Any] = await infra.repository("user").create({"email": email, "name": "Alice", **data})
    return created


async def test_create_records_the_after_image(infra: Infrastructure) -> None:
    with infra.acting_as({"id": "u-9", "role": "admin"}, tenant="t1", request_id="r-1"):
        user = await make_user(infra, karma=5)
    (event,) = await trail(infra)
    assert event["action"] == "create" and event["model"] == "User"
    assert event["record_id"] == {"id": user["id"]} and event["record_key"] == str(user["id"])
    assert (event["actor"], event["tenant"], event["request_id"]) == ("u-9", "t1", "r-1")
    assert event["before"] is None and event["after"]["karma"] == 5
    assert event["diff"]["karma"] == {"from": None, "to": 5}
    assert event["seq"] == 1 and len(event["id"]) == 32 and event["time"].endswith("Z")


async def test_pii_is_masked_in_images_and_diff(infra: Infrastructure) -> None:
    user = await make_user(infra)
    await infra.repository("user").update(user["id"], {"email": "bob@example.com"})
    create, update = await trail(infra)
    assert "alice@example.com" not in str(create) and "bob@example.com" not in str(update)
    assert update["before"]["email"] != "alice@example.com"
    assert set(update["diff"]) == {"email"}


async def test_update_reads_the_before_image_in_the_same_transaction(infra: Infrastructure) -> None:
    user = await make_user(infra, karma=1)
    engine = engine_of(infra)
    engine.calls.clear()
    await infra.repository("user").update(user["id"], {"karma": 2})
    read, write = engine.calls
    assert read.action is Action.FIND_UNIQUE and write.action is Action.UPDATE
    assert read.context.transaction is not None and read.context.transaction == write.context.transaction
    assert engine.tx_log[-2:] == [("begin", read.context.transaction), ("commit", read.context.transaction)]
    event = (await trail(infra))[-1]
    assert event["before"]["karma"] == 1 and event["after"]["karma"] == 2
    assert event["diff"] == {"karma": {"from": 1, "to": 2}}
    assert event["transaction"] == read.context.transaction


async def test_upsert_and_delete(infra: Infrastructure) -> None:
    users = infra.repository("user")
    created = await users.upsert({"email": "c@x.io"}, create={"email": "c@x.io", "name": "C"}, update={"name": "D"})
    await users.upsert({"email": "c@x.io"}, create={"email": "c@x.io", "name": "C"}, update={"name": "E"})
    await users.delete(created["id"])
    first, second, deleted = await trail(infra)
    assert first["details"] == {"created": True} and first["before"] is None
    assert second["details"] == {"created": False} and set(second["diff"]) == {"name"}
    assert deleted["action"] == "delete" and deleted["after"] is None and deleted["before"]["id"] == created["id"]


async def test_update_with_select_still_records_the_full_after_image(infra: Infrastructure) -> None:
    user = await make_user(infra, karma=1)
    await infra.repository("user").update(user["id"], {"karma": 7}, select={"id": True})
    event = (await trail(infra))[-1]
    assert event["after"]["karma"] == 7 and "email" in event["after"]


async def test_a_failed_write_records_nothing(infra: Infrastructure) -> None:
    with pytest.raises(RecordNotFoundError):
        await infra.repository("user").update(12345, {"karma": 1})
    assert await trail(infra) == []


async def test_create_many_records_one_event_per_row(infra: Infrastructure) -> None:
    result = await infra.repository("user").create_many([{"email": f"{i}@x.io", "name": "N"} for i in range(3)])
    assert result == {"count": 3}
    events = await trail(infra)
    assert [e["action"] for e in events] == ["createMany"] * 3
    assert [e["record_id"]["id"] for e in events] == [1, 2, 3]
    assert len({e["operation_id"] for e in events}) == 1


async def test_create_many_without_returning_uses_the_data_given(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, provider="mysql") as infra:
        await infra.repository("user").create_many([{"email": "a@x.io", "name": "A"}, {"email": "b@x.io"}])
        events = await trail(infra)
    assert len(events) == 2 and events[0]["record_id"] is None
    assert events[0]["details"] == {"count_written": 2} and events[0]["after"]["email"] != "a@x.io"


async def test_update_many_and_delete_many_read_rows_in_batches(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, audit={"read_batch_size": 2}) as infra:
        users = infra.repository("user")
        for i in range(5):
            await make_user(infra, f"{i}@x.io", karma=i)
        engine = engine_of(infra)
        engine.calls.clear()
        assert await users.update_many({"karma": {"gte": 1}}, {"name": "Z"}) == {"count": 4}
        reads = [c for c in engine.calls if c.action is Action.FIND_MANY]
        assert len(reads) == 3 + 2  # before-images: 2 + 2 + 0 rows; after-images: 2 + 2
        assert {c.context.transaction for c in engine.calls} == {engine.calls[-1].context.transaction}
        assert await users.delete_many({"karma": {"lt": 2}}) == {"count": 2}
        events = (await trail(infra))[5:]
    updates, deletes = events[:4], events[4:]
    assert [e["record_id"]["id"] for e in updates] == [2, 3, 4, 5]
    assert all(e["diff"] == {"name": {"from": "A***", "to": "Z"}} or set(e["diff"]) == {"name"} for e in updates)
    assert [e["action"] for e in deletes] == ["deleteMany", "deleteMany"]
    assert all(e["after"] is None and e["before"] is not None for e in deletes)


async def test_update_many_with_limit_is_pinned_to_the_rows_read(infra: Infrastructure) -> None:
    for i in range(4):
        await make_user(infra, f"{i}@x.io")
    assert await infra.repository("user").update_many({"name": "Alice"}, {"karma": 9}, limit=2) == {"count": 2}
    events = (await trail(infra))[4:]
    assert [e["record_id"]["id"] for e in events] == [1, 2]
    assert sorted(r["karma"] for r in engine_of(infra).tables["User"]) == [0, 0, 9, 9]


async def test_writes_in_a_transaction_are_emitted_on_commit(infra: Infrastructure) -> None:
    async with infra.transaction() as tx:
        user = await tx.repository("user").create({"email": "t@x.io"})
        await tx.repository("user").update(user["id"], {"name": "T"})
        assert await trail(infra) == []  # not yet committed
    events = await trail(infra)
    assert [e["action"] for e in events] == ["create", "update"]
    assert {e["transaction"] for e in events} == {tx.id}


async def test_a_rolled_back_transaction_produces_no_event(infra: Infrastructure) -> None:
    with pytest.raises(RuntimeError):
        async with infra.transaction() as tx:
            await tx.repository("user").create({"email": "gone@x.io"})
            raise RuntimeError("abort")
    async with infra.transaction() as tx:
        await tx.repository("user").create({"email": "kept@x.io"})
        await tx.rollback()
    await make_user(infra, "after@x.io")
    events = await trail(infra)
    assert len(events) == 1 and events[0]["seq"] == 1


async def test_bulk_operations_are_audited_per_batch(infra: Infrastructure) -> None:
    users = infra.repository("user")
    result = await users.bulk_create([{"email": f"{i}@b.io"} for i in range(5)], batch_size=2)
    assert result.affected == 5
    await users.bulk_update({"email": {"endsWith": "@b.io"}}, {"name": "B"}, batch_size=2)
    await users.bulk_delete({"email": {"endsWith": "@b.io"}}, batch_size=3)
    events = await trail(infra)
    actions = [e["action"] for e in events]
    assert actions == ["createMany"] * 5 + ["updateMany"] * 5 + ["deleteMany"] * 5
    assert len({e["transaction"] for e in events[:5]}) == 3  # one transaction per batch


async def test_infra_batch_is_audited(infra: Infrastructure) -> None:
    users = infra.repository("user")
    user = await make_user(infra)
    await infra.batch(
        [users.op.update(where={"id": user["id"]}, data={"karma": 3}), users.op.create(data={"email": "z@x.io"})]
    )
    events = await trail(infra)
    assert [e["action"] for e in events] == ["create", "update", "create"]
    assert events[1]["before"]["karma"] == 0 and events[1]["after"]["karma"] == 3


async def test_execute_raw_with_declared_models(infra: Infrastructure) -> None:
    engine = engine_of(infra)
    engine.responses[Action.EXECUTE_RAW] = lambda op: 2
    await infra.call(None, "executeRaw", {"sql": 'UPDATE "User" SET karma = $1', "params": [1], "models": ["user"]})
    await infra.call(None, "executeRaw", {"sql": "VACUUM"})
    declared, undeclared = await trail(infra)
    assert declared["model"] == "User" and declared["action"] == "executeRaw"
    assert declared["details"] == {
        "sql": 'UPDATE "User" SET karma = $1',
        "params": 1,
        "affected": 2,
        "written": ["User"],
    }
    assert undeclared["model"] is None and undeclared["details"]["written"] is None  # VACUUM: may write any


async def test_raw_sql_is_stored_with_its_literals_masked(infra: Infrastructure) -> None:
    engine = engine_of(infra)
    engine.responses[Action.EXECUTE_RAW] = lambda op: 1
    sql = "UPDATE \"User\" SET email = 'alice@example.com', karma = 98765 /* for bob */ WHERE name = $1"
    await infra.call(None, "executeRaw", {"sql": sql, "params": ["Zebulon"]})
    (event,) = await trail(infra)
    assert event["details"]["sql"] == 'UPDATE "User" SET email = ?, karma = ?  WHERE name = $1'
    assert event["details"]["params"] == 1
    for secret in ("alice", "98765", "bob", "Zebulon"):
        assert secret not in repr(event)


async def test_a_query_raw_that_writes_is_audited(infra: Infrastructure) -> None:
    engine = engine_of(infra)
    engine.responses[Action.QUERY_RAW] = lambda op: [{"id": 1, "email": "alice@example.com"}]
    await infra.call(None, "queryRaw", {"sql": "SELECT id FROM \"User\" WHERE karma > 3"})
    returning = 'UPDATE "User" SET karma = 0 WHERE email = \'alice@example.com\' RETURNING id, email'
    await infra.call(None, "queryRaw", {"sql": returning})
    cte = 'WITH gone AS (DELETE FROM "User" WHERE karma < 0 RETURNING *) SELECT count(*) FROM gone'
    await infra.call("User", "queryRaw", {"sql": cte})
    events = await trail(infra)
    assert [e["action"] for e in events] == ["queryRaw", "queryRaw"]  # the plain SELECT is no event
    assert events[0]["details"]["sql"] == 'UPDATE "User" SET karma = ? WHERE email = ? RETURNING id, email'
    assert events[0]["details"]["affected"] == 1 and events[0]["details"]["written"] == ["User"]
    assert "alice" not in repr(events)
    assert events[1]["model"] is None and events[1]["details"]["written"] == ["User"]


async def test_reads_produce_no_event_and_no_extra_call(infra: Infrastructure) -> None:
    user = await make_user(infra)
    engine = engine_of(infra)
    engine.calls.clear()
    users = infra.repository("user")
    await users.find_unique(user["id"])
    await users.find_many()
    await users.count()
    assert [c.action for c in engine.calls] == [Action.FIND_UNIQUE, Action.FIND_MANY, Action.COUNT]
    assert all(c.context.transaction is None for c in engine.calls)
    assert len(await trail(infra)) == 1


async def test_a_model_can_opt_out(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, models={"Tag": {"audit": False}}) as infra:
        await infra.repository("tag").create({"name": "t"})
        await make_user(infra)
        assert [e["model"] for e in await trail(infra)] == ["User"]


async def test_audit_is_off_without_sinks(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, audit={"sinks": []}) as infra:
        await make_user(infra)
        with pytest.raises(PrismaInfraError, match=r"audit\.sinks"):
            _ = infra.audit
        assert not (tmp_path / "audit.jsonl").exists()


async def test_before_images_can_be_turned_off(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, audit={"before_images": False}) as infra:
        user = await make_user(infra)
        engine = engine_of(infra)
        engine.calls.clear()
        await infra.repository("user").update(user["id"], {"karma": 1})
        assert [c.action for c in engine.calls] == [Action.UPDATE] and engine.tx_log == []
        event = (await trail(infra))[-1]
    assert event["before"] is None and event["after"]["karma"] == 1


async def test_every_sink_gets_every_event(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, audit={"sinks": ["file", "memory"]}) as infra:
        await make_user(infra)
        await infra.audit.flush()
        (memory,) = MemorySink.instances
        assert [e["id"] for e in memory.events] == [e["id"] for e in await trail(infra)]


async def test_an_unknown_sink_is_a_clear_error(tmp_path: Path) -> None:
    from prisma_infra.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"'fiel' is not registered.*Did you mean 'file'\?"):
        async with audit_infrastructure(tmp_path, audit={"sinks": ["fiel"]}):
            pass
