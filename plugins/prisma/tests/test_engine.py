"""Integration suite: `PrismaEngine` against real PostgreSQL, MariaDB and SQLite."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra_prisma import DbNull, JsonNull, PrismaEngine
from prisma_infra_sdk import (
    Action,
    EngineUnavailableError,
    ForeignKeyConstraintError,
    Operation,
    OperationContext,
    OperationTimeoutError,
    PrismaInfraError,
    RecordNotFoundError,
    TransactionError,
    UniqueConstraintError,
    ValidationError,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


def op(model: str | None, action: str, tx: str | None = None, deadline: float | None = None, **args: Any) -> Operation:
    return Operation(
        model=model, action=Action(action), args=args, context=OperationContext(transaction=tx, deadline=deadline)
    )


async def run(engine: PrismaEngine, model: str | None, action: str, tx: str | None = None, **args: Any) -> Any:
    return await engine.execute(op(model, action, tx, **args))


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def clean(engine: PrismaEngine) -> None:
    await run(engine, "Post", "deleteMany")
    await run(engine, "User", "deleteMany")


async def make_user(engine: PrismaEngine, email: str = "a@example.com", **data: Any) -> dict[str, Any]:
    return await run(engine, "User", "create", data={"email": email, **data})  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- actions


async def test_crud_actions(engine: PrismaEngine) -> None:
    alice = await make_user(engine, "alice@example.com", name="Alice")
    assert alice["email"] == "alice@example.com" and alice["role"] == "MEMBER" and alice["active"] is True
    assert isinstance(alice["createdAt"], datetime) and alice["createdAt"].tzinfo is not None

    assert (await run(engine, "User", "findUnique", where={"id": alice["id"]}))["name"] == "Alice"
    assert await run(engine, "User", "findUnique", where={"id": alice["id"] + 1000}) is None
    assert (await run(engine, "User", "findUniqueOrThrow", where={"email": "alice@example.com"}))["id"] == alice["id"]
    assert (await run(engine, "User", "findFirst", where={"name": "Alice"}))["id"] == alice["id"]
    assert (await run(engine, "User", "findFirstOrThrow", where={"name": {"startsWith": "Ali"}}))["id"] == alice["id"]

    many = await run(engine, "User", "createMany", data=[{"email": f"u{i}@example.com", "score": i} for i in range(5)])
    assert many == {"count": 5}
    found = await run(
        engine, "User", "findMany", where={"email": {"startsWith": "u"}}, orderBy={"score": "desc"}, take=2
    )
    assert [u["score"] for u in found] == [4.0, 3.0]
    assert await run(engine, "User", "count") == 6
    assert await run(engine, "User", "count", where={"score": {"gte": 3}}) == 2

    updated = await run(engine, "User", "update", where={"id": alice["id"]}, data={"name": "Al", "role": "ADMIN"})
    assert updated["name"] == "Al" and updated["role"] == "ADMIN"
    assert await run(engine, "User", "updateMany", where={"score": {"lt": 2}}, data={"active": False}) == {"count": 3}

    upserted = await run(
        engine, "User", "upsert", where={"email": "bob@example.com"}, create={"email": "bob@example.com"}, update={}
    )
    again = await run(
        engine, "User", "upsert", where={"email": "bob@example.com"}, create={"email": "x"}, update={"name": "Bob"}
    )
    assert again["id"] == upserted["id"] and again["name"] == "Bob"

    agg = await run(engine, "User", "aggregate", _count={"_all": True}, _max={"score": True}, _avg={"score": True})
    assert agg["_count"]["_all"] == 7 and agg["_max"]["score"] == 4.0
    groups = await run(engine, "User", "groupBy", by=["active"], _count={"_all": True}, orderBy={"active": "asc"})
    assert [(g["active"], g["_count"]["_all"]) for g in groups] == [(False, 3), (True, 4)]

    deleted = await run(engine, "User", "delete", where={"email": "bob@example.com"})
    assert deleted["name"] == "Bob"
    assert await run(engine, "User", "deleteMany", where={"email": {"startsWith": "u"}}) == {"count": 5}


async def test_create_many_and_return(engine: PrismaEngine) -> None:
    if engine.provider == "mysql":
        # Prisma offers createManyAndReturn on PostgreSQL, CockroachDB and SQLite only.
        with pytest.raises(ValidationError):
            await run(engine, "User", "createManyAndReturn", data=[{"email": "m@example.com"}])
        return
    rows = await run(engine, "User", "createManyAndReturn", data=[{"email": "r1@x.io"}, {"email": "r2@x.io"}])
    assert sorted(r["email"] for r in rows) == ["r1@x.io", "r2@x.io"]


async def test_relations(engine: PrismaEngine) -> None:
    user = await run(
        engine,
        "User",
        "create",
        data={"email": "w@example.com", "posts": {"create": [{"title": "one"}, {"title": "two", "views": 5}]}},
        include={"posts": {"orderBy": {"title": "asc"}}},
    )
    assert [p["title"] for p in user["posts"]] == ["one", "two"]
    post = await run(
        engine,
        "Post",
        "findFirst",
        where={"author": {"email": "w@example.com"}, "views": 5},
        select={"title": True, "author": {"select": {"email": True}}},
    )
    assert post == {"title": "two", "author": {"email": "w@example.com"}}
    counted = await run(
        engine, "User", "findUnique", where={"id": user["id"]}, select={"_count": {"select": {"posts": True}}}
    )
    assert counted == {"_count": {"posts": 2}}


async def test_raw_sql(engine: PrismaEngine) -> None:
    await make_user(engine, "raw@example.com", score=2.5)
    quote = "`" if engine.provider == "mysql" else '"'
    placeholder = "$1" if engine.provider == "postgresql" else "?"
    table = f"{quote}User{quote}"
    rows = await run(
        engine,
        None,
        "queryRaw",
        sql=f"SELECT email, score FROM {table} WHERE email = {placeholder}",
        params=["raw@example.com"],
    )
    assert rows == [{"email": "raw@example.com", "score": 2.5}]
    changed = await run(engine, None, "executeRaw", sql=f"UPDATE {table} SET name = {placeholder}", params=["R"])
    assert changed == 1


# ---------------------------------------------------------------------------- values


async def test_value_round_trips(engine: PrismaEngine) -> None:
    born = datetime(1999, 12, 31, 23, 59, 58, 123000, tzinfo=UTC)
    meta = {"$type": "not-a-tag", "nested": {"$type": "Decimal", "value": "1"}, "list": [1, "two", None, True]}
    # SQLite keeps DECIMAL columns as 8-byte floats: about 15 significant digits.
    balance = Decimal("123456789.123456") if engine.provider == "sqlite" else Decimal("12345678901234.123456")
    data = {
        "big": 2**62 + 12345,
        "balance": balance,
        "born": born,
        "avatar": bytes(range(256)),
        "meta": meta,
        "score": 0.1,
        "role": "ADMIN",
    }
    created = await make_user(engine, "types@example.com", **data)
    fetched = await run(engine, "User", "findUnique", where={"email": "types@example.com"})
    for row in (created, fetched):
        assert row["big"] == 2**62 + 12345 and type(row["big"]) is int
        assert row["balance"] == balance and isinstance(row["balance"], Decimal)
        assert row["born"] == born and row["born"].tzinfo is not None
        assert row["avatar"] == bytes(range(256))
        assert row["meta"] == meta
        assert row["score"] == 0.1 and row["role"] == "ADMIN"
    # filters take the same values
    assert await run(engine, "User", "count", where={"big": 2**62 + 12345, "born": born}) == 1
    # microseconds are truncated to milliseconds (JavaScript Date)
    fine = await make_user(engine, "micro@example.com", born=datetime(2020, 1, 1, 0, 0, 0, 123456, tzinfo=UTC))
    assert fine["born"] == datetime(2020, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    # naive datetimes are taken as UTC
    naive = await make_user(engine, "naive@example.com", born=datetime(2021, 6, 1, 12, 0))
    assert naive["born"] == datetime(2021, 6, 1, 12, 0, tzinfo=UTC)


async def test_json_null_and_db_null(engine: PrismaEngine) -> None:
    await make_user(engine, "jn@example.com", meta=JsonNull)
    await make_user(engine, "dn@example.com", meta=DbNull)
    await make_user(engine, "scalar@example.com", meta=[1, {"a": None}])
    assert [u["email"] for u in await run(engine, "User", "findMany", where={"meta": {"equals": JsonNull}})] == [
        "jn@example.com"
    ]
    assert [u["email"] for u in await run(engine, "User", "findMany", where={"meta": {"equals": DbNull}})] == [
        "dn@example.com"
    ]
    scalar = await run(engine, "User", "findUnique", where={"email": "scalar@example.com"})
    assert scalar["meta"] == [1, {"a": None}]
    # optional scalar set to None is database NULL
    assert (await make_user(engine, "none@example.com", name=None))["name"] is None


# ---------------------------------------------------------------------------- errors


async def test_unique_constraint_error(engine: PrismaEngine) -> None:
    await make_user(engine, "dup@example.com")
    with pytest.raises(UniqueConstraintError) as caught:
        await make_user(engine, "dup@example.com")
    assert caught.value.model == "User"
    assert caught.value.fields == ["email"]
    user = await make_user(engine, "poster@example.com")
    await run(engine, "Post", "create", data={"title": "t", "authorId": user["id"]})
    with pytest.raises(UniqueConstraintError) as compound:
        await run(engine, "Post", "create", data={"title": "t", "authorId": user["id"]})
    assert compound.value.model == "Post" and sorted(compound.value.fields) == ["authorId", "title"]


async def test_foreign_key_error(engine: PrismaEngine) -> None:
    with pytest.raises(ForeignKeyConstraintError) as caught:
        await run(engine, "Post", "create", data={"title": "orphan", "authorId": 987654})
    assert caught.value.model == "Post"


async def test_not_found_errors(engine: PrismaEngine) -> None:
    with pytest.raises(RecordNotFoundError) as caught:
        await run(engine, "User", "update", where={"id": 987654}, data={"name": "x"})
    assert caught.value.model == "User"
    with pytest.raises(RecordNotFoundError) as found:
        await run(engine, "User", "findUniqueOrThrow", where={"id": 987654})
    assert found.value.model == "User"


async def test_validation_error(engine: PrismaEngine) -> None:
    with pytest.raises(ValidationError) as caught:
        await run(engine, "User", "create", data={"name": "no email"})
    error = caught.value
    assert "\n" not in error.message and "email" in error.message
    assert error.field == "email" and error.model == "User"
    assert error.detail is not None and error.detail.count("\n") > 2
    with pytest.raises(ValidationError):
        await run(engine, "User", "findMany", where={"nope": 1})
    with pytest.raises(ValidationError):
        await run(engine, "Nope", "findMany")


async def test_engine_errors_carry_no_values(engine: PrismaEngine) -> None:
    """Prisma and the database echo values (argument trees, casts, duplicate entries): none reaches the error."""
    await make_user(engine, "dup-erin@example.com")
    failures: list[PrismaInfraError] = []
    where = {"email": {"equals": "erin@example.com", "bogus": "frank@example.org"}, "karma": 987654321}
    with pytest.raises(ValidationError) as caught:
        await run(engine, "User", "findMany", where=where)
    failures.append(caught.value)
    table = "`User`" if engine.provider == "mysql" else '"User"'
    insert = f"INSERT INTO {table} (email) VALUES ('dup-erin@example.com')"
    with pytest.raises(PrismaInfraError) as duplicate:
        await engine.execute(Operation(None, Action.EXECUTE_RAW, {"sql": insert, "params": []}))
    failures.append(duplicate.value)
    if engine.provider == "postgresql":
        cast = {"sql": "SELECT $1::int AS n", "params": ["grace@example.net"]}
        with pytest.raises(PrismaInfraError) as invalid:
            await engine.execute(Operation(None, Action.QUERY_RAW, cast))
        failures.append(invalid.value)
    for error in failures:
        text = f"{error} {error.detail} {getattr(error, 'meta', None)}"
        for value in ("erin@", "frank@", "grace@", "987654321"):
            assert value not in text, (value, text)
    assert "bogus" in str(failures[0])  # what is wrong stays said


# ---------------------------------------------------------------------------- transactions


async def test_interactive_transaction_commit_and_rollback(engine: PrismaEngine) -> None:
    tx = await engine.begin(timeout=5, max_wait=5)
    await run(engine, "User", "create", tx, data={"email": "tx1@example.com"})
    assert await run(engine, "User", "count", tx) == 1
    await engine.commit(tx)
    assert await run(engine, "User", "count") == 1

    tx = await engine.begin(timeout=5, max_wait=5, isolation_level="Serializable")
    await run(engine, "User", "create", tx, data={"email": "tx2@example.com"})
    await engine.rollback(tx)
    assert await run(engine, "User", "count") == 1
    await engine.rollback(tx)  # a no-op once ended
    with pytest.raises(TransactionError):
        await engine.commit(tx)
    with pytest.raises(TransactionError):
        await run(engine, "User", "count", tx)


async def test_transaction_expiry(engine: PrismaEngine) -> None:
    tx = await engine.begin(timeout=0.3, max_wait=5)
    await run(engine, "User", "create", tx, data={"email": "late@example.com"})
    await asyncio.sleep(0.6)  # outlive the timeout: Prisma expires it on Node's real clock
    with pytest.raises(TransactionError):
        await run(engine, "User", "count", tx)
    with pytest.raises(TransactionError):
        await engine.commit(tx)
    assert await run(engine, "User", "count") == 0


async def test_batch_transaction_all_or_nothing(engine: PrismaEngine) -> None:
    results = await engine.execute_batch([op("User", "create", data={"email": "b1@example.com"}), op("User", "count")])
    assert results[0]["email"] == "b1@example.com" and results[1] == 1
    with pytest.raises(UniqueConstraintError):
        await engine.execute_batch(
            [
                op("User", "create", data={"email": "b2@example.com"}),
                op("User", "create", data={"email": "b1@example.com"}),
            ]
        )
    assert await run(engine, "User", "count") == 1
    assert await engine.execute_batch([]) == []


# ---------------------------------------------------------------------------- supervision


def _slow_sql(provider: str, seconds: float) -> str:
    if provider == "postgresql":
        return f"SELECT pg_sleep({seconds}) IS NULL AS x"
    if provider == "mysql":
        return f"SELECT SLEEP({seconds}) AS x"
    rows = int(seconds * 3e6)
    return (
        f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) SELECT count(*) AS x FROM c"
    )


async def test_bridge_killed_mid_run(engine: PrismaEngine) -> None:
    await make_user(engine, "k@example.com")
    pid = engine.pid
    assert pid is not None
    slow = asyncio.ensure_future(run(engine, None, "queryRaw", sql=_slow_sql(engine.provider, 5)))
    tasks = [asyncio.ensure_future(run(engine, "User", "findMany")) for _ in range(200)]
    await asyncio.sleep(0.05)  # real time for the requests to reach the bridge's pipe before the kill
    started = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    # what was in flight fails at once; what still waited for a slot restarts the bridge and runs
    with pytest.raises(EngineUnavailableError):
        await asyncio.wait_for(slow, 1)
    assert time.monotonic() - started < 1
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert any(isinstance(o, EngineUnavailableError) for o in outcomes)
    assert all(isinstance(o, list | EngineUnavailableError) for o in outcomes)
    # the next request restarts the bridge
    assert (await run(engine, "User", "findUnique", where={"email": "k@example.com"}))["email"] == "k@example.com"
    assert engine.pid not in (None, pid)


async def test_operation_timeout(engine: PrismaEngine) -> None:
    started = time.monotonic()
    with pytest.raises(OperationTimeoutError) as caught:
        await engine.execute(op(None, "queryRaw", deadline=time.monotonic() + 0.2, sql=_slow_sql(engine.provider, 1)))
    assert time.monotonic() - started < 1
    assert "queryRaw" in caught.value.message
    if engine.provider == "sqlite":
        await asyncio.sleep(1.2)  # the local query blocks the bridge until it finishes
        return
    # a model operation waiting on a row lock names its model and action
    user = await make_user(engine, "lock@example.com")
    tx = await engine.begin(timeout=5, max_wait=5)
    try:
        await run(engine, "User", "update", tx, where={"id": user["id"]}, data={"name": "in tx"})
        with pytest.raises(OperationTimeoutError) as locked:
            await engine.execute(
                op("User", "update", deadline=time.monotonic() + 0.3, where={"id": user["id"]}, data={"name": "x"})
            )
        assert "User.update" in locked.value.message
    finally:
        await engine.rollback(tx)


async def test_back_pressure_2000_concurrent(engine: PrismaEngine) -> None:
    user = await make_user(engine, "many@example.com")
    bridge = engine._bridge
    assert bridge is not None
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, bridge.in_flight)
            await asyncio.sleep(0)

    watcher = asyncio.ensure_future(watch())
    try:
        results = await asyncio.gather(
            *(run(engine, "User", "findUnique", where={"id": user["id"]}) for _ in range(2000))
        )
    finally:
        watcher.cancel()
    assert all(r["id"] == user["id"] for r in results)
    assert 0 < peak <= 100  # max_in_flight


async def test_ping_and_datamodel(engine: PrismaEngine) -> None:
    await engine.ping()
    datamodel = await engine.datamodel()
    models = {m["name"]: m for m in datamodel["models"]}
    assert set(models) == {"User", "Post"}
    assert [e["name"] for e in datamodel["enums"]] == ["Role"]
