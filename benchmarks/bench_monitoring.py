"""Monitoring overhead: the pipeline with and without the metrics middleware, in the same run.

The engine is a coroutine returning a ready result, so what is measured is the
middleware itself: two clock reads, the `Monitor`'s bookkeeping (time slot,
latency bucket, per-model totals, the N+1 detector for single-record reads)
and the Prometheus exporter's observation. Target (issue 6): at most 5 µs per
operation. Rounds alternate between the variants so that drift on a shared VM
hits them alike; the overhead is the difference of the medians of per-round
medians.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable
from typing import Any

from prisma_infra.config.model import InfraConfig
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.monitoring import MetricsMiddleware
from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.pipeline import Handler, compose
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.runtime import Runtime, collect_registry

from benchmarks.report import Report, time_sequential

ROUNDS = 7
ITERATIONS = 21_000
ROWS = [{"id": i, "title": f"post {i}"} for i in range(10)]
RECORD = {"id": 1, "email": "a@example.com"}


class _Engine:
    """Just enough of an engine for `Runtime`: answers at once."""

    name = "bench"
    provider = "sqlite"

    async def execute(self, operation: Operation) -> Any:
        return ROWS if operation.action is Action.FIND_MANY else RECORD

    async def close(self) -> None:
        return None


async def _metrics_pipeline(exporters: list[str]) -> tuple[Handler, MetricsMiddleware]:
    import prisma_infra_prometheus.plugin

    config = InfraConfig.model_validate({"database": {"engine": "bench"}, "monitoring": {"exporters": exporters}})
    plugins = PluginManager(autoload=False, environ={})
    plugins.register(prisma_infra_prometheus.plugin, name="prometheus")
    engine = _Engine()
    middleware = MetricsMiddleware(Infrastructure(config, plugin_manager=plugins))
    handler = compose([middleware], engine.execute)
    runtime = Runtime(
        config=config,
        registry=collect_registry(plugins),
        engine=engine,  # type: ignore[arg-type]
        middleware=[middleware],
        handler=handler,
    )
    await middleware.start(runtime)
    return handler, middleware


async def run(report: Report) -> None:
    many = Operation(model="Post", action=Action.FIND_MANY, args={"where": {"published": True}, "take": 10})
    cached = Operation(model="Post", action=Action.FIND_MANY, args={"take": 10}, state={"cache": "hit"})
    monitor_only, first = await _metrics_pipeline([])
    with_prometheus, second = await _metrics_pipeline(["prometheus"])
    variants: dict[str, Handler] = {
        "no middleware": compose([], _Engine().execute),
        "metrics middleware (monitor only)": monitor_only,
        "metrics middleware + prometheus exporter": with_prometheus,
    }
    # One request per read, as in a server: the N+1 detector tracks each but finds no pattern.
    per_request = [
        Operation(model="User", action=Action.FIND_UNIQUE, args={"where": {"id": 1}}, context=context)
        for context in (OperationContext(request_id=f"r{i}") for i in range(1000))
    ]
    # A loop in one task: a pattern every `n_plus_one_threshold` reads (counted on the known finding).
    looped = Operation(model="User", action=Action.FIND_UNIQUE, args={"where": {"id": 1}})
    cases: dict[str, Callable[[int], Operation]] = {
        "findMany": lambda i: many,
        "findMany, cache hit": lambda i: cached,
        "findUnique, one request each": lambda i: per_request[i % 1000],
        "findUnique in an N+1 loop": lambda i: looped,
    }
    for label, pick in cases.items():
        medians: dict[str, list[float]] = {name: [] for name in variants}
        p95s: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(ROUNDS):
            for name, handler in variants.items():
                counter = itertools.count()

                async def call(
                    handler: Handler = handler, pick: Callable[[int], Operation] = pick, counter: Any = counter
                ) -> None:
                    await handler(pick(next(counter)))

                timing = await time_sequential(call, iterations=ITERATIONS // ROUNDS)
                medians[name].append(timing["median_us"])
                p95s[name].append(timing["p95_us"])
        base = statistics.median(medians["no middleware"])
        for name in variants:
            median = statistics.median(medians[name])
            values: dict[str, float] = {"median_us": median, "p95_us": statistics.median(p95s[name])}
            if name != "no middleware":
                values["overhead_us"] = median - base
            report.add("monitoring", f"{label}: {name}", **values)
    await first.close()
    await second.close()
