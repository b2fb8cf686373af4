"""`MemoryEngine`: a small data engine over dicts, so plugin tests need no database.

It serves the kit schema (`KIT_SCHEMA`: ``User`` and ``Post``) or any DMMF
datamodel given in ``database.options.datamodel`` (a dict, or the path of a
JSON file holding ``{"datamodel": ...}`` or the datamodel itself). It knows:

* the model actions on scalar data: create/createMany(AndReturn),
  findUnique(OrThrow), findFirst(OrThrow), findMany, count,
  update/updateMany, upsert, delete/deleteMany; ``orderBy``, ``cursor``,
  ``skip``, ``take``, scalar ``select``;
* filters through the kernel's one ``where`` evaluator
  (`prisma_infra.policies.evaluator`, the one policies check records with):
  SQL's null semantics, ``mode``, the provider's case rules, compound keys;
* defaults (``autoincrement()``, ``now()``, ``uuid()``/``cuid()``, literals);
* unique constraints (single and compound), as `UniqueConstraintError`;
* batches and interactive transactions (rolled back by restoring a snapshot);
* `EngineUnavailableError` once closed, as a real engine whose database is gone.

Relations (``include``, relation filters, nested ``select``), aggregates and
raw SQL raise `EngineError`: use the real engine for those, or answer an action
in a test with ``engine.responses[Action.X] = lambda operation: ...``. What it
did is kept for assertions: ``calls`` (every operation), ``batches`` and
``tx_log`` (``("begin" | "commit" | "rollback", id)``). It passes `EngineContract`.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from prisma_infra.errors import (
    EngineError,
    EngineUnavailableError,
    PrismaInfraError,
    RecordNotFoundError,
    TransactionError,
    UniqueConstraintError,
)
from prisma_infra.hookspecs import hookimpl
from prisma_infra.operation import Action, Operation
from prisma_infra.policies.evaluator import matches
from prisma_infra.providers import Engine
from prisma_infra.schema.model import Schema

if TYPE_CHECKING:
    from prisma_infra.config.model import DatabaseConfig

__all__ = ["ENGINE_NAME", "KIT_SCHEMA", "MemoryEngine", "MemoryEnginePlugin", "kit_datamodel", "kit_schema"]

#: The name `MemoryEngine` is registered under (``database.engine``).
ENGINE_NAME = "sdk-memory"

Row = dict[str, Any]
_DATA = resources.files("prisma_infra_sdk.testing") / "data"


def kit_schema(provider: str = "sqlite") -> str:
    """The kit schema as Prisma schema text for ``provider`` (``sqlite``, ``postgresql``, ``mysql``)."""
    return (_DATA / "kit.prisma").read_text(encoding="utf-8").replace("__PROVIDER__", provider)


def kit_datamodel() -> dict[str, Any]:
    """The kit schema's DMMF datamodel (models ``User`` and ``Post``)."""
    loaded: dict[str, Any] = json.loads((_DATA / "kit.json").read_text(encoding="utf-8"))["datamodel"]
    return loaded


#: The kit schema for SQLite (see `kit_schema`).
KIT_SCHEMA = kit_schema()


class MemoryEngine(Engine):
    """Rows in dicts (see the module documentation); ``calls`` records every operation."""

    name: ClassVar[str] = ENGINE_NAME

    def __init__(self, config: DatabaseConfig | None = None) -> None:
        options: Mapping[str, Any] = config.options if config is not None else {}
        self._provider = str(options.get("provider", "sqlite"))
        self._datamodel = self._load(options.get("datamodel"))
        self.models: dict[str, Mapping[str, Any]] = {m["name"]: m for m in self._datamodel["models"]}
        self.schema = Schema.from_datamodel(self._datamodel, provider=self._provider)
        self.tables: dict[str, list[Row]] = {name: [] for name in self.models}
        self.calls: list[Operation] = []
        self.batches: list[list[Operation]] = []
        self.tx_log: list[tuple[str, str]] = []
        #: Action -> function(operation) answering instead of the tables (or raising).
        self.responses: dict[Action, Callable[[Operation], Any]] = {}
        self._ids = itertools.count(1)
        self._tx_ids = itertools.count(1)
        self._transactions: dict[str, tuple[dict[str, list[Row]], float]] = {}
        self.started = self.closed = False

    @staticmethod
    def _load(source: Any) -> dict[str, Any]:
        if source is None:
            return kit_datamodel()
        if isinstance(source, Mapping):
            loaded = dict(source)
        else:
            loaded = json.loads(Path(str(source)).read_text(encoding="utf-8"))
        return dict(loaded.get("datamodel", loaded))

    @property
    def provider(self) -> str:
        return self._provider

    async def start(self) -> None:
        self.started, self.closed = True, False

    async def close(self) -> None:
        self.closed = True

    async def datamodel(self) -> Mapping[str, Any]:
        return copy.deepcopy(self._datamodel)

    # -- rows ----------------------------------------------------------------------------

    def _defaults(self, model: str, data: Mapping[str, Any]) -> Row:
        row: Row = {}
        for field in self.models[model]["fields"]:
            if field["kind"] == "object":
                continue
            name = field["name"]
            if name in data:
                row[name] = data[name]
                continue
            default = field.get("default")
            if isinstance(default, Mapping):
                make: dict[str, Callable[[], Any]] = {
                    "autoincrement": lambda: next(self._ids),
                    "now": lambda: dt.datetime.now(dt.UTC),
                    "uuid": lambda: str(uuid.uuid4()),
                    "cuid": lambda: "c" + uuid.uuid4().hex[:24],
                }
                row[name] = make[default["name"]]() if default["name"] in make else None
            elif default is not None:
                row[name] = default
            elif field.get("isUpdatedAt"):
                row[name] = dt.datetime.now(dt.UTC)
            else:
                row[name] = None
        return row

    def _unique_sets(self, model: str) -> list[list[str]]:
        spec = self.models[model]
        sets = [[f["name"]] for f in spec["fields"] if f.get("isId") or f.get("isUnique")]
        sets.extend(list(u) for u in spec.get("uniqueFields") or [])
        if spec.get("primaryKey"):
            sets.append(list(spec["primaryKey"]["fields"]))
        return sets

    def _check_unique(self, model: str, row: Row, rows: list[Row]) -> None:
        for fields in self._unique_sets(model):
            if any(other is not row and all(other.get(f) == row.get(f) for f in fields) for other in rows):
                raise UniqueConstraintError(
                    f"Unique constraint failed on {model}({', '.join(fields)})", model=model, fields=fields
                )

    def _insert(self, model: str, data: Mapping[str, Any]) -> Row:
        rows = self.tables[model]
        row = self._defaults(model, data)
        self._check_unique(model, row, rows)
        rows.append(row)
        return row

    def _matches(self, model: str, row: Row, where: Mapping[str, Any]) -> bool:
        try:
            return matches(where, row, schema=self.schema, model=model, provider=self._provider)
        except PrismaInfraError as exc:  # a relation filter (rows hold no relations) or an unknown operator
            raise EngineError(f"MemoryEngine: {exc}") from exc

    def _find(self, model: str, args: Mapping[str, Any]) -> list[Row]:
        if args.get("include"):
            raise EngineError("MemoryEngine: include is not supported")
        where = args.get("where") or {}
        found = [r for r in self.tables[model] if self._matches(model, r, where)]
        order = args.get("orderBy") or []
        for item in reversed(order if isinstance(order, list) else [order]):
            ((name, direction),) = item.items()
            found.sort(key=lambda r: (r.get(name) is None, r.get(name)), reverse=direction == "desc")
        if args.get("cursor"):
            at = (i for i, r in enumerate(found) if self._matches(model, r, args["cursor"]))
            found = found[next(at, len(found)) :]
        found = found[args.get("skip", 0) :]
        if args.get("take") is not None:
            found = found[: args["take"]]
        select = args.get("select")
        if select and any(isinstance(v, Mapping) for v in select.values()):
            raise EngineError("MemoryEngine: nested select is not supported")
        if select:
            return [{k: r.get(k) for k, v in select.items() if v} for r in found]
        return [dict(r) for r in found]

    def _update(self, model: str, row: Row, data: Mapping[str, Any]) -> None:
        before = dict(row)
        for key, value in data.items():
            if isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in ("set", "increment"):
                ((op, arg),) = value.items()
                row[key] = arg if op == "set" else (row.get(key) or 0) + arg
            else:
                row[key] = value
        try:
            self._check_unique(model, row, self.tables[model])
        except UniqueConstraintError:
            row.clear()
            row.update(before)
            raise

    # -- Engine --------------------------------------------------------------------------

    async def execute(self, operation: Operation) -> Any:
        if self.closed:
            raise EngineUnavailableError("MemoryEngine is closed")
        self.calls.append(operation)
        if operation.context.transaction is not None:
            self._live(operation.context.transaction)
        answer = self.responses.get(operation.action)
        if answer is not None:
            return answer(operation)
        action, model, args = operation.action, operation.model or "", operation.args
        unsupported = action.is_raw or action in (Action.AGGREGATE, Action.GROUP_BY)
        if unsupported or (action is Action.CREATE_MANY_AND_RETURN and self._provider == "mysql"):
            raise EngineError(f"MemoryEngine: {action.value} is not supported (use the real engine)")
        if model not in self.models:
            raise EngineError(f"MemoryEngine: unknown model {model!r}")
        if action in (Action.CREATE_MANY, Action.CREATE_MANY_AND_RETURN):
            with self._all_or_nothing():
                created = [dict(self._insert(model, data)) for data in args["data"]]
            return created if action is Action.CREATE_MANY_AND_RETURN else {"count": len(created)}
        if action is Action.CREATE:
            return dict(self._insert(model, args["data"]))
        if action in (Action.FIND_UNIQUE, Action.FIND_UNIQUE_OR_THROW, Action.FIND_FIRST, Action.FIND_FIRST_OR_THROW):
            found = self._find(model, {**args, "take": 1})
            if not found and action in (Action.FIND_UNIQUE_OR_THROW, Action.FIND_FIRST_OR_THROW):
                raise RecordNotFoundError(f"No {model} record was found for a {action.value}.", model=model)
            return found[0] if found else None
        if action is Action.FIND_MANY:
            return self._find(model, args)
        if action is Action.COUNT:
            return len(self._find(model, {k: v for k, v in args.items() if k != "select"}))
        return self._write(action, model, args)

    def _write(self, action: Action, model: str, args: Mapping[str, Any]) -> Any:
        rows, where = self.tables[model], args.get("where") or {}
        if action in (Action.UPDATE, Action.UPSERT, Action.DELETE):
            target = next((r for r in rows if self._matches(model, r, where)), None)
            if target is None and action is Action.UPSERT:
                return dict(self._insert(model, args["create"]))
            if target is None:
                raise RecordNotFoundError(f"No {model} record was found for a {action.value}.", model=model)
            if action is Action.DELETE:
                rows.remove(target)
            else:
                self._update(model, target, args["data" if action is Action.UPDATE else "update"])
            return dict(target)
        hit = [r for r in rows if self._matches(model, r, where)]
        for row in hit:
            if action is Action.DELETE_MANY:
                rows.remove(row)
            else:
                self._update(model, row, args["data"])
        return {"count": len(hit)}

    @contextlib.contextmanager
    def _all_or_nothing(self) -> Iterator[None]:
        snapshot = copy.deepcopy(self.tables)
        try:
            yield
        except BaseException:
            self.tables = snapshot
            raise

    async def execute_batch(self, operations: Sequence[Operation]) -> list[Any]:
        self.batches.append(list(operations))
        with self._all_or_nothing():
            return [await self.execute(op) for op in operations]

    async def begin(self, *, timeout: float = 5.0, max_wait: float = 2.0, isolation_level: str | None = None) -> str:
        if self.closed:
            raise EngineUnavailableError("MemoryEngine is closed")
        tx = f"tx-{next(self._tx_ids)}"
        self._transactions[tx] = (copy.deepcopy(self.tables), time.monotonic() + timeout)
        self.tx_log.append(("begin", tx))
        return tx

    def _live(self, tx: str) -> None:
        if tx not in self._transactions:
            raise TransactionError(f"Transaction {tx} is closed or unknown (P2028)")
        if time.monotonic() > self._transactions[tx][1]:
            self.tables = self._transactions.pop(tx)[0]
            raise TransactionError(f"Transaction {tx} expired (P2028)")

    async def commit(self, transaction_id: str) -> None:
        self._live(transaction_id)
        del self._transactions[transaction_id]
        self.tx_log.append(("commit", transaction_id))

    async def rollback(self, transaction_id: str) -> None:
        self.tx_log.append(("rollback", transaction_id))
        if transaction_id in self._transactions:
            self.tables = self._transactions.pop(transaction_id)[0]


class MemoryEnginePlugin:
    """Registers `MemoryEngine` as ``sdk-memory``; keeps the engines it built in ``engines``.

    A subclass of `MemoryEngine` can be registered under another name:
    ``MemoryEnginePlugin(MyEngine, "my-memory")``.
    """

    name = "sdk-memory-engine"

    def __init__(self, engine: Callable[[DatabaseConfig], MemoryEngine] = MemoryEngine, key: str = ENGINE_NAME) -> None:
        self.engines: list[MemoryEngine] = []
        self._engine = engine
        self._key = key

    @hookimpl
    def register_engines(self, register: Callable[[str, object], None]) -> None:
        def factory(config: DatabaseConfig) -> MemoryEngine:
            engine = self._engine(config)
            self.engines.append(engine)
            return engine

        register(self._key, factory)
