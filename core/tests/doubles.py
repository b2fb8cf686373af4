"""Small doubles for kernel unit tests (integration tests use the real Prisma engine)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from prisma_infra.config.model import DatabaseConfig
from prisma_infra.errors import RecordNotFoundError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.operation import Action, Operation
from prisma_infra.providers import Engine

FIXTURES = Path(__file__).parent / "fixtures" / "dmmf"


def datamodel(name: str = "blog") -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


class MemoryEngine(Engine):
    """Keeps rows in dicts; understands equality filters only. Counts calls for assertions."""

    name = "memory-double"

    def __init__(self, config: DatabaseConfig | None = None, schema: str = "blog") -> None:
        self.config = config
        self.schema_name = str((config.options if config else {}).get("fixture", schema))
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.ids = itertools.count(1)
        self.calls: list[Operation] = []
        self.started = False
        self.closed = False

    @property
    def provider(self) -> str:
        return "postgresql"

    async def start(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.closed = True

    async def datamodel(self) -> Mapping[str, Any]:
        return datamodel(self.schema_name)

    def _match(self, row: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
        return all(row.get(k) == v for k, v in where.items())

    async def execute(self, operation: Operation) -> Any:
        self.calls.append(operation)
        rows = self.tables.setdefault(operation.model or "", [])
        args = operation.args
        where = args.get("where", {})
        match operation.action:
            case Action.CREATE:
                row = {"id": next(self.ids), **args["data"]}
                rows.append(row)
                return dict(row)
            case Action.FIND_UNIQUE | Action.FIND_FIRST:
                return next((dict(r) for r in rows if self._match(r, where)), None)
            case Action.FIND_MANY:
                return [dict(r) for r in rows if self._match(r, where)][: args.get("take")]
            case Action.COUNT:
                return sum(1 for r in rows if self._match(r, where))
            case Action.UPDATE:
                for r in rows:
                    if self._match(r, where):
                        r.update(args["data"])
                        return dict(r)
                raise RecordNotFoundError("No record was found for an update.", model=operation.model)
            case Action.DELETE:
                for r in rows:
                    if self._match(r, where):
                        rows.remove(r)
                        return dict(r)
                raise RecordNotFoundError("No record was found for a delete.", model=operation.model)
        raise NotImplementedError(operation.action)

    async def execute_batch(self, operations: Sequence[Operation]) -> list[Any]:
        return [await self.execute(op) for op in operations]

    async def begin(self, *, timeout: float = 5.0, max_wait: float = 2.0, isolation_level: str | None = None) -> str:
        return "tx-1"

    async def commit(self, transaction_id: str) -> None:
        return None

    async def rollback(self, transaction_id: str) -> None:
        return None


class DoubleEnginePlugin:
    """Registers `MemoryEngine` under ``memory-double``; keeps the instances it built."""

    name = "double-engine"

    def __init__(self) -> None:
        self.engines: list[MemoryEngine] = []

    @hookimpl
    def register_engines(self, register: Callable[[str, Any], None]) -> None:
        def factory(config: DatabaseConfig) -> MemoryEngine:
            engine = MemoryEngine(config)
            self.engines.append(engine)
            return engine

        register("memory-double", factory)
