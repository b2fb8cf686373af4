"""Cached ``findMany`` through the whole pipeline: L1 hit and Redis/memcached hits, against floors.

Floors measured in the same run (absolute numbers move ±40% between runs on
these machines; compare ratios): a plain dict lookup awaited as a coroutine,
a raw redis-py ``GET`` of a value of the same size, and a raw pymemcache
``get``. Store hits alternate with their floor in short rounds (`paired`).
Targets (issue 4): L1 hit ≤ 30 µs median; Redis hit ≤ raw GET + 100 µs;
10,000 concurrent cached reads without an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prisma_infra.config.model import DatabaseConfig
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.providers import Engine

from benchmarks.report import Report, time_sequential

FIXTURE = Path(__file__).resolve().parents[1] / "core" / "tests" / "fixtures" / "dmmf" / "blog.json"
REDIS_URL = "redis://127.0.0.1:6379/0"
MEMCACHED = "127.0.0.1:11211"

START = datetime(2024, 1, 1, tzinfo=UTC)
ROWS = [
    {
        "id": f"post-{i}",
        "title": f"Post number {i}",
        "body": "Lorem ipsum dolor sit amet, " * 3,
        "status": "PUBLISHED",
        "views": i * 7,
        "published": True,
        "authorId": i % 3 + 1,
        "createdAt": START + timedelta(days=i),
        "updatedAt": START + timedelta(days=i, hours=1),
    }
    for i in range(10)
]


class FixedEngine(Engine):
    """Answers every read with the same ten rows; counts calls."""

    name = "bench-fixed"

    def __init__(self, config: DatabaseConfig | None = None) -> None:
        self.calls = 0

    @property
    def provider(self) -> str:
        return "postgresql"

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def datamodel(self) -> Mapping[str, Any]:
        return json.loads(FIXTURE.read_text())  # type: ignore[no-any-return]

    async def execute(self, operation: Operation) -> Any:
        self.calls += 1
        return [dict(r) for r in ROWS]

    async def execute_batch(self, operations: Sequence[Operation]) -> list[Any]:
        return [await self.execute(op) for op in operations]

    async def begin(self, *, timeout: float = 5.0, max_wait: float = 2.0, isolation_level: str | None = None) -> str:
        return "tx"

    async def commit(self, transaction_id: str) -> None:
        return None

    async def rollback(self, transaction_id: str) -> None:
        return None


class BenchEnginePlugin:
    name = "bench-engine"

    @hookimpl
    def register_engines(self, register: Callable[[str, Any], None]) -> None:
        register("bench-fixed", FixedEngine)


def infrastructure(cache: dict[str, Any]) -> Infrastructure:
    plugins = PluginManager(environ={})
    plugins.load_all()
    plugins.register(BenchEnginePlugin())
    return Infrastructure({"database": {"engine": "bench-fixed"}, "cache": cache}, plugin_manager=plugins)


async def paired(floor: Callable[[], Any], path: Callable[[], Any], *, rounds: int = 20, per_round: int = 250,
                 ) -> tuple[dict[str, float], dict[str, float], dict[str, Any]]:
    """The floor and the path in alternating short runs: (floor timing, path timing, overhead).

    The overhead is the median over rounds of (path median - floor median), each pair measured
    moments apart: this VM has slow phases lasting seconds, which would otherwise fall on one side.
    """
    await time_sequential(floor, iterations=per_round, warmup=200)
    await time_sequential(path, iterations=per_round, warmup=200)
    floors: list[dict[str, float]] = []
    paths: list[dict[str, float]] = []
    for _ in range(rounds):
        floors.append(await time_sequential(floor, iterations=per_round, warmup=10))
        paths.append(await time_sequential(path, iterations=per_round, warmup=10))

    def summary(rows: list[dict[str, float]]) -> dict[str, float]:
        return {k: statistics.median(r[k] for r in rows) for k in rows[0]}

    over = [p["median_us"] - f["median_us"] for f, p in zip(floors, paths, strict=True)]
    return summary(floors), summary(paths), {"over_floor_us": statistics.median(over),
                                             "rounds_over_floor_us": [round(v, 1) for v in over]}


async def concurrent_reads(infra: Infrastructure, count: int) -> dict[str, float]:
    started = time.perf_counter()
    results = await asyncio.gather(
        *(infra.call("Post", "findMany", {"where": {"published": True}, "take": 10}) for _ in range(count)),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - started
    errors = sum(isinstance(r, BaseException) for r in results)
    wrong = sum(1 for r in results if not isinstance(r, BaseException) and r != ROWS)
    return {"reads": count, "errors": errors, "wrong_results": wrong, "total_ms": elapsed * 1e3,
            "reads_per_s": count / elapsed}


async def sleep_lateness(loop_of_hits: Callable[[], Awaitable[Any]], hits: int) -> float:
    """How late (ms) a 50 ms sleep in another task wakes while ``hits`` sequential cache hits run."""
    async def sleeper() -> float:
        started = time.perf_counter()
        await asyncio.sleep(0.05)
        return (time.perf_counter() - started - 0.05) * 1e3

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)  # the sleeper's timer is set
    for _ in range(hits):
        await loop_of_hits()
    return await task


async def fairness(report: Report, args: dict[str, Any]) -> None:
    """Cost per L1 hit of yielding to the event loop (``cache.yield_every``) against never yielding.

    Means, not medians: one hit in ``yield_every`` pays for the yield, which a median hides.
    Settings alternate in short rounds, measured moments apart, as in `paired`.
    """
    settings = {"never (0, previous behaviour)": 0, "every hit (1)": 1, "every 32 hits (default)": 32}
    async with contextlib.AsyncExitStack() as stack:
        calls: dict[str, Callable[[], Awaitable[Any]]] = {}
        for label, every in settings.items():
            infra = await stack.enter_async_context(infrastructure({"tiers": ["memory"], "ttl": 600,
                                                                    "yield_every": every}))
            calls[label] = functools.partial(infra.call, "Post", "findMany", args)
            assert await calls[label]() == ROWS
        means: dict[str, list[float]] = {label: [] for label in settings}
        for _ in range(20):
            for label, call in calls.items():
                means[label].append((await time_sequential(call, iterations=500, warmup=10))["mean_us"])
        base = statistics.median(means["never (0, previous behaviour)"])
        for label, call in calls.items():
            mean = statistics.median(means[label])
            report.add("cache", f"L1 hit, whole pipeline, yield to the loop: {label}", mean_us=mean,
                       over_never_us=mean - base, lateness_of_50ms_sleep_over_20000_hits_ms=await sleep_lateness(
                           call, 20_000))


async def run(report: Report) -> None:
    import redis.asyncio as aioredis
    from pymemcache.client.base import Client as MemcacheClient

    args = {"where": {"published": True}, "take": 10}
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    table = {"post:1": ROWS}

    async def dict_get() -> Any:
        return table.get("post:1")

    report.add("cache", "floor: await a dict lookup", **await time_sequential(dict_get, iterations=50000))

    # -- L1 (in-process) hit through the whole pipeline ----------------------------------
    async with infrastructure({"tiers": ["memory"], "ttl": 600}) as infra:
        async def l1_hit() -> Any:
            return await infra.call("Post", "findMany", args)

        assert await l1_hit() == ROWS
        report.add("cache", "L1 hit, findMany 10 rows, whole pipeline (infra.call)",
                   **await time_sequential(l1_hit, iterations=50000))
        operation = Operation(model="Post", action=Action.FIND_MANY, args=args)

        async def l1_execute() -> Any:
            return await infra.execute(operation)

        report.add("cache", "L1 hit, prebuilt operation (infra.execute)",
                   **await time_sequential(l1_execute, iterations=50000))
        manager = infra.cache_manager
        inner = FixedEngine()

        async def manager_only() -> Any:
            return await manager.read(operation, inner.execute)

        report.add("cache", "L1 hit, cache manager alone (no other middleware)",
                   **await time_sequential(manager_only, iterations=50000))
        report.add("cache", "10,000 concurrent L1 reads", **await concurrent_reads(infra, 10_000))
    await fairness(report, args)

    # -- Redis ---------------------------------------------------------------------------
    client = aioredis.Redis.from_url(REDIS_URL)
    payload_size = len(json.dumps(ROWS, default=str))
    await client.set(f"pi:{namespace}:raw", b"x" * payload_size)

    async def raw_get() -> Any:
        return await client.get(f"pi:{namespace}:raw")

    redis_cache = {"tiers": ["redis"], "ttl": 600, "stores": {"redis": {"url": REDIS_URL, "namespace": namespace}}}
    async with infrastructure(redis_cache) as infra:
        async def redis_hit() -> Any:
            return await infra.call("Post", "findMany", args)

        assert await redis_hit() == ROWS
        raw, hit, over = await paired(raw_get, redis_hit)
        report.add("cache", f"floor: raw redis-py GET of {payload_size} bytes", **raw)
        report.add("cache", "Redis hit, findMany 10 rows, whole pipeline", **hit,
                   over_raw_get_us=over["over_floor_us"], rounds_over_raw_get_us=over["rounds_over_floor_us"])
        before = infra.engine.calls  # type: ignore[attr-defined]
        burst = await concurrent_reads(infra, 10_000)
        # Reads that waited on a saturated event loop past store_timeout go to the engine (correct, counted).
        burst["engine_calls"] = infra.engine.calls - before  # type: ignore[attr-defined]
        report.add("cache", "10,000 concurrent Redis-tier reads", **burst)
        await infra.cache.clear()
    await client.delete(f"pi:{namespace}:raw")
    await client.aclose()

    # -- memcached -----------------------------------------------------------------------
    host, port = MEMCACHED.split(":")
    mc = MemcacheClient((host, int(port)), no_delay=True)
    mc.set(f"pi:{namespace}:raw", b"x" * payload_size)

    async def raw_mc_get() -> Any:
        return mc.get(f"pi:{namespace}:raw")

    mc_cache = {"tiers": ["memcached"], "ttl": 600,
                "stores": {"memcached": {"servers": [MEMCACHED], "namespace": namespace}}}
    async with infrastructure(mc_cache) as infra:
        async def mc_hit() -> Any:
            return await infra.call("Post", "findMany", args)

        assert await mc_hit() == ROWS
        mc_raw, hit, over = await paired(raw_mc_get, mc_hit, rounds=12)
        report.add("cache", f"floor: raw pymemcache get of {payload_size} bytes (blocking)", **mc_raw)
        report.add("cache", "memcached hit, findMany 10 rows, whole pipeline (thread pool)", **hit,
                   over_raw_get_us=over["over_floor_us"])
    mc.delete(f"pi:{namespace}:raw")
    mc.close()
