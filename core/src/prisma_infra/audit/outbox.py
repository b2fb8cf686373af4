"""`Outbox`: the ``_prisma_infra_audit_outbox`` table, where a write's audit events are saved in its own transaction.

With ``audit.outbox`` on, the events of every audited write are inserted here in
the transaction that makes the change (the one the before/after images are read
in), so the change and its events commit or roll back together. After the commit
the events go to the sinks as usual and `OutboxRelay` deletes the rows once the
writer has stored them; rows a crash left behind are relayed at the next start.

The table is created on start with plain SQL per provider (SQLite, PostgreSQL,
MySQL/MariaDB) unless it exists; statements go straight to the engine, never
through the pipeline (they are not audited, cached or policed). Rows hold the
event as built (masked images, no chain fields yet) and the chain that will link
it: one chain has one writer, so a process only relays its own chain's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from prisma_infra.operation import Action, Operation, OperationContext

if TYPE_CHECKING:
    from prisma_infra.audit.events import Event
    from prisma_infra.providers.engine import Engine

__all__ = ["OUTBOX_TABLE", "Outbox"]

OUTBOX_TABLE = "_prisma_infra_audit_outbox"
_ROWS_PER_INSERT = 100  # 3 parameters a row
_IDS_PER_DELETE = 500


def _ddl(provider: str) -> list[str]:
    if provider == "mysql":
        return [
            f"CREATE TABLE IF NOT EXISTS `{OUTBOX_TABLE}` (`pos` BIGINT NOT NULL AUTO_INCREMENT, "
            "`id` VARCHAR(64) NOT NULL, `chain` VARCHAR(191) NOT NULL, `payload` LONGTEXT NOT NULL, "
            f"PRIMARY KEY (`pos`), UNIQUE INDEX `{OUTBOX_TABLE}_id_key`(`id`)) "
            "DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ]
    pos = '"pos" BIGSERIAL PRIMARY KEY' if provider == "postgresql" else '"pos" INTEGER PRIMARY KEY AUTOINCREMENT'
    return [
        f'CREATE TABLE IF NOT EXISTS "{OUTBOX_TABLE}" ({pos}, "id" TEXT NOT NULL, "chain" TEXT NOT NULL, '
        '"payload" TEXT NOT NULL)',
        f'CREATE UNIQUE INDEX IF NOT EXISTS "{OUTBOX_TABLE}_id_key" ON "{OUTBOX_TABLE}"("id")',
    ]


class Outbox:
    """The outbox rows of one chain, on one engine."""

    def __init__(self, engine: Engine, chain: str) -> None:
        self.engine = engine
        self.chain = chain
        self.provider = engine.provider
        mark = "`" if self.provider == "mysql" else '"'
        self._table = f"{mark}{OUTBOX_TABLE}{mark}"
        self._columns = ", ".join(f"{mark}{c}{mark}" for c in ("id", "chain", "payload"))
        self._id, self._chain, self._pos = (f"{mark}{c}{mark}" for c in ("id", "chain", "pos"))

    def _p(self, index: int) -> str:
        return f"${index}" if self.provider == "postgresql" else "?"

    @staticmethod
    def _raw(action: Action, sql: str, params: list[Any], context: OperationContext | None = None) -> Operation:
        return Operation(None, action, {"sql": sql, "params": params}, context or OperationContext())

    async def start(self) -> None:
        """Create the table unless it exists."""
        for statement in _ddl(self.provider):
            await self.engine.execute(self._raw(Action.EXECUTE_RAW, statement, []))

    async def put(self, events: Sequence[Event], context: OperationContext) -> None:
        """Insert ``events`` in the transaction ``context`` names (the write's own)."""
        for start in range(0, len(events), _ROWS_PER_INSERT):
            chunk = events[start : start + _ROWS_PER_INSERT]
            params: list[Any] = []
            rows: list[str] = []
            for event in chunk:
                n = len(params)
                params.extend((event["id"], self.chain, orjson.dumps(event).decode()))
                rows.append(f"({self._p(n + 1)}, {self._p(n + 2)}, {self._p(n + 3)})")
            sql = f"INSERT INTO {self._table} ({self._columns}) VALUES {', '.join(rows)}"
            await self.engine.execute(self._raw(Action.EXECUTE_RAW, sql, params, context))

    async def pending(self) -> list[Event]:
        """This chain's events still in the outbox, in the order they were written."""
        sql = f"SELECT payload FROM {self._table} WHERE {self._chain} = {self._p(1)} ORDER BY {self._pos}"
        rows = await self.engine.execute(self._raw(Action.QUERY_RAW, sql, [self.chain]))
        return [orjson.loads(row["payload"]) for row in rows or ()]

    async def delete(self, ids: Sequence[str]) -> None:
        """Remove the rows of events the writer has stored."""
        for start in range(0, len(ids), _IDS_PER_DELETE):
            chunk = list(ids[start : start + _IDS_PER_DELETE])
            marks = ", ".join(self._p(i + 1) for i in range(len(chunk)))
            sql = f"DELETE FROM {self._table} WHERE {self._id} IN ({marks})"
            await self.engine.execute(self._raw(Action.EXECUTE_RAW, sql, chunk))

    async def count(self) -> int:
        """Rows of this chain waiting (for status pages and tests)."""
        sql = f"SELECT COUNT(*) AS n FROM {self._table} WHERE {self._chain} = {self._p(1)}"
        rows = await self.engine.execute(self._raw(Action.QUERY_RAW, sql, [self.chain]))
        return int(rows[0]["n"]) if rows else 0
