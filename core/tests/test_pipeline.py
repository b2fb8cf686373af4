"""Middleware composition: order, before/after/error, short-circuiting via wrap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import Handler, Middleware, compose, order_middleware


class Trace(Middleware):
    def __init__(self, name: str, log: list[str], order: int = 100) -> None:
        self.name = name  # type: ignore[misc]
        self.order = order  # type: ignore[misc]
        self.log = log

    async def before(self, operation: Operation) -> Operation | None:
        self.log.append(f"{self.name}.before")
        return operation.with_args(seen=[*operation.args.get("seen", []), self.name])

    async def after(self, operation: Operation, result: Any) -> Any:
        self.log.append(f"{self.name}.after")
        return result

    async def error(self, operation: Operation, exc: Exception) -> Any:
        self.log.append(f"{self.name}.error")
        raise exc


def op() -> Operation:
    return Operation(model="User", action=Action.FIND_MANY, args={})


async def test_outermost_first_and_args_flow_inwards() -> None:
    log: list[str] = []

    async def engine(operation: Operation) -> Any:
        log.append("engine")
        return operation.args["seen"]

    handler = compose([Trace("a", log), Trace("b", log)], engine)
    assert await handler(op()) == ["a", "b"]
    assert log == ["a.before", "b.before", "engine", "b.after", "a.after"]


async def test_error_runs_from_inside_out_and_can_recover() -> None:
    log: list[str] = []

    class Recover(Middleware):
        name = "recover"

        async def error(self, operation: Operation, exc: Exception) -> Any:
            return f"recovered from {exc}"

    async def engine(operation: Operation) -> Any:
        raise ValueError("boom")

    handler = compose([Recover(), Trace("inner", log)], engine)
    assert await handler(op()) == "recovered from boom"
    assert log == ["inner.before", "inner.error"]
    with pytest.raises(ValueError, match="boom"):
        await compose([Trace("only", log)], engine)(op())


async def test_wrap_can_answer_without_calling_inner() -> None:
    calls = 0

    class Cached(Middleware):
        name = "cached"

        def wrap(self, call: Handler) -> Handler:
            async def handler(operation: Operation) -> Any:
                return "from cache"

            return handler

    async def engine(operation: Operation) -> Any:
        nonlocal calls
        calls += 1

    assert await compose([Cached()], engine)(op()) == "from cache"
    assert calls == 0


def test_middleware_that_overrides_nothing_costs_nothing() -> None:
    class Idle(Middleware):
        name = "idle"

    async def engine(operation: Operation) -> Any:
        return None

    assert compose([Idle()], engine) is engine


def test_configured_order_wins_then_order_attribute() -> None:
    log: list[str] = []
    items = [Trace("metrics", log, order=10), Trace("cache", log, order=5), Trace("audit", log, order=1)]
    assert [m.name for m in order_middleware(items)] == ["audit", "cache", "metrics"]
    assert [m.name for m in order_middleware(items, ["metrics", "cache"])] == ["metrics", "cache", "audit"]


@pytest.mark.parametrize(
    ("sections", "chained"),
    [
        ({"cache": {"enabled": False}, "audit": {"enabled": False}}, False),
        ({"cache": {"enabled": True}, "audit": {"enabled": False}}, True),
        ({"cache": {"enabled": False}, "audit": {"enabled": True, "sinks": ["file"]}}, True),
    ],
    ids=["both-idle", "cache-on", "audit-on"],
)
async def test_idle_middleware_leave_the_chain_once_started(
    sections: dict[str, Any], chained: bool, tmp_path: Path
) -> None:
    """With every other middleware disabled, a started runtime whose cache is off and audit has no
    sink calls the engine directly; either one active puts its handler back in the chain."""
    from core.tests.doubles import memory_infrastructure

    disabled = ["analytics", "metrics", "pii", "security", "policies", "validation"]
    sections = {**sections, "pipeline": {"disable": disabled}}
    if "sinks" in sections["audit"]:
        sections["audit"] = {**sections["audit"], "sink_options": {"file": {"path": str(tmp_path / "audit.jsonl")}}}
    async with memory_infrastructure(**sections) as infra:
        runtime = infra.runtime
        assert [m.name for m in runtime.middleware] == ["audit", "cache"]
        direct = runtime.handler == runtime.engine.execute
        assert direct is not chained
        assert await infra.call("User", "count", {}) >= 0
