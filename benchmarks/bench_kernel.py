"""Kernel overheads without a database: argument validation and the middleware pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import Middleware, compose
from prisma_infra.schema import Schema
from prisma_infra.schema.validate import validate_args

from benchmarks.report import Report, time_sequential

FIXTURE = Path(__file__).resolve().parents[1] / "core" / "tests" / "fixtures" / "dmmf" / "blog.json"


class Passthrough(Middleware):
    name = "passthrough"

    async def before(self, operation: Operation) -> Operation | None:
        return None

    async def after(self, operation: Operation, result: Any) -> Any:
        return result


async def run(report: Report) -> None:
    schema = Schema.from_datamodel(json.loads(FIXTURE.read_text()))
    simple = {"where": {"email": "a@example.com"}}
    nested = {"where": {"id": 1}, "include": {"posts": {"where": {"published": True}, "include": {"tags": True}}}}

    async def validate_simple() -> None:
        validate_args(schema, "User", "findMany", simple)

    async def validate_nested() -> None:
        validate_args(schema, "User", "findUnique", nested)

    async def noop() -> None:
        return None

    baseline = await time_sequential(noop, iterations=20000)
    report.add("kernel", "await a no-op coroutine (baseline)", **baseline)
    report.add("kernel", "validate_args simple where", **await time_sequential(validate_simple, iterations=20000))
    report.add("kernel", "validate_args nested include", **await time_sequential(validate_nested, iterations=20000))

    async def engine(operation: Operation) -> Any:
        return None

    operation = Operation(model="User", action=Action.FIND_MANY, args=simple)
    bare = compose([], engine)
    five = compose([Passthrough() for _ in range(5)], engine)
    report.add("kernel", "pipeline, no middleware", **await time_sequential(lambda: bare(operation), iterations=20000))
    report.add(
        "kernel",
        "pipeline, 5 before/after middleware",
        **await time_sequential(lambda: five(operation), iterations=20000),
    )
