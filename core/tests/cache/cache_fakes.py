"""Fakes for cache unit tests: a counting fake database and a shareable fake store."""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Any

from prisma_infra.cache.manager import CacheManager
from prisma_infra.cache.memory import MemoryStore
from prisma_infra.clock import SYSTEM_CLOCK, Clock, ManualClock
from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import CacheBackendError
from prisma_infra.operation import Action, CacheOptions, Operation, OperationContext
from prisma_infra.plugin_manager import Registration
from prisma_infra.providers.cache import CacheStore
from prisma_infra.schema.model import Schema

from core.tests.doubles import datamodel


class FakeDB:
    """An engine stand-in for the manager: rows in dicts, ``include: {author: true}``, counted calls."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {"User": [], "Post": [], "Comment": [], "Tag": []}
        self.ids = itertools.count(1)
        self.calls: list[Operation] = []
        #: While set, calls wait for this event (`hold`): concurrent readers overlap deterministically.
        self.held: asyncio.Event | None = None
        #: Set when a held call has reached the database.
        self.entered = asyncio.Event()
        self.fail: Exception | None = None

    def hold(self) -> asyncio.Event:
        """Make the calls from now on wait until the returned event is set (``db.held = None``: stop holding)."""
        self.held = asyncio.Event()
        self.entered.clear()
        return self.held

    @property
    def reads(self) -> int:
        return sum(1 for op in self.calls if not op.action.is_write)

    async def __call__(self, operation: Operation) -> Any:
        self.calls.append(operation)
        gate = self.held
        if gate is not None:
            self.entered.set()
            await gate.wait()
        if self.fail is not None:
            raise self.fail
        rows = self.tables.setdefault(operation.model or "", [])
        args = operation.args
        where = args.get("where") or {}
        match operation.action:
            case Action.FIND_MANY | Action.FIND_FIRST | Action.FIND_UNIQUE:
                found = [copy.deepcopy(r) for r in rows if all(r.get(k) == v for k, v in where.items())]
                if (args.get("include") or {}).get("author"):
                    users = {u["id"]: u for u in self.tables["User"]}
                    for row in found:
                        row["author"] = copy.deepcopy(users.get(row.get("authorId")))
                if operation.action is Action.FIND_MANY:
                    return found[: args.get("take")] if args.get("take") is not None else found
                return found[0] if found else None
            case Action.COUNT:
                return sum(1 for r in rows if all(r.get(k) == v for k, v in where.items()))
            case Action.CREATE:
                row = {"id": next(self.ids), **args["data"]}
                rows.append(row)
                return copy.deepcopy(row)
            case Action.UPDATE | Action.UPDATE_MANY:
                hit = [r for r in rows if all(r.get(k) == v for k, v in where.items())]
                for r in hit:
                    r.update(args["data"])
                return copy.deepcopy(hit[0]) if operation.action is Action.UPDATE and hit else {"count": len(hit)}
            case Action.DELETE_MANY:
                keep = [r for r in rows if not all(r.get(k) == v for k, v in where.items())]
                count = len(rows) - len(keep)
                rows[:] = keep
                return {"count": count}
            case Action.EXECUTE_RAW:
                return 1
            case Action.QUERY_RAW:
                return [copy.deepcopy(r) for r in self.tables["User"]]
        raise NotImplementedError(operation.action)


class SharedFake(CacheStore):
    """A 'shared' store over one `MemoryStore`: two managers on one backing act like two processes."""

    name = "fake"
    shared = True

    def __init__(self, backing: MemoryStore, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.backing = backing
        self.down = False
        #: A store that accepts calls and never answers (the breaker's timeout ends them).
        self.hangs = False
        self.calls = 0

    async def _gate(self) -> None:
        self.calls += 1
        if self.hangs:
            await asyncio.Event().wait()
        if self.down:
            raise CacheBackendError("fake store is down", backend="fake")

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        await self._gate()
        return await self.backing.get_many(keys)

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        await self._gate()
        await self.backing.set_many(items, ttl)

    async def delete_many(self, keys: Sequence[str]) -> None:
        await self._gate()
        await self.backing.delete_many(keys)

    async def incr(self, key: str) -> int:
        await self._gate()
        return await self.backing.incr(key)

    async def clear(self) -> None:
        await self._gate()
        await self.backing.clear()


def backends(**extra: Any) -> dict[str, Registration]:
    found = {"memory": Registration("memory", MemoryStore, "cache")}
    for name, factory in extra.items():
        found[name] = Registration(name, factory, "test")
    return found


def blog_schema() -> Schema:
    return Schema.from_datamodel(datamodel("blog"))


def make_manager(
    schema: Schema, registry: dict[str, Registration] | None = None, *, clock: Clock = SYSTEM_CLOCK, **sections: Any
) -> CacheManager:
    config = InfraConfig.model_validate({"database": {"engine": "memory-double"}, **sections})
    return CacheManager(config, schema, registry or backends(), clock=clock)


async def sleeping(clock: ManualClock, count: int = 1) -> None:
    """Let the event loop run until ``count`` tasks wait on ``clock`` (a background loop reached its sleep)."""
    for _ in range(1000):
        if clock.sleeping >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{clock.sleeping} tasks sleep on the clock, expected {count}")


def op(
    model: str | None,
    action: Action | str = Action.FIND_MANY,
    args: dict[str, Any] | None = None,
    **context: Any,
) -> Operation:
    cache = context.pop("cache", None)
    if isinstance(cache, dict):
        cache = CacheOptions(**cache)
    ctx = OperationContext(deadline=time.monotonic() + 30, cache=cache, **context)
    return Operation(model=model, action=Action(action), args=dict(args or {}), context=ctx)


async def run(manager: CacheManager, db: FakeDB, operation: Operation) -> Any:
    """What the cache middleware does with one operation."""
    if manager.is_write(operation):
        return await manager.write(operation, db)
    return await manager.read(operation, db)
