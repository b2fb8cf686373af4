"""Small doubles for kernel unit tests (integration tests use the real Prisma engine).

`MemoryEngine` keeps rows in dicts. It understands scalar filters (equality,
``in``/``notIn``, comparisons, ``contains``/``startsWith``/``endsWith`` with
``mode``, ``not``, ``AND``/``OR``/``NOT``), ``orderBy``/``cursor``/``skip``/
``take``/scalar ``select``, single-field unique constraints, and
transactions that roll back by restoring a snapshot. Anything else (relation
filters, ``include``, aggregates) raises `NotImplementedError` unless a test
sets ``engine.responses[action]``.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prisma_infra.config.model import DatabaseConfig
from prisma_infra.errors import RecordNotFoundError, TransactionError, UniqueConstraintError
from prisma_infra.operation import Action, Operation
from prisma_infra.providers import Engine
from prisma_infra_sdk.testing.engine import MemoryEnginePlugin, matches

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure

FIXTURES = Path(__file__).parent / "fixtures" / "dmmf"

Row = dict[str, Any]


def datamodel(name: str = "blog") -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


class MemoryEngine(Engine):
    """Keeps rows in dicts (see the module docstring). Counts calls for assertions."""

    name = "memory-double"

    def __init__(self, config: DatabaseConfig | None = None, schema: str = "blog") -> None:
        self.config = config
        options = config.options if config else {}
        self.schema_name = str(options.get("fixture", schema))
        self._provider = str(options.get("provider", "postgresql"))
        self.tables: dict[str, list[Row]] = {}
        self.ids = itertools.count(1)
        self.calls: list[Operation] = []
        self.batches: list[list[Operation]] = []
        #: Action -> function(operation) answering instead of the tables.
        self.responses: dict[Action, Callable[[Operation], Any]] = {}
        self.transactions: dict[str, tuple[dict[str, list[Row]], float]] = {}
        self.tx_log: list[tuple[str, str]] = []
        self._tx_ids = itertools.count(1)
        self._unique = {
            m["name"]: [f["name"] for f in m["fields"] if f.get("isUnique") or f.get("isId")]
            for m in datamodel(self.schema_name)["datamodel"]["models"]
        }
        self.started = False
        self.closed = False

    @property
    def provider(self) -> str:
        return self._provider

    async def start(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.closed = True

    async def datamodel(self) -> Mapping[str, Any]:
        return datamodel(self.schema_name)

    # -- reading -------------------------------------------------------------------------

    def _find(self, rows: list[Row], args: Mapping[str, Any]) -> list[Row]:
        if args.get("include"):
            raise NotImplementedError("MemoryEngine: include")
        found = [r for r in rows if matches(r, args.get("where") or {})]
        order = args.get("orderBy") or []
        for item in reversed(order if isinstance(order, list) else [order]):
            ((name, direction),) = item.items()
            found.sort(key=lambda r: (r.get(name) is None, r.get(name)), reverse=direction == "desc")
        if "cursor" in args:
            start = next((i for i, r in enumerate(found) if matches(r, _flat(args["cursor"]))), len(found))
            found = found[start:]
        found = found[args.get("skip", 0):]
        if args.get("take") is not None:
            found = found[: args["take"]]
        select = args.get("select")
        if select:
            if any(isinstance(v, Mapping) for v in select.values()):
                raise NotImplementedError("MemoryEngine: nested select")
            return [{k: r.get(k) for k, v in select.items() if v} for r in found]
        return [dict(r) for r in found]

    # -- writing -------------------------------------------------------------------------

    def _insert(self, model: str, rows: list[Row], data: Mapping[str, Any]) -> Row:
        row = {"id": next(self.ids), **data} if "id" not in data else dict(data)
        for name in self._unique.get(model, ()):
            if any(r.get(name) == row.get(name) for r in rows):
                raise UniqueConstraintError(f"Unique constraint failed on {model}.{name}", model=model, fields=[name])
        rows.append(row)
        return row

    async def execute(self, operation: Operation) -> Any:
        self.calls.append(operation)
        if operation.context.transaction is not None:
            self._live(operation.context.transaction)
        answer = self.responses.get(operation.action)
        if answer is not None:
            return answer(operation)
        model = operation.model or ""
        rows = self.tables.setdefault(model, [])
        args = operation.args
        where = args.get("where") or {}
        match operation.action:
            case Action.CREATE:
                return dict(self._insert(model, rows, args["data"]))
            case Action.CREATE_MANY:
                for data in args["data"]:  # one by one, so a failure leaves earlier rows unless rolled back
                    self._insert(model, rows, data)
                return {"count": len(args["data"])}
            case Action.FIND_UNIQUE:
                found = self._find(rows, {**args, "where": _flat(where)})
                return found[0] if found else None
            case Action.FIND_FIRST:
                found = self._find(rows, {**args, "take": 1})
                return found[0] if found else None
            case Action.FIND_MANY:
                return self._find(rows, args)
            case Action.COUNT:
                return len(self._find(rows, {k: v for k, v in args.items() if k != "select"}))
            case Action.UPDATE | Action.UPSERT | Action.DELETE:
                target = next((r for r in rows if matches(r, _flat(where))), None)
                if target is None and operation.action is Action.UPSERT:
                    return dict(self._insert(model, rows, args["create"]))
                if target is None:
                    raise RecordNotFoundError(f"No record was found for {operation.action.value}.", model=model)
                if operation.action is Action.DELETE:
                    rows.remove(target)
                else:
                    target.update(args["data" if operation.action is Action.UPDATE else "update"])
                return dict(target)
            case Action.UPDATE_MANY | Action.DELETE_MANY:
                hit = [r for r in rows if matches(r, where)]
                for r in hit:
                    if operation.action is Action.DELETE_MANY:
                        rows.remove(r)
                    else:
                        r.update(args["data"])
                return {"count": len(hit)}
        raise NotImplementedError(operation.action)

    async def execute_batch(self, operations: Sequence[Operation]) -> list[Any]:
        self.batches.append(list(operations))
        snapshot = copy.deepcopy(self.tables)
        try:
            return [await self.execute(op) for op in operations]
        except BaseException:
            self.tables = snapshot
            raise

    # -- transactions --------------------------------------------------------------------

    async def begin(self, *, timeout: float = 5.0, max_wait: float = 2.0, isolation_level: str | None = None) -> str:
        tx = f"tx-{next(self._tx_ids)}"
        self.transactions[tx] = (copy.deepcopy(self.tables), time.monotonic() + timeout)
        self.tx_log.append(("begin", tx))
        return tx

    def _live(self, tx: str) -> None:
        if tx not in self.transactions:
            raise TransactionError(f"Transaction {tx} is closed (P2028)")
        if time.monotonic() > self.transactions[tx][1]:
            self.tables = self.transactions.pop(tx)[0]
            raise TransactionError(f"Transaction {tx} expired (P2028)")

    async def commit(self, transaction_id: str) -> None:
        self._live(transaction_id)
        self.transactions.pop(transaction_id)
        self.tx_log.append(("commit", transaction_id))

    async def rollback(self, transaction_id: str) -> None:
        self.tx_log.append(("rollback", transaction_id))
        if transaction_id in self.transactions:
            self.tables = self.transactions.pop(transaction_id)[0]


def _flat(where: Mapping[str, Any]) -> dict[str, Any]:
    """A where-unique with a compound key (``{"a_b": {"a": 1, "b": 2}}``) as plain equalities."""
    out: dict[str, Any] = {}
    for key, value in where.items():
        if isinstance(value, Mapping) and "_" in key and not ({"in", "equals", "not"} & set(value)):
            out.update(value)
        else:
            out[key] = value
    return out


class DoubleEnginePlugin(MemoryEnginePlugin):
    """Registers `MemoryEngine` under ``memory-double``; keeps the instances it built."""

    name = "double-engine"

    def __init__(self) -> None:
        super().__init__(MemoryEngine, "memory-double")  # type: ignore[arg-type]  # a double of its own


def memory_infrastructure(fixture: str = "blog", provider: str = "postgresql", **sections: Any) -> Any:
    """An `Infrastructure` on a `MemoryEngine` with only the built-in plugins (not started).

    The cache is off unless ``cache=...`` is given, so tests see every operation reach the engine.
    """
    sections.setdefault("cache", {"enabled": False})
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.plugin_manager import PluginManager

    config = InfraConfig.model_validate(
        {"database": {"engine": "memory-double", "options": {"fixture": fixture, "provider": provider}}, **sections}
    )
    manager = PluginManager(autoload=False, environ={})
    manager.load_all()
    manager.register(DoubleEnginePlugin())
    return Infrastructure(config, plugin_manager=manager)


def engine_of(infra: Infrastructure) -> MemoryEngine:
    engine = infra.engine
    assert isinstance(engine, MemoryEngine)
    return engine


def emails(infra: Infrastructure) -> list[str]:
    return sorted(r["email"] for r in engine_of(infra).tables.get("User", []))
