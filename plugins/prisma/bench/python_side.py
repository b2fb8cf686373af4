"""The Python side of one ``find_unique``, alone: no pipe, no Node work, no database round trip.

The bridge process is started (the infrastructure needs its datamodel), then its stdin is swapped
for a stand-in that answers every request on the next event-loop turn with a recorded response
(one ``User`` row, a DateTime in it), so what is measured is exactly the Python work per operation:
building the operation, the pipeline, encoding, the request, the response, decoding, and the
event loop's own turns. Wall-clock numbers on these shared machines move by ±40%; this is the
number to compare before and after a change to the hot path.

Run from the repository root (no database needed):

    .venv/bin/python plugins/prisma/bench/python_side.py            # CPU µs per op, 5 interleaved rounds
    .venv/bin/python plugins/prisma/bench/python_side.py --valgrind  # instructions per op (deterministic)

``--valgrind`` runs this script under ``valgrind --tool=cachegrind`` twice per path (0 and N
operations after the same warm-up) and reports the difference divided by N: exact to a few
hundred instructions from run to run, whatever the load on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

PATHS = ("bridge", "repo/bare", "repo/cache-off")
RESPONSE = (
    b'{"id":%d,"result":{"id":%d,"email":"user1@bench.io","name":"User 1","active":true,"score":1.5,'
    b'"createdAt":{"$type":"DateTime","value":"2026-03-01T10:20:30.123Z"}},"t":1}\n'
)


class LoopbackStdin:
    """Stands in for the bridge's stdin: answers each request on the next loop turn."""

    def __init__(self, bridge: Any, loop: asyncio.AbstractEventLoop) -> None:
        from prisma_infra_prisma.pipes import LineSplitter

        self.output = LineSplitter(bridge._receive)
        self.loop = loop
        self.queued = self.written = 0  # read by `Bridge.request` (`pipes.PipeWriter`'s counters)

    def write(self, data: bytes) -> None:
        self.queued += len(data)
        self.written = self.queued
        ident = int(data[6 : data.index(b",", 6)])  # b'{"id":N,...'
        self.loop.call_soon(self.output.feed, RESPONSE % (ident, 1))

    def close(self) -> None:
        pass


async def _paths(modes: tuple[str, ...] = ("bare", "cache-off")) -> tuple[dict[str, Any], list[Any], list[Any]]:
    from prisma_infra_sdk import Action, Operation

    from benchmarks.bench_engine import infrastructure

    loop = asyncio.get_running_loop()
    infras = {mode: infrastructure(mode) for mode in modes}
    swapped = []
    for infra in infras.values():
        await infra.start()
        bridge = infra.engine._bridge
        swapped.append((bridge, bridge._stdin))
        bridge._stdin = LoopbackStdin(bridge, loop)
    engine = next(iter(infras.values())).engine

    def direct(ident: int) -> Any:
        return engine.execute(Operation("User", Action.FIND_UNIQUE, {"where": {"id": ident}}))

    paths = {"bridge": direct}
    for mode, infra in infras.items():
        paths[f"repo/{mode}"] = infra.repository("user").find_unique
    return paths, list(infras.values()), swapped


async def _close(infras: list[Any], swapped: list[tuple[Any, Any]]) -> None:
    for bridge, stdin in swapped:
        bridge._stdin = stdin
    for infra in infras:
        await infra.close()


async def cpu(rounds: int, count: int) -> None:
    paths, infras, swapped = await _paths()
    results: dict[str, list[float]] = {name: [] for name in PATHS}
    for round_ in range(rounds):
        order = PATHS[round_ % len(PATHS) :] + PATHS[: round_ % len(PATHS)]
        for name in order:
            one = paths[name]
            for _ in range(1000):
                await one(1)
            gc.collect()
            started = time.process_time()
            for _ in range(count):
                await one(1)
            results[name].append((time.process_time() - started) / count * 1e6)
    await _close(infras, swapped)
    for name, values in results.items():
        print(
            f"{name:16s} Python CPU per op: median {statistics.median(values):6.1f} µs  "
            f"(rounds: {', '.join(f'{v:.1f}' for v in values)})"
        )


async def run_only(name: str, count: int) -> None:
    # Only the infrastructure this path needs: under valgrind time runs ~50x slower, and another
    # infrastructure's periodic tasks would be counted as if they were per-operation work.
    paths, infras, swapped = await _paths(("cache-off",) if name == "repo/cache-off" else ("bare",))
    one = paths[name]
    for _ in range(500):
        await one(1)
    for _ in range(count):
        await one(1)
    await _close(infras, swapped)


def instructions(name: str, count: int) -> int:
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--only",
        name,
        "--count",
        str(count),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    for line in done.stderr.splitlines():
        if "I refs:" in line or "I   refs:" in line:
            return int(line.rsplit(":", 1)[1].strip().replace(",", ""))
    raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--valgrind", action="store_true", help="instructions per op under cachegrind")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--only", choices=PATHS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        asyncio.run(run_only(args.only, args.count))
    elif args.valgrind:
        count = min(args.count, 3000)
        for name in PATHS:
            per_op = (instructions(name, count) - instructions(name, 0)) / count
            print(f"{name:16s} {per_op:9,.0f} instructions per op", flush=True)
    else:
        asyncio.run(cpu(args.rounds, args.count))


if __name__ == "__main__":
    main()
