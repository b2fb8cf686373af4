"""The cost of ``audit.outbox`` per audited write, on SQLite and PostgreSQL: outbox off against on.

Two infrastructures on the same database (``prisma_infra_bench_audit`` on the PostgreSQL server;
SQLite: a file each, the same data; a 1,000-row ``User`` table made here), audit on with the ``file`` sink
(``fsync = "interval"``), each with its own chain; one has ``audit.outbox`` on. Their writes
alternate in short rounds (`benchmarks.bench_cache.paired`) and the report gives the medians and
the median over rounds of (on - off):

* ``update`` — ``users.update(id, {...})``: already in a transaction the audit opens for the
  before-image; the outbox adds one ``INSERT`` in it and a batched ``DELETE`` after;
* ``create`` — ``users.create({...})``: without the outbox a single statement, with it an
  interactive transaction around it (begin, insert, outbox insert, commit) — the worst case.

Settings: ``PRISMA_INFRA_BENCH_PG_URL`` (server URL without database), ``BENCH_AUDIT_ROUNDS``.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_cache import paired
from benchmarks.bench_engine import DDL, SCHEMA
from benchmarks.databases import create_database, database_url
from benchmarks.report import Report

DB_NAME = "prisma_infra_bench_audit"
ROUNDS = int(os.environ.get("BENCH_AUDIT_ROUNDS", "9"))
PER_ROUND = 100
ROWS = 1000
GROUP = "audit outbox"
SQLITE_DDL = [
    'DROP TABLE IF EXISTS "User"',
    'CREATE TABLE "User" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT, '
    '"active" BOOLEAN NOT NULL DEFAULT true, "score" REAL NOT NULL DEFAULT 0, '
    '"createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)',
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
]


async def _raw(infra: Any, sql: str, *params: Any) -> Any:
    from prisma_infra.operation import Action, Operation

    action = Action.QUERY_RAW if sql.lstrip().upper().startswith("SELECT") else Action.EXECUTE_RAW
    return await infra.engine.execute(Operation(None, action, {"sql": sql, "params": list(params)}))


def _settings(schema: Path, url: str, folder: Path, *, outbox: bool) -> dict[str, Any]:
    name = "on" if outbox else "off"
    return {
        "database": {"engine": "prisma", "schema_path": str(schema), "url": url, "pool_size": 4},
        "cache": {"enabled": False},
        "base_dir": str(folder),
        "audit": {
            "sinks": ["file"],
            "chain": f"bench-{name}",
            "outbox": outbox,
            "buffer_dir": str(folder / f"buffer-{name}"),
            "sink_options": {"file": {"path": str(folder / f"audit-{name}.jsonl"), "fsync": "interval"}},
        },
    }


async def _fill(infra: Any, provider: str) -> list[int]:
    from prisma_infra.operation import Action, Operation

    for statement in DDL if provider == "postgresql" else SQLITE_DDL:
        await _raw(infra, statement)
    data = [{"email": f"user{i}@bench.io", "name": f"User {i}"} for i in range(ROWS)]
    await infra.engine.execute(Operation("User", Action.CREATE_MANY, {"data": data}))
    return [r["id"] for r in await infra.engine.execute(Operation("User", Action.FIND_MANY, {}))]


async def _case(report: Report, provider: str, schema: Path, urls: tuple[str, str], folder: Path) -> None:
    """``urls``: the databases of the infrastructure without and with the outbox (may be the same)."""
    from prisma_infra.infrastructure import Infrastructure

    off = Infrastructure(_settings(schema, urls[0], folder, outbox=False))
    on = Infrastructure(_settings(schema, urls[1], folder, outbox=True))
    await off.start()
    await on.start()
    try:
        ids = await _fill(off, provider)
        if urls[1] != urls[0]:
            assert await _fill(on, provider) == ids
        counter = itertools.count()

        def update(infra: Infrastructure) -> Callable[[], Awaitable[Any]]:
            users = infra.repository("user")

            async def one() -> Any:
                n = next(counter)
                return await users.update(ids[n % ROWS], {"score": float(n)})

            return one

        def create(infra: Infrastructure) -> Callable[[], Awaitable[Any]]:
            users = infra.repository("user")
            return lambda: users.create({"email": f"new{next(counter)}@bench.io", "name": "N"})

        for name, make in (("update", update), ("create", create)):
            floor, path, over = await paired(make(off), make(on), rounds=ROUNDS, per_round=PER_ROUND)
            report.add(GROUP, f"{provider} {name}, outbox off", **floor)
            report.add(
                GROUP,
                f"{provider} {name}, outbox on",
                **path,
                ratio=path["median_us"] / floor["median_us"],
                added_us=over["over_floor_us"],
                rounds_added_us=over["rounds_over_floor_us"],
            )
        relay = on.audit.outbox
        assert relay is not None
        await relay.flush()
        report.add(GROUP, f"{provider} outbox rows left after flush", rows=await relay.outbox.count())
    finally:
        await on.close()
        await off.close()


async def run(report: Report) -> None:
    await create_database(DB_NAME, SCHEMA)
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        folder = Path(tmp)
        sqlite_schema = folder / "schema.prisma"
        text = SCHEMA.read_text().replace('provider = "postgresql"', 'provider = "sqlite"')
        sqlite_schema.write_text(text)
        # SQLite: one file each (two processes writing one file would wait on each other's locks).
        files = (f"file:{folder / 'off.db'}", f"file:{folder / 'on.db'}")
        await _case(report, "sqlite", sqlite_schema, files, folder / "sqlite")
        pg = database_url(DB_NAME)
        await _case(report, "postgresql", SCHEMA, (pg, pg), folder / "postgresql")
