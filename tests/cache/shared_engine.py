"""An engine whose rows live in a JSON file, so two OS processes see one database.

Used by the cross-process tests: each process has its own engine (and counts
its own calls), but a write by one is read by the other, as with a real
database. Supports what the tests need: findMany/findFirst/findUnique/count
with equality filters and ``include: {author: true}``; create/update.
"""

from __future__ import annotations

import asyncio
import copy
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from prisma_infra.config.model import DatabaseConfig
from prisma_infra.hookspecs import hookimpl
from prisma_infra.operation import Action, Operation
from prisma_infra.providers import Engine

FIXTURE = Path(__file__).resolve().parents[2] / "core" / "tests" / "fixtures" / "dmmf" / "blog.json"


def _dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, bytes):
        return {"$b": value.hex()}
    raise TypeError(type(value).__name__)


def _load(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$dec" in value:
            return Decimal(value["$dec"])
        if "$b" in value:
            return bytes.fromhex(value["$b"])
        return {k: _load(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_load(v) for v in value]
    return value


class FileEngine(Engine):
    name = "file-engine"

    def __init__(self, config: DatabaseConfig | None = None) -> None:
        options = config.options if config is not None else {}
        self.path = Path(options.get("path") or os.environ["PI_TEST_DB"])
        self.calls: list[Operation] = []
        #: While set, calls wait for it (`hold`): concurrent readers overlap deterministically.
        self.held: asyncio.Event | None = None
        #: Set when a held call has reached the engine.
        self.entered = asyncio.Event()

    def hold(self) -> asyncio.Event:
        """Make the calls from now on wait until the returned event is set (``engine.held = None``: stop)."""
        self.held = asyncio.Event()
        self.entered.clear()
        return self.held

    @property
    def provider(self) -> str:
        return "postgresql"

    async def start(self) -> None:
        if not self.path.exists():
            self.path.write_text("{}")

    async def close(self) -> None:
        return None

    async def datamodel(self) -> Mapping[str, Any]:
        return json.loads(FIXTURE.read_text())  # type: ignore[no-any-return]

    @contextmanager
    def _tables(self, write: bool) -> Iterator[dict[str, list[dict[str, Any]]]]:
        with open(self.path, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
            tables = _load(json.loads(handle.read() or "{}"))
            yield tables
            if write:
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(tables, default=_dump))

    def seed(self, tables: Mapping[str, list[dict[str, Any]]]) -> None:
        self.path.write_text(json.dumps(tables, default=_dump))

    @property
    def reads(self) -> int:
        return sum(1 for c in self.calls if not c.action.is_write)

    async def execute(self, operation: Operation) -> Any:
        self.calls.append(operation)
        gate = self.held
        if gate is not None:
            self.entered.set()
            await gate.wait()
        args = operation.args
        where = args.get("where") or {}
        tenant = operation.context.tenant

        def match(row: Mapping[str, Any]) -> bool:
            if tenant is not None and row.get("tenantId", tenant) != tenant:
                return False
            return all(row.get(k) == v for k, v in where.items())

        with self._tables(operation.action.is_write) as tables:
            rows = tables.setdefault(operation.model or "", [])
            match_rows = [r for r in rows if match(r)]
            action = operation.action
            if action in (Action.FIND_MANY, Action.FIND_FIRST, Action.FIND_UNIQUE):
                found = copy.deepcopy(match_rows)
                if (args.get("include") or {}).get("author"):
                    users = {u["id"]: u for u in tables.get("User", [])}
                    for row in found:
                        row["author"] = copy.deepcopy(users.get(row.get("authorId")))
                if action is Action.FIND_MANY:
                    return found
                return found[0] if found else None
            if action is Action.COUNT:
                return len(match_rows)
            if action is Action.CREATE:
                row = {
                    "id": max((r["id"] for r in rows if isinstance(r.get("id"), int)), default=0) + 1,
                    **args["data"],
                }
                rows.append(row)
                return copy.deepcopy(row)
            if action in (Action.UPDATE, Action.UPDATE_MANY):
                for row in match_rows:
                    row.update(args["data"])
                if action is Action.UPDATE:
                    return copy.deepcopy(match_rows[0])
                return {"count": len(match_rows)}
        raise NotImplementedError(operation.action)

    async def execute_batch(self, operations: Sequence[Operation]) -> list[Any]:
        return [await self.execute(op) for op in operations]

    async def begin(self, *, timeout: float = 5.0, max_wait: float = 2.0, isolation_level: str | None = None) -> str:
        return "tx"

    async def commit(self, transaction_id: str) -> None:
        return None

    async def rollback(self, transaction_id: str) -> None:
        return None


class FileEnginePlugin:
    name = "file-engine"

    def __init__(self) -> None:
        self.engines: list[FileEngine] = []

    @hookimpl
    def register_engines(self, register: Callable[[str, Any], None]) -> None:
        def factory(config: DatabaseConfig) -> FileEngine:
            engine = FileEngine(config)
            self.engines.append(engine)
            return engine

        register("file-engine", factory)
