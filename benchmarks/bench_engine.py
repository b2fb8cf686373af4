"""``find_unique`` by id on PostgreSQL: raw asyncpg, Prisma in Node alone, the bridge, the repository pipeline.

Everything is measured in the same run, on a database of its own (``prisma_infra_bench``, created
and filled here: a 1,000-row ``User`` table), because absolute numbers on these shared machines move
by ±40% between runs; only ratios against baselines of the same run mean something.

Paths, all with a pool of ``POOL`` connections:

* ``asyncpg`` — a prepared statement on one connection (sequential), ``pool.fetchrow`` (concurrent);
* ``prisma-node`` — Prisma 7 alone in Node (``plugins/prisma/bench/native_bench.cjs``, the same
  generated client and toolchain as the bridge);
* ``bridge`` — ``PrismaEngine.execute`` (Python → bridge → Prisma);
* ``repo/*`` — ``infra.repository("user").find_unique(id)`` through ``Infrastructure`` with the
  Prisma engine: ``bare`` (every middleware disabled), ``cache-off`` (default middleware,
  ``cache.enabled = false``), ``default`` (default middleware, cache on: L1 hits after the first read).
* ``…+poll`` — ``bridge``, ``repo/bare`` and ``repo/cache-off`` again with
  ``database.options.busy_poll = BUSY_POLL_US``: each side polls the pipe instead of sleeping
  (sequential; ``bridge+poll`` also concurrent). Their CPU per op includes the polling.

Each path runs sequentially (median/p95 µs), with 100 closed-loop workers and as a burst of 10,000
at once (ops/s; errors asserted 0). ``ROUNDS`` short rounds, order rotated, medians reported; Prisma
in Node answers each round from one warm process (``native_bench.cjs`` serving), and the concurrent
phases run in the first ``CONCURRENT_ROUNDS``. Besides wall
time, CPU per op of this process (``python_cpu_us_per_op``) and of the path's Node process
(``node_cpu_us_per_op``, from ``/proc``; Prisma in Node measures its own): steadier than wall time
on a busy machine, and it says on which side of the pipe the work is.

Target (issue 3): the Python side adds ≤ 0.15 ms per sequential op over Prisma in Node: the median
over rounds of (c) - (b) and (d) - (b), each difference taken within one round (``*_ms``,
``*_rounds_ms``, ``*_target_met``; ``*_cpu_added_us`` is the same in CPU: Python + bridge Node -
Prisma-in-Node). Every path is warmed for ``BENCH_ENGINE_WARM_SECONDS`` first.
Bridge memory: VmRSS/VmHWM of the Node child idle and after
the bursts, bounded by ``database.max_in_flight`` — shown against an engine allowed 10,000 in flight.
The Python work per op alone (no pipe, no Node): ``plugins/prisma/bench/python_side.py``.

Settings: ``PRISMA_INFRA_BENCH_PG_URL`` (server URL without database), ``BENCH_ENGINE_ROUNDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmarks.databases import create_database, database_url
from benchmarks.report import Report, time_sequential

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "plugins" / "prisma" / "bench"
SCHEMA = BENCH_DIR / "schema.prisma"
NATIVE = BENCH_DIR / "native_bench.cjs"
DB_NAME = "prisma_infra_bench"
URL = database_url(DB_NAME)

ROWS = 1000
POOL = 10
ROUNDS = int(os.environ.get("BENCH_ENGINE_ROUNDS", "9"))
#: Rounds that also run the concurrent phases (they take most of the time).
CONCURRENT_ROUNDS = min(ROUNDS, 3)
#: Seconds of reads per path before the first round: V8 and Prisma keep optimizing for thousands of calls.
WARM_SECONDS = float(os.environ.get("BENCH_ENGINE_WARM_SECONDS", "4"))
SEQUENTIAL = 1000
WARMUP = 200
WORKERS = 100
WORKER_OPS = 5_000
BURST = 10_000
TARGET_MS = 0.15
#: ``database.options.busy_poll`` of the ``+poll`` paths (µs; the value docs/engine.md suggests).
BUSY_POLL_US = 300
POLLED = ("bridge", "repo/bare", "repo/cache-off")
GROUP = "engine"

DDL = [
    'DROP TABLE IF EXISTS "User"',
    """CREATE TABLE "User" (
        "id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL, "name" TEXT,
        "active" BOOLEAN NOT NULL DEFAULT true, "score" DOUBLE PRECISION NOT NULL DEFAULT 0,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)""",
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
]
#: What Prisma sends for ``findUnique({where: {id}})`` on this model.
SELECT = 'SELECT "id", "email", "name", "active", "score", "createdAt" FROM "User" WHERE "id" = $1 LIMIT 1'

One = Callable[[int], Awaitable[Any]]


# -- measuring -----------------------------------------------------------------------------


def _check(result: Any, ident: int) -> bool:
    return result is not None and result["id"] == ident


async def sequential(one: One, ids: Sequence[int], pid: int | None = None) -> dict[str, float]:
    """Latency of sequential calls, plus CPU per op of this process and (``pid``) of the bridge.

    CPU time is far steadier than wall time on a shared machine: it says where the work is even
    when the scheduler stretches every wake-up.
    """
    cycle = itertools.cycle(ids)
    first = ids[0]
    assert _check(await one(first), first), "wrong result"

    def call() -> Awaitable[Any]:
        return one(next(cycle))

    cpu, child = time.process_time(), cpu_seconds(pid)
    timing = await time_sequential(call, iterations=SEQUENTIAL, warmup=WARMUP)
    count = SEQUENTIAL + WARMUP
    timing["python_cpu_us_per_op"] = (time.process_time() - cpu) / count * 1e6
    if pid is not None:
        timing["node_cpu_us_per_op"] = (cpu_seconds(pid) - child) / count * 1e6
    return timing


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process (``/proc/<pid>/stat``)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


async def closed_loop(one: One, ids: Sequence[int], pid: int | None = None) -> dict[str, float]:
    """``WORKERS`` coroutines, each starting its next operation when the previous one returns."""
    left = WORKER_OPS
    errors = 0

    async def worker() -> None:
        nonlocal left, errors
        while left > 0:
            left -= 1
            ident = ids[left % len(ids)]
            try:
                if not _check(await one(ident), ident):
                    errors += 1
            except Exception:
                errors += 1

    cpu, child, started = time.process_time(), cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    elapsed = time.perf_counter() - started
    out = {
        "ops": WORKER_OPS,
        "errors": errors,
        "ops_per_s": WORKER_OPS / elapsed,
        "python_cpu_us_per_op": (time.process_time() - cpu) / WORKER_OPS * 1e6,
    }
    if pid is not None:
        out["node_cpu_us_per_op"] = (cpu_seconds(pid) - child) / WORKER_OPS * 1e6
    return out


async def burst(one: One, ids: Sequence[int], pid: int | None = None, count: int = BURST) -> dict[str, float]:
    """``count`` operations started at once."""
    wanted = [ids[k % len(ids)] for k in range(count)]
    cpu, child, started = time.process_time(), cpu_seconds(pid), time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in wanted), return_exceptions=True)
    elapsed = time.perf_counter() - started
    errors = sum(1 for r, i in zip(results, wanted, strict=True) if isinstance(r, BaseException) or not _check(r, i))
    first = next((r for r in results if isinstance(r, BaseException)), None)
    out: dict[str, Any] = {
        "ops": count,
        "errors": errors,
        "ops_per_s": count / elapsed,
        "python_cpu_us_per_op": (time.process_time() - cpu) / count * 1e6,
    }
    if pid is not None:
        out["node_cpu_us_per_op"] = (cpu_seconds(pid) - child) / count * 1e6
    if first is not None:
        out["first_error"] = repr(first)[:200]
    return out


def rss_mb(pid: int | None) -> dict[str, float]:
    """``VmRSS`` (now) and ``VmHWM`` (peak) of a process, in MiB."""
    if pid is None:
        return {}
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return {"rss_mb": out["VmRSS"], "peak_rss_mb": out["VmHWM"]}


@contextlib.contextmanager
def on_one_cpu(pids: Sequence[int]) -> Iterator[int]:
    """This thread on the lowest CPU it may use, and the main thread of each of ``pids`` with it
    (what ``database.options.colocate`` does when a bridge starts); restored after."""
    from prisma_infra_prisma.placement import colocate

    saved = os.sched_getaffinity(0)
    cpu = min(saved)
    try:
        os.sched_setaffinity(0, {cpu})
        for pid in pids:
            colocate(pid)
        yield cpu
    finally:
        os.sched_setaffinity(0, saved)
        for pid in pids:
            colocate(pid)


# -- set-up --------------------------------------------------------------------------------


async def fill(engine: Any) -> list[int]:
    from prisma_infra.operation import Action, Operation

    for statement in DDL:
        await engine.execute(Operation(None, Action.EXECUTE_RAW, {"sql": statement, "params": []}))
    data = [{"email": f"user{i}@bench.io", "name": f"User {i}", "score": i * 1.5} for i in range(ROWS)]
    await engine.execute(Operation("User", Action.CREATE_MANY, {"data": data}))
    await engine.execute(Operation(None, Action.EXECUTE_RAW, {"sql": 'ANALYZE "User"', "params": []}))
    rows = await engine.execute(Operation("User", Action.FIND_MANY, {"select": {"id": True}}))
    ids = [r["id"] for r in rows]
    assert len(ids) == ROWS
    return ids


def infrastructure(mode: str, busy_poll: float = 0) -> Any:
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.plugin_manager import PluginManager
    from prisma_infra.runtime import collect_registry

    plugins = PluginManager(environ={})
    plugins.load_all()
    config: dict[str, Any] = {
        "database": {
            "engine": "prisma",
            "schema_path": str(SCHEMA),
            "url": URL,
            "pool_size": POOL,
            "options": {"busy_poll": busy_poll},
        },
    }
    if mode == "bare":
        config["pipeline"] = {"disable": sorted(collect_registry(plugins)["middleware"])}
    elif mode == "cache-off":
        config["cache"] = {"enabled": False}
    return Infrastructure(config, plugin_manager=plugins)


class NativeServer:
    """One warm ``native_bench.cjs --serve`` process: Prisma in Node measured in the same short rounds."""

    def __init__(self, toolchain: Any, client: Any, ids: Sequence[int]) -> None:
        self.toolchain, self.client, self.ids = toolchain, client, ids
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        tc = self.toolchain
        self.process = await asyncio.create_subprocess_exec(
            str(tc.node),
            str(NATIVE),
            str(self.client.client),
            cwd=tc.root,
            env=tc.env(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        settings = {"url": URL, "poolSize": POOL, "ids": list(self.ids), "model": "User", "warmup": 2000, "serve": True}
        ready = await self._ask(settings)
        assert ready.get("ready"), ready
        until = time.perf_counter() + WARM_SECONDS  # the same warm-up as the Python paths
        while time.perf_counter() < until:
            await self._ask({"sequential": 1000})

    async def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.process is not None and self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("native_bench.cjs exited (see its stderr above)")
        result: dict[str, Any] = json.loads(line)
        return result

    async def sequential(self) -> dict[str, Any]:
        return await self._ask({"sequential": SEQUENTIAL})

    async def close(self) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            await self.process.wait()


def native_concurrent(toolchain: Any, client: Any, ids: Sequence[int]) -> dict[str, Any]:
    """One run of ``native_bench.cjs``'s concurrent phases, in a fresh process."""
    settings = {
        "url": URL,
        "poolSize": POOL,
        "ids": list(ids),
        "model": "User",
        "warmup": 2000,  # a fresh process: let V8 optimize first (the bridge is warm by then)
        "sequential": 0,
        "workers": WORKERS,
        "workerOps": WORKER_OPS,
        "burst": BURST,
    }
    done = toolchain.run(NATIVE, str(client.client), input=json.dumps(settings).encode(), timeout=120)
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


# -- the benchmark -------------------------------------------------------------------------


def _medians(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in rows[0]:
        values = [r[key] for r in rows if key in r]
        if key == "errors":
            out[key] = sum(values)
        elif all(isinstance(v, int | float) for v in values):
            out[key] = statistics.median(values)
    return out


def python_side_added(seq: dict[str, list[dict[str, Any]]], medians: dict[str, float]) -> dict[str, Any]:
    """Per path, the median over rounds of its latency minus Prisma in Node's in the same round."""
    node_cpu = _medians(seq["prisma-node"])["node_cpu_us_per_op"]
    added: dict[str, Any] = {}
    for name in [*POLLED, *(f"{path}+poll" for path in POLLED)]:
        if name not in seq:
            continue
        key = name.replace("repo/", "repo_").replace("-", "_").replace("+poll", "_busy_poll")
        row = _medians(seq[name])
        # Paired by round: each round's path against Prisma in Node measured moments apart, so a
        # slow phase of the machine (they last seconds here) cancels out instead of landing on one side.
        pairs = zip(seq[name], seq["prisma-node"], strict=True)
        per_round = [(p["median_us"] - n["median_us"]) / 1000 for p, n in pairs]
        added[f"{key}_ms"] = statistics.median(per_round)
        added[f"{key}_rounds_ms"] = [round(v, 3) for v in per_round]
        added[f"{key}_target_met"] = added[f"{key}_ms"] <= TARGET_MS
        added[f"{key}_cpu_added_us"] = row["python_cpu_us_per_op"] + row["node_cpu_us_per_op"] - node_cpu
    added["bridge_over_node_x"] = medians["bridge"] / medians["prisma-node"]
    if "asyncpg" in medians:
        added["node_over_asyncpg_x"] = medians["prisma-node"] / medians["asyncpg"]
    return added


async def run(report: Report) -> None:
    from prisma_infra.config.model import DatabaseConfig
    from prisma_infra.operation import Action, Operation
    from prisma_infra_prisma import PrismaEngine

    try:
        import asyncpg  # type: ignore[import-untyped]
    except ImportError:
        asyncpg = None
        report.add(GROUP, "(a) raw asyncpg skipped: not installed (pip install -e 'plugins/prisma[bench]')")

    began = time.perf_counter()
    async with contextlib.AsyncExitStack() as stack:
        await create_database(DB_NAME, SCHEMA)
        # Tables are made and filled by an engine of their own, so that every measured bridge starts
        # the same way (fresh, then warmed by the same reads).
        setup = PrismaEngine(DatabaseConfig(schema_path=str(SCHEMA), url=URL, pool_size=POOL))
        client = await asyncio.to_thread(setup.prepare)
        toolchain = setup._toolchain
        try:
            ids = await fill(setup)
        finally:
            await setup.close()
        engines = {}
        for name, busy_poll in (("bridge", 0), ("bridge+poll", BUSY_POLL_US)):
            engines[name] = PrismaEngine(
                DatabaseConfig(schema_path=str(SCHEMA), url=URL, pool_size=POOL, options={"busy_poll": busy_poll})
            )
            stack.push_async_callback(engines[name].close)
            await engines[name].start()
        engine = engines["bridge"]
        max_in_flight = engine._config.max_in_flight

        def find_unique(engine: Any) -> One:
            def one(ident: int) -> Awaitable[Any]:
                return engine.execute(Operation("User", Action.FIND_UNIQUE, {"where": {"id": ident}}))

            return one

        seq_paths: dict[str, One] = {name: find_unique(e) for name, e in engines.items()}
        conc_paths: dict[str, One] = dict(seq_paths)
        order = ["prisma-node", "bridge", "repo/bare", "repo/cache-off", "repo/default"]
        polled_order = [f"{name}+poll" for name in POLLED]
        if asyncpg is not None:
            pool = await asyncpg.create_pool(URL, min_size=POOL, max_size=POOL)
            stack.push_async_callback(pool.close)
            connection = await pool.acquire()
            stack.push_async_callback(pool.release, connection)
            statement = await connection.prepare(SELECT)

            def pg_concurrent(ident: int) -> Awaitable[Any]:
                fetched: Awaitable[Any] = pool.fetchrow(SELECT, ident)
                return fetched

            seq_paths["asyncpg"], conc_paths["asyncpg"] = statement.fetchrow, pg_concurrent
            order.insert(0, "asyncpg")
        infras = {f"repo/{mode}": infrastructure(mode) for mode in ("bare", "cache-off", "default")}
        infras.update({f"repo/{mode}+poll": infrastructure(mode, BUSY_POLL_US) for mode in ("bare", "cache-off")})
        for infra in infras.values():
            await infra.start()
            stack.push_async_callback(infra.close)
        for name, infra in infras.items():
            seq_paths[name] = infra.repository("user").find_unique
            if name in order:
                conc_paths[name] = seq_paths[name]
        pids = {**{name: e.pid for name, e in engines.items()}, **{n: i.engine.pid for n, i in infras.items()}}
        order += polled_order

        # Warm every path (connections, V8's optimized code, Prisma's query plans, the L1 cache of
        # repo/default): a bridge measured after 1,000 reads was still ~40% slower than later.
        for one in seq_paths.values():
            until = time.perf_counter() + WARM_SECONDS
            while time.perf_counter() < until:
                for ident in ids:
                    await one(ident)
        native_server = NativeServer(toolchain, client, ids)
        stack.push_async_callback(native_server.close)
        await native_server.start()
        await asyncio.sleep(0.5)
        idle = rss_mb(engine.pid)

        seq: dict[str, list[dict[str, Any]]] = {name: [] for name in order}
        concurrent_order = [name for name in order if name == "prisma-node" or name in conc_paths]
        loop100: dict[str, list[dict[str, Any]]] = {name: [] for name in concurrent_order}
        burst10k: dict[str, list[dict[str, Any]]] = {name: [] for name in concurrent_order}
        native_rss: list[float] = []
        after_burst: dict[str, float] = {}

        # Interleaved short rounds, so that every path sees the same moments of load (this VM has slow
        # phases lasting seconds); in each round every sequential measurement first, then (in the first
        # CONCURRENT_ROUNDS) the concurrent ones: a burst leaves work behind (GC in Node and Python,
        # PostgreSQL backends) that would slow the next path's sequential run.
        async def sequential_round(round_: int, table: dict[str, list[dict[str, Any]]]) -> list[str]:
            paths = [name for name in order if name in table]
            shift = round_ % len(paths)
            rotated = paths[shift:] + paths[:shift]
            for name in rotated:
                gc.collect()
                await asyncio.sleep(0.1)
                if name == "prisma-node":
                    table[name].append(await native_server.sequential())
                else:
                    table[name].append(await sequential(seq_paths[name], ids, pids.get(name)))
            return rotated

        for round_ in range(ROUNDS):
            rotated = await sequential_round(round_, seq)
            if round_ >= CONCURRENT_ROUNDS:
                continue
            for name in (name for name in rotated if name in loop100):
                if name == "prisma-node":
                    result = await asyncio.to_thread(native_concurrent, toolchain, client, ids)
                    loop100[name].append(result["workers"])
                    burst10k[name].append(result["burst"])
                    native_rss.append(result["rss_mb_after_burst"])
                    continue
                loop100[name].append(await closed_loop(conc_paths[name], ids, pids.get(name)))
                burst10k[name].append(await burst(conc_paths[name], ids, pids.get(name)))
                if name == "bridge":
                    after_burst = rss_mb(engine.pid)

        # The same sequential rounds with the client side on one CPU: this thread and the JavaScript
        # thread of every bridge and of the Prisma-in-Node process (their helper threads and PostgreSQL
        # stay free). Every hand-off between Python and Node is then a switch on one CPU instead of a
        # wake-up of another, which costs ~40 µs on this VM. Not the busy-polling paths: polling on
        # the CPU of the process it waits for would only take turns with it (the settings exclude it).
        pinned: dict[str, list[dict[str, Any]]] = {name: [] for name in order if name not in polled_order}
        assert native_server.process is not None
        with on_one_cpu([native_server.process.pid, *(pids[name] for name in pinned if name in pids)]):
            for round_ in range(ROUNDS):
                await sequential_round(round_, pinned)

        # The same burst on an engine allowed 10,000 requests in flight: what max_in_flight bounds.
        unbounded = PrismaEngine(DatabaseConfig(schema_path=str(SCHEMA), url=URL, pool_size=POOL, max_in_flight=BURST))
        stack.push_async_callback(unbounded.close)
        await unbounded.start()

        def unbounded_one(ident: int) -> Awaitable[Any]:
            return unbounded.execute(Operation("User", Action.FIND_UNIQUE, {"where": {"id": ident}}))

        for ident in ids:
            await unbounded_one(ident)
        unbounded_idle = rss_mb(unbounded.pid)
        unbounded_burst = await burst(unbounded_one, ids)
        unbounded_after = rss_mb(unbounded.pid)

    # -- report ------------------------------------------------------------------------------
    labels = {
        "asyncpg": "(a) raw asyncpg, prepared statement",
        "prisma-node": "(b) Prisma 7 in Node alone",
        "bridge": "(c) PrismaEngine.execute (Python → bridge)",
        "repo/bare": "(d) repository, every middleware disabled",
        "repo/cache-off": "(d) repository, default middleware, cache.enabled=false",
        "repo/default": "(d) repository, default middleware (cache on: L1 hits)",
    }
    for name in POLLED:
        labels[f"{name}+poll"] = f"{labels[name]}, busy_poll={BUSY_POLL_US} µs"
    medians = {}
    for name in order:
        row = _medians(seq[name])
        medians[name] = row["median_us"]
        report.add(
            GROUP,
            f"find_unique sequential: {labels[name]}",
            **row,
            rounds_median_us=[round(r["median_us"], 1) for r in seq[name]],
        )
    for name in concurrent_order:
        report.add(GROUP, f"find_unique, {WORKERS} concurrent: {labels[name]}", **_medians(loop100[name]))
    for name in concurrent_order:
        report.add(GROUP, f"find_unique, {BURST:,} at once: {labels[name]}", **_medians(burst10k[name]))

    added = python_side_added(seq, medians)
    report.add(GROUP, f"Python side added per sequential op over Prisma in Node (target ≤ {TARGET_MS} ms)", **added)
    for name in pinned:
        row = _medians(pinned[name])
        report.add(
            GROUP,
            f"find_unique sequential, client on one CPU: {labels[name]}",
            **row,
            rounds_median_us=[round(r["median_us"], 1) for r in pinned[name]],
        )
    pinned_medians = {name: _medians(pinned[name])["median_us"] for name in pinned}
    report.add(
        GROUP,
        f"Python side added per sequential op over Prisma in Node, client on one CPU (target ≤ {TARGET_MS} ms)",
        **python_side_added(pinned, pinned_medians),
    )
    report.add(
        GROUP,
        f"bridge RSS (max_in_flight={max_in_flight})",
        idle_mb=idle["rss_mb"],
        after_bursts_mb=after_burst["rss_mb"],
        peak_mb=after_burst["peak_rss_mb"],
        prisma_node_after_burst_mb=statistics.median(native_rss),
    )
    report.add(
        GROUP,
        f"bridge RSS, unbounded comparison (max_in_flight={BURST})",
        idle_mb=unbounded_idle["rss_mb"],
        after_burst_mb=unbounded_after["rss_mb"],
        peak_mb=unbounded_after["peak_rss_mb"],
        errors=unbounded_burst["errors"],
        ops_per_s=unbounded_burst["ops_per_s"],
    )
    report.add(GROUP, "engine benchmark wall time", seconds=time.perf_counter() - began, rounds=ROUNDS)

    failures = {
        f"{kind} {name}": rows
        for kind, table in (("100 concurrent", loop100), ("burst", burst10k))
        for name, rows in table.items()
        if any(r["errors"] for r in rows)
    }
    assert not failures and not unbounded_burst["errors"], f"operations failed: {failures or unbounded_burst}"
