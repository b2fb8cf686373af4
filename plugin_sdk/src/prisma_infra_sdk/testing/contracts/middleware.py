"""The middleware contract: nesting order, error flow, and no mutation of the caller's arguments.

The kit starts a real `Infrastructure` (on the SDK's `MemoryEngine`, kit
schema) with the plugin that registers the middleware, takes the middleware
the runtime built and started, and composes it between two probes around a
recording engine call: ``outer → middleware → inner → engine``. It checks:

* ``before`` hooks run outside-in, ``after``/``error`` inside-out, each at most
  once, and the engine is called at most once per operation;
* a failing engine call reaches the middleware's ``error`` and comes out as
  an exception (unless the kit is told the middleware recovers);
* the caller's ``args`` (and everything nested in them) are never mutated: a
  middleware that changes arguments returns a new operation from ``before``;
* concurrent operations each get their own result.

Usage::

    class TestTagging(MiddlewareContract):
        middleware_name = "tagging"

        @pytest.fixture
        def plugin(self):
            return my_plugin_module
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

import pytest
import pytest_asyncio
from prisma_infra.errors import PrismaInfraError, RecordNotFoundError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import Handler, Middleware, compose

from prisma_infra_sdk.testing.contracts._base import ContractBase
from prisma_infra_sdk.testing.infra import running_infrastructure

__all__ = ["MiddlewareContract", "Probe"]


class Probe(Middleware):
    """Records ``<label>.before`` / ``.after`` / ``.error`` in a shared list."""

    def __init__(self, label: str, events: list[str]) -> None:
        self.label = label
        self.events = events

    async def before(self, operation: Operation) -> Operation | None:
        self.events.append(f"{self.label}.before")
        return None

    async def after(self, operation: Operation, result: Any) -> Any:
        self.events.append(f"{self.label}.after")
        return result

    async def error(self, operation: Operation, exc: Exception) -> Any:
        self.events.append(f"{self.label}.error")
        raise exc


def _spy(middleware: Middleware, events: list[str]) -> None:
    """Record the middleware's own hooks (the ones it overrides) as ``mw.<hook>``."""
    for hook in ("before", "after", "error"):
        if getattr(type(middleware), hook) is getattr(Middleware, hook):
            continue
        original = getattr(middleware, hook)

        async def spy(*args: Any, _hook: str = hook, _original: Any = original) -> Any:
            events.append(f"mw.{_hook}")
            return await _original(*args)

        setattr(middleware, hook, spy)


def _unspy(middleware: Middleware) -> None:
    for hook in ("before", "after", "error"):
        middleware.__dict__.pop(hook, None)


def _nested_in_order(events: list[str]) -> str | None:
    """Why ``events`` is not a proper nesting of outer ⊃ mw ⊃ inner ⊃ engine, or ``None``."""
    rank = {"outer": 0, "mw": 1, "inner": 2, "engine": 3}
    if not events or events[0] != "outer.before":
        return "the outer middleware's before must run first"
    if events[-1] not in ("outer.after", "outer.error"):
        return "the outer middleware's after/error must run last"
    if events.count("engine") > 1:
        return "the engine was called more than once for one operation"
    depth = -1
    seen: set[str] = set()
    for event in events:
        if event in seen:
            return f"{event} ran twice"
        seen.add(event)
        layer = event.split(".")[0]
        if event == "engine" or event.endswith(".before"):
            if rank[layer] <= depth:
                return f"{event} ran after a deeper layer had already started"
            depth = rank[layer]
        else:
            if rank[layer] > depth:
                return f"{event} ran while a deeper layer was still active"
            depth = rank[layer]
    return None


class MiddlewareContract(ContractBase):
    """The middleware kit. Set ``middleware_name``; provide ``plugin`` (``None`` for a built-in) and ``config``."""

    #: The name the middleware is registered under.
    middleware_name: ClassVar[str] = ""
    #: True when the middleware turns some engine errors into results (then only the ordering is checked).
    recovers_from_errors: ClassVar[bool] = False

    @pytest.fixture
    def plugin(self) -> object | None:
        """The plugin registering the middleware (module, class, instance or entry-point name); ``None``: built-in."""
        return None

    @pytest.fixture
    def config(self) -> Mapping[str, Any]:
        """Settings for the infrastructure (merged over the defaults)."""
        return {}

    @pytest.fixture
    def operations(self) -> list[Operation]:
        """Operations the middleware is exercised with (the kit schema: ``User``, ``Post``)."""
        return [
            Operation(model="User", action=Action.FIND_MANY, args={"where": {"score": {"gte": 1}}, "take": 5}),
            Operation(model="User", action=Action.FIND_UNIQUE, args={"where": {"id": 1}}),
            Operation(model="User", action=Action.COUNT, args={"where": {"OR": [{"score": 1}, {"score": 2}]}}),
            Operation(model="Post", action=Action.CREATE, args={"data": {"title": "Hello", "authorId": 1}}),
            Operation(model="User", action=Action.UPDATE, args={"where": {"id": 1}, "data": {"score": 5}}),
        ]

    @pytest_asyncio.fixture
    async def infra(self, plugin: object | None, config: Mapping[str, Any]) -> AsyncIterator[Infrastructure]:
        async with running_infrastructure(plugin, config) as infra:
            await infra.call("User", "create", {"data": {"id": 1, "email": "ada@example.com", "score": 1}})
            yield infra

    @pytest.fixture
    def middleware(self, infra: Infrastructure) -> Middleware:
        name = self.middleware_name
        if not name:
            pytest.fail(f"{type(self).__name__}: set the class attribute `middleware_name`", pytrace=False)
        built = {m.name: m for m in infra.runtime.middleware}
        if name not in built:
            pytest.fail(
                f"middleware {name!r} is not in the pipeline (built: {', '.join(sorted(built))}); "
                "is the plugin registered and the middleware not disabled?",
                pytrace=False,
            )
        return built[name]

    @staticmethod
    def _fresh(operation: Operation, infra: Infrastructure) -> Operation:
        return Operation(
            model=operation.model,
            action=operation.action,
            args=copy.deepcopy(operation.args),
            context=infra.operation_context(),
        )

    @staticmethod
    def _engine(events: list[str], fail: bool = False) -> Handler:
        async def engine(operation: Operation) -> Any:
            events.append("engine")
            if fail:
                raise RecordNotFoundError("No record was found (raised by the kit)", model=operation.model)
            if operation.action in (Action.FIND_MANY,):
                return [{"id": 1, "email": "ada@example.com", "name": None, "score": 1}]
            if operation.action is Action.COUNT:
                return 1
            if operation.action.is_write:
                return {"id": 1, "title": "Hello", "authorId": 1, "score": 5, "email": "ada@example.com"}
            return {"id": 1, "email": "ada@example.com", "name": None, "score": 1}

        return engine

    async def _run(
        self, middleware: Middleware, infra: Infrastructure, operation: Operation, *, fail: bool = False
    ) -> tuple[list[str], Any, BaseException | None]:
        events: list[str] = []
        _spy(middleware, events)
        try:
            handler = compose([Probe("outer", events), middleware, Probe("inner", events)], self._engine(events, fail))
            try:
                return events, await handler(operation), None
            except Exception as exc:
                return events, None, exc
        finally:
            _unspy(middleware)

    async def test_is_registered_as_a_middleware(self, middleware: Middleware) -> None:
        assert isinstance(middleware, Middleware)
        assert middleware.name == self.middleware_name, "the class attribute `name` must be the registered name"
        assert isinstance(middleware.order, int)

    async def test_hooks_nest_in_order(
        self, middleware: Middleware, infra: Infrastructure, operations: list[Operation]
    ) -> None:
        for template in operations:
            for _ in range(2):  # twice: a caching middleware may answer the second time itself
                events, result, error = await self._run(middleware, infra, self._fresh(template, infra))
                assert error is None, f"{template.action.value} {template.model}: unexpected {error!r}"
                problem = _nested_in_order(events)
                assert problem is None, f"{template.action.value} {template.model}: {problem} (events: {events})"
                assert result is not None or template.action is Action.FIND_UNIQUE

    async def test_errors_flow_outwards(
        self, middleware: Middleware, infra: Infrastructure, operations: list[Operation]
    ) -> None:
        for template in operations:
            events, _, error = await self._run(middleware, infra, self._fresh(template, infra), fail=True)
            if "engine" not in events:
                continue  # answered without the engine (a cache hit): nothing failed
            problem = _nested_in_order(events)
            assert problem is None, f"{template.action.value}: {problem} (events: {events})"
            assert "inner.after" not in events and "mw.after" not in events, "after hooks must not run on failure"
            if self.recovers_from_errors:
                continue
            assert isinstance(error, PrismaInfraError), (
                f"{template.action.value}: the engine's RecordNotFoundError must come out as an exception, "
                f"got {error!r}"
            )
            assert events[-1] == "outer.error", f"the outer layer must see the error (events: {events})"

    async def test_caller_args_are_never_mutated(
        self, middleware: Middleware, infra: Infrastructure, operations: list[Operation]
    ) -> None:
        for template in operations:
            for fail in (False, True):
                operation = self._fresh(template, infra)
                args = operation.args
                snapshot = copy.deepcopy(args)
                await self._run(middleware, infra, operation, fail=fail)
                assert args == snapshot, (
                    f"{template.action.value} {template.model}: the caller's args were mutated "
                    f"({snapshot!r} became {args!r}); return a new Operation from before() instead"
                )

    async def test_concurrent_operations_get_their_own_results(
        self, middleware: Middleware, infra: Infrastructure
    ) -> None:
        async def engine(operation: Operation) -> Any:
            await asyncio.sleep(0.001 * (operation.args["where"]["id"] % 5))
            return {"id": operation.args["where"]["id"], "score": operation.args["where"]["id"]}

        handler = compose([middleware], engine)

        async def one(n: int) -> None:
            operation = Operation(
                model="User", action=Action.FIND_UNIQUE, args={"where": {"id": n}}, context=infra.operation_context()
            )
            result = await handler(operation)
            assert result is not None and result["id"] == n, f"operation for id {n} got {result!r}"

        await asyncio.gather(*(one(n) for n in range(1, 60)))
