"""``database.options.colocate``: the bridge's main thread runs where the event loop's thread may,
its helper threads anywhere; without it every thread inherits the loop thread's CPUs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from prisma_infra_prisma import PrismaEngine
from prisma_infra_sdk import Action, EngineUnavailableError, Operation

from .conftest import started_engine

pytestmark = pytest.mark.integration


@pytest.fixture
def one_cpu() -> Iterator[int]:
    """This thread (the event loop's) pinned to one CPU for the test; restored after."""
    before = os.sched_getaffinity(0)
    assert len(before) >= 2, "placement tests need a machine with two CPUs or more"
    cpu = max(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)


SELECT_1 = Operation(None, Action.QUERY_RAW, {"sql": "SELECT 1 AS x", "params": []})


def started(schema: Path, colocate: bool) -> contextlib.AbstractAsyncContextManager[PrismaEngine]:
    """A Prisma engine on an SQLite file beside ``schema``."""
    return started_engine(schema, f"file:{schema.parent / 'test.db'}", colocate=colocate)


def _threads(pid: int) -> dict[int, set[int]]:
    return {int(t): os.sched_getaffinity(int(t)) for t in os.listdir(f"/proc/{pid}/task")}


@pytest.mark.parametrize("colocate", [True, False], ids=["colocate", "inherit"])
async def test_bridge_threads_placement(colocate: bool, one_cpu: int, sqlite_schema: Path) -> None:
    async with started(sqlite_schema, colocate) as engine:
        pid = engine.pid
        assert pid is not None
        threads = _threads(pid)
        helpers = [cpus for thread, cpus in threads.items() if thread != pid]
        assert helpers, "Node runs helper threads (V8, libuv)"
        assert threads[pid] == {one_cpu}
        if colocate:
            assert all(len(cpus) >= 2 for cpus in helpers), threads
        else:
            assert all(cpus == {one_cpu} for cpus in helpers), threads
        assert await engine.execute(SELECT_1)


async def test_a_restarted_bridge_is_colocated_again(one_cpu: int, sqlite_schema: Path) -> None:
    async with started(sqlite_schema, colocate=True) as engine:
        first = engine.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        for _ in range(100):  # the next request after the bridge died starts a new one
            try:
                await engine.execute(SELECT_1)
                break
            except EngineUnavailableError:  # sent before the death was noticed: fails fast, by design
                await asyncio.sleep(0.02)
        second = engine.pid
        assert second not in (None, first)
        assert second is not None
        threads = _threads(second)
        assert threads[second] == {one_cpu}
        assert any(len(cpus) >= 2 for thread, cpus in threads.items() if thread != second)
