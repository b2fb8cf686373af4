"""`DatabaseSink` (``"database"``): audit events in an ``AuditEvent`` table of the application's database.

The table is created on start with plain SQL per provider (PostgreSQL, SQLite,
MySQL/MariaDB), sent through the engine as ``executeRaw`` — unless it exists.
Projects that manage their schema with ``db push`` or migrations should add the
model instead (`PRISMA_MODEL`, also in docs/audit.md), so a later push does not
see an unknown table. Writes go straight to the engine (never through the
pipeline, so they are not audited themselves), one multi-row ``INSERT`` per
chunk, all chunks of a batch in one engine batch (atomic); a replayed event
whose id is already stored is ignored.

Every stored column is covered by the event's hash: `read` rebuilds each event from its
``payload`` and then puts back every other column as stored (``id``, ``seq``, ``chain``,
``time``, ``model``, ``action``, ``recordKey``, ``actor``, ``tenant``, ``hash``), so a row
whose lookup column was edited with plain SQL no longer matches its hash, and
verification names it. Untouched rows read exactly as before (the columns repeat the
payload), so trails written earlier still verify: the hash scheme is unchanged.

Options (``audit.sink_options.database``): ``table`` (default ``AuditEvent``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from prisma_infra.audit.types import AuditFilter
from prisma_infra.errors import ConfigurationError, PrismaInfraError
from prisma_infra.operation import Action, Operation
from prisma_infra.providers.audit import AuditSink

if TYPE_CHECKING:
    from prisma_infra.providers.engine import Engine

__all__ = ["PRISMA_MODEL", "DatabaseSink", "RawSql"]

#: The Prisma model matching the table this sink creates; add it to schema.prisma to manage the table there.
PRISMA_MODEL = """\
model AuditEvent {
  id        String  @id
  seq       BigInt
  chain     String
  time      String
  model     String?
  action    String
  recordKey String?
  actor     String?
  tenant    String?
  payload   String
  hash      String

  @@unique([chain, seq])
  @@index([model, recordKey])
  @@index([time])
  @@index([actor])
}
"""

_COLUMNS = ("id", "seq", "chain", "time", "model", "action", "recordKey", "actor", "tenant", "payload", "hash")
#: Column → event key, for every column besides ``payload``.
_EVENT_KEYS = {c: ("record_key" if c == "recordKey" else c) for c in _COLUMNS if c != "payload"}
_ROWS_PER_INSERT = 50  # 11 parameters a row: well under SQLite's and PostgreSQL's limits
_READ_BATCH = 500
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _ddl(provider: str, table: str) -> list[str]:
    if provider == "mysql":
        q = f"`{table}`"
        return [
            f"CREATE TABLE IF NOT EXISTS {q} (`id` VARCHAR(191) NOT NULL, `seq` BIGINT NOT NULL, "
            "`chain` VARCHAR(191) NOT NULL, `time` VARCHAR(191) NOT NULL, `model` VARCHAR(191) NULL, "
            "`action` VARCHAR(191) NOT NULL, `recordKey` VARCHAR(191) NULL, `actor` VARCHAR(191) NULL, "
            "`tenant` VARCHAR(191) NULL, `payload` LONGTEXT NOT NULL, `hash` VARCHAR(191) NOT NULL, "
            f"UNIQUE INDEX `{table}_chain_seq_key`(`chain`, `seq`), "
            f"INDEX `{table}_model_recordKey_idx`(`model`, `recordKey`), INDEX `{table}_time_idx`(`time`), "
            f"INDEX `{table}_actor_idx`(`actor`), PRIMARY KEY (`id`)) "
            "DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        ]
    q = f'"{table}"'
    big = "BIGINT"
    pkey = f'CONSTRAINT "{table}_pkey" PRIMARY KEY ("id")' if provider == "postgresql" else 'PRIMARY KEY ("id")'
    return [
        f'CREATE TABLE IF NOT EXISTS {q} ("id" TEXT NOT NULL, "seq" {big} NOT NULL, "chain" TEXT NOT NULL, '
        '"time" TEXT NOT NULL, "model" TEXT, "action" TEXT NOT NULL, "recordKey" TEXT, "actor" TEXT, '
        f'"tenant" TEXT, "payload" TEXT NOT NULL, "hash" TEXT NOT NULL, {pkey})',
        f'CREATE UNIQUE INDEX IF NOT EXISTS "{table}_chain_seq_key" ON {q}("chain", "seq")',
        f'CREATE INDEX IF NOT EXISTS "{table}_model_recordKey_idx" ON {q}("model", "recordKey")',
        f'CREATE INDEX IF NOT EXISTS "{table}_time_idx" ON {q}("time")',
        f'CREATE INDEX IF NOT EXISTS "{table}_actor_idx" ON {q}("actor")',
    ]


class RawSql:
    """Plain SQL through the engine (never the pipeline, so it is not audited itself), quoted per provider."""

    _engine: Engine | None = None
    _provider = ""

    def bind_engine(self, engine: Engine) -> None:
        """Use ``engine`` (the infrastructure's) for every statement."""
        self._engine = engine
        self._provider = engine.provider

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise PrismaInfraError(
                f"the {type(self).__name__} has no engine: it must be used through the infrastructure"
            )
        return self._engine

    def _q(self, name: str) -> str:
        return f"`{name}`" if self._provider == "mysql" else f'"{name}"'

    def _p(self, index: int) -> str:
        return f"${index}" if self._provider == "postgresql" else "?"

    async def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return await self.engine.execute(
            Operation(model=None, action=Action.EXECUTE_RAW, args={"sql": sql, "params": list(params)})
        )

    async def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        rows = await self.engine.execute(
            Operation(model=None, action=Action.QUERY_RAW, args={"sql": sql, "params": list(params)})
        )
        return list(rows or [])


class DatabaseSink(RawSql, AuditSink):
    """Audit events as rows of one table (see the module documentation).

    The kernel binds it to the running engine (`bind_engine`) before `start`.
    """

    name: ClassVar[str] = "database"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.table = str(self.options.get("table", "AuditEvent"))
        if not _NAME.match(self.table):
            raise ConfigurationError(f"audit.sink_options.database.table: {self.table!r} is not a plain table name")

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        for statement in _ddl(self.engine.provider, self.table):
            await self._exec(statement)

    # -- writing ----------------------------------------------------------------------------

    def _insert(self, events: Sequence[Mapping[str, Any]]) -> Operation:
        columns = ", ".join(self._q(c) for c in _COLUMNS)
        params: list[Any] = []
        rows: list[str] = []
        for event in events:
            values = [
                event["id"],
                event["seq"],
                event["chain"],
                event["time"],
                event.get("model"),
                event["action"],
                event.get("record_key"),
                event.get("actor"),
                event.get("tenant"),
                orjson.dumps(event).decode(),
                event["hash"],
            ]
            start = len(params)
            params.extend(values)
            rows.append("(" + ", ".join(self._p(start + i + 1) for i in range(len(values))) + ")")
        table = self._q(self.table)
        if self._provider == "mysql":
            sql = f"INSERT IGNORE INTO {table} ({columns}) VALUES {', '.join(rows)}"
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join(rows)} ON CONFLICT DO NOTHING"
        return Operation(model=None, action=Action.EXECUTE_RAW, args={"sql": sql, "params": params})

    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        if not events:
            return
        statements = [
            self._insert(events[i : i + _ROWS_PER_INSERT]) for i in range(0, len(events), _ROWS_PER_INSERT)
        ]
        if len(statements) == 1:
            await self.engine.execute(statements[0])
        else:
            await self.engine.execute_batch(statements)

    # -- reading ----------------------------------------------------------------------------

    async def last_event(self, chain: str) -> Mapping[str, Any] | None:
        table, seq = self._q(self.table), self._q("seq")
        rows = await self._query(
            f"SELECT {self._q('payload')} AS payload FROM {table} WHERE {self._q('chain')} = {self._p(1)} "
            f"ORDER BY {seq} DESC LIMIT 1",
            [chain],
        )
        return orjson.loads(rows[0]["payload"]) if rows else None

    def _where(self, criteria: AuditFilter | None, after: tuple[str, int] | None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []

        def add(sql: str, value: Any) -> None:
            params.append(value)
            clauses.append(sql.replace("?", self._p(len(params))))

        if criteria is not None:
            for column, value in (
                ("model", criteria.model),
                ("recordKey", criteria.record_key),
                ("actor", criteria.actor),
                ("action", criteria.action),
                ("chain", criteria.chain),
            ):
                if value is not None:
                    add(f"{self._q(column)} = ?", value)
            if criteria.since is not None:
                add(f"{self._q('time')} >= ?", criteria.since)
            if criteria.until is not None:
                add(f"{self._q('time')} < ?", criteria.until)
        if after is not None:
            chain, seq = after
            chain_col, seq_col = self._q("chain"), self._q("seq")
            params.extend([chain, chain, seq])
            n = len(params)
            clauses.append(
                f"({chain_col} > {self._p(n - 2)} OR ({chain_col} = {self._p(n - 1)} AND {seq_col} > {self._p(n)}))"
            )
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    async def read(self, criteria: AuditFilter | None = None) -> AsyncIterator[dict[str, Any]]:
        """Events in trail order (chain, then seq), read in keyset batches, every column as stored."""
        after: tuple[str, int] | None = None
        table = self._q(self.table)
        columns = ", ".join(f"{self._q(c)} AS {self._q(c)}" for c in _COLUMNS)
        while True:
            where, params = self._where(criteria, after)
            rows = await self._query(
                f"SELECT {columns} FROM {table}{where} ORDER BY {self._q('chain')}, {self._q('seq')} "
                f"LIMIT {_READ_BATCH}",
                params,
            )
            for row in rows:
                yield _stored_event(row)
            if len(rows) < _READ_BATCH:
                return
            after = (str(rows[-1]["chain"]), int(rows[-1]["seq"]))


def _stored_event(row: Mapping[str, Any]) -> dict[str, Any]:
    """The event a row holds: its payload with every other column put back as stored (see the module docs)."""
    try:
        event: dict[str, Any] = orjson.loads(row["payload"])
    except (orjson.JSONDecodeError, TypeError):
        event = {"_unreadable": "payload"}
    if not isinstance(event, dict):
        event = {"_unreadable": "payload"}
    for column, key in _EVENT_KEYS.items():
        value = row.get(column)
        if column == "seq" and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)  # BIGINT may come back as text
        if value != event.get(key):
            event[key] = value  # an edited column: the hash no longer matches
    return event
