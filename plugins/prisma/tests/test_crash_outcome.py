"""The bridge dies with requests in flight: which fail with `OutcomeUnknownError`, which do not.

A write sent outside a transaction (or a commit) may have been applied: `OutcomeUnknownError`.
A read, a statement of an interactive transaction (rolled back with the connection) and a
request that never left the write buffer fail with plain `EngineUnavailableError`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra_prisma import PrismaEngine
from prisma_infra_sdk import Action, EngineUnavailableError, Operation, OperationContext, OutcomeUnknownError

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

#: How long a "slow" write sleeps in the database: far beyond the test, so it is in flight for sure.
SLEEP = 30


def op(model: str | None, action: str, tx: str | None = None, **args: Any) -> Operation:
    return Operation(model=model, action=Action(action), args=args, context=OperationContext(transaction=tx))


async def run(engine: PrismaEngine, model: str | None, action: str, tx: str | None = None, **args: Any) -> Any:
    return await engine.execute(op(model, action, tx, **args))


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def clean(engine: PrismaEngine) -> None:
    await run(engine, "Post", "deleteMany")
    await run(engine, "User", "deleteMany")


async def until(condition: Callable[[], Awaitable[bool]], what: str, within: float = 10.0) -> None:
    """Wait for ``condition`` (checked between event-loop turns), failing after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def sqlite_path(engine: PrismaEngine) -> str:
    url = engine._url  # the resolved file: URL of the test database
    assert url.startswith("file:")
    return url[5:]


def slow_update(provider: str, user_id: int) -> tuple[str, list[Any]]:
    """An UPDATE of one user that runs for a long time inside the database."""
    if provider == "postgresql":
        sql = f'UPDATE "User" SET "name" = \'slept\' WHERE "id" = $1 AND (SELECT 1 FROM pg_sleep({SLEEP})) = 1'
    elif provider == "mysql":
        sql = f"UPDATE `User` SET `name` = 'slept' WHERE `id` = ? AND SLEEP({SLEEP}) = 0"
    else:
        rows = SLEEP * 3_000_000
        sql = (
            'UPDATE "User" SET "name" = \'slept\' WHERE "id" = ? AND (WITH RECURSIVE c(x) AS '
            f"(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) SELECT count(*) FROM c) > 0"
        )
    return sql, [user_id]


async def running_in_database(engine: PrismaEngine) -> bool:
    """Whether the slow UPDATE is executing in the database now."""
    if engine.provider == "postgresql":
        rows = await run(
            engine,
            None,
            "queryRaw",
            sql="SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE 'UPDATE \"User\" SET \"name\" = ''slept''%' AND pid <> pg_backend_pid()",
        )
        return bool(rows[0]["n"])
    if engine.provider == "mysql":
        rows = await run(
            engine,
            None,
            "queryRaw",
            sql="SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST "
            "WHERE INFO LIKE 'UPDATE `User` SET `name` = ''slept''%' AND ID <> CONNECTION_ID()",
        )
        return bool(int(rows[0]["n"]))
    # SQLite: the UPDATE holds the database's write lock while it runs (the bridge is blocked meanwhile).
    probe = sqlite3.connect(sqlite_path(engine), timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    finally:
        probe.close()


async def stop_sleepers(engine: PrismaEngine) -> None:
    """End the slow UPDATE the dead bridge left running in the server (it holds a row lock)."""
    if engine.provider == "postgresql":
        await run(
            engine,
            None,
            "queryRaw",
            sql="SELECT pg_terminate_backend(pid) AS x FROM pg_stat_activity "
            "WHERE query LIKE 'UPDATE \"User\" SET \"name\" = ''slept''%' AND pid <> pg_backend_pid()",
        )
    elif engine.provider == "mysql":
        rows = await run(
            engine,
            None,
            "queryRaw",
            sql="SELECT ID AS id FROM information_schema.PROCESSLIST "
            "WHERE INFO LIKE 'UPDATE `User` SET `name` = ''slept''%' AND ID <> CONNECTION_ID()",
        )
        for row in rows:
            await run(engine, None, "executeRaw", sql=f"KILL {int(row['id'])}", params=[])


async def test_kill_9_with_a_slow_write_in_the_database(engine: PrismaEngine) -> None:
    user = await run(engine, "User", "create", data={"email": "slow@example.com"})
    sql, params = slow_update(engine.provider, user["id"])
    write = asyncio.ensure_future(run(engine, None, "executeRaw", sql=sql, params=params))
    await until(lambda: running_in_database(engine), "the slow UPDATE to run in the database")
    pid = engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(OutcomeUnknownError) as caught:
        await asyncio.wait_for(write, 5)
    assert "executeRaw" in caught.value.message and "may or may not have applied it" in caught.value.message
    assert "slept" not in caught.value.message and "slow@example.com" not in caught.value.message
    # the next request restarts the bridge
    await stop_sleepers(engine)
    assert (await run(engine, "User", "count")) == 1
    assert engine.pid not in (None, pid)


async def test_what_was_sent_and_what_was_not(engine: PrismaEngine) -> None:
    """The bridge is stopped (SIGSTOP) so nothing it was sent is read, then killed."""
    user = await run(engine, "User", "create", data={"email": "u@example.com", "name": "before"})
    tx = await engine.begin(timeout=30, max_wait=5)  # one: SQLite runs one transaction at a time
    await run(engine, "User", "create", tx, data={"email": "in-tx@example.com"})
    bridge = engine._bridge
    pid = engine.pid
    assert bridge is not None and pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        sent = {
            "read": asyncio.ensure_future(run(engine, "User", "findMany")),
            "write": asyncio.ensure_future(
                run(engine, "User", "update", where={"id": user["id"]}, data={"name": "after"})
            ),
            "tx write": asyncio.ensure_future(
                run(engine, "User", "update", tx, where={"id": user["id"]}, data={"name": "tx"})
            ),
            "commit": asyncio.ensure_future(engine.commit(tx)),
        }
        await until(lambda: _true(bridge.in_flight == len(sent)), "the four requests to be sent")
        # Large creates fill the pipe (64 KiB on Linux): the last ones stay in the write buffer.
        name = "n" * 8000
        creates = [
            asyncio.ensure_future(run(engine, "User", "create", data={"email": f"c{i}@example.com", "name": name}))
            for i in range(40)
        ]
        await until(lambda: _true(bridge.in_flight == len(sent) + len(creates)), "the creates to be queued")
    finally:
        os.kill(pid, signal.SIGKILL)
    outcomes = {key: await asyncio.gather(task, return_exceptions=True) for key, task in sent.items()}
    assert type(outcomes["read"][0]) is EngineUnavailableError
    assert type(outcomes["write"][0]) is OutcomeUnknownError
    assert type(outcomes["tx write"][0]) is EngineUnavailableError
    assert type(outcomes["commit"][0]) is OutcomeUnknownError
    created = await asyncio.gather(*creates, return_exceptions=True)
    kinds = ["unknown" if type(o) is OutcomeUnknownError else "unsent" for o in created]
    assert all(isinstance(o, EngineUnavailableError) for o in created)
    assert "unknown" in kinds and "unsent" in kinds
    first_unsent = kinds.index("unsent")
    assert kinds[first_unsent:] == ["unsent"] * (len(kinds) - first_unsent)  # sent in order: a prefix reached it
    assert all("before the request was sent" in str(o) for o in created[first_unsent:])
    # what never left this process is not in the database; the interactive transaction was rolled back
    await engine.rollback(tx)
    emails = [f"c{i}@example.com" for i in range(first_unsent, len(creates))]
    assert await run(engine, "User", "count", where={"email": {"in": emails}}) == 0
    row = await run(engine, "User", "findUnique", where={"id": user["id"]})
    assert row["name"] in ("before", "after")  # "after" was sent: it may have been applied
    assert row["name"] != "tx"
    assert await run(engine, "User", "count", where={"email": "in-tx@example.com"}) == 0


async def _true(value: bool) -> bool:
    return value
