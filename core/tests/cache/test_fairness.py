"""In-process cache hits await nothing: a loop of them must still let other tasks run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prisma_infra.schema.model import Schema

from core.tests.cache.cache_fakes import FakeDB, make_manager, op, run

HITS = 10_000


async def hits_before_other_task_runs(manager: Any, db: FakeDB) -> int | None:
    """Start a task, then answer ``HITS`` cache hits in a row; how many came before the task ran."""
    ran = asyncio.Event()
    seen: list[int] = []
    done = 0

    async def other() -> None:
        seen.append(done)
        ran.set()

    task = asyncio.create_task(other())
    for _ in range(HITS):
        await run(manager, db, op("Post"))
        done += 1
    await task
    assert ran.is_set()
    return seen[0] if seen else None


@pytest.mark.parametrize("every", [1, 32, 500])
async def test_a_loop_of_hits_lets_another_task_run(schema: Schema, db: FakeDB, every: int) -> None:
    db.tables["Post"] = [{"id": "p1", "title": "Hello", "authorId": 1}]
    manager = make_manager(schema, cache={"ttl": 600, "yield_every": every})
    await manager.start()
    await run(manager, db, op("Post"))  # the fill (a miss)
    before = await hits_before_other_task_runs(manager, db)
    assert db.reads == 1  # every one of them was a hit
    assert before is not None and before <= every
    await manager.close()


async def test_stale_hits_yield_too(schema: Schema, db: FakeDB) -> None:
    db.tables["Post"] = [{"id": "p1", "title": "Hello", "authorId": 1}]
    manager = make_manager(schema, cache={"ttl": 0.001, "swr": 600, "jitter": 0, "yield_every": 8})
    await manager.start()
    await run(manager, db, op("Post"))
    store = manager.planner.by_model["Post"].tiers[0].local
    entry = next(iter(store._data.values()))[0]
    entry.fresh_until = 0.0  # stale from now on, without waiting for the clock
    before = await hits_before_other_task_runs(manager, db)
    assert before is not None and before <= 8
    tier = manager.stats()["models"]["Post"]["tiers"]["memory"]
    assert tier["stale_hits"] >= 1 and tier["hits"] + tier["stale_hits"] == HITS
    await manager.close()


async def test_zero_never_yields(schema: Schema, db: FakeDB) -> None:
    """The previous behaviour, kept for the benchmark: the other task runs only after the loop."""
    db.tables["Post"] = [{"id": "p1", "title": "Hello", "authorId": 1}]
    manager = make_manager(schema, cache={"ttl": 600, "yield_every": 0})
    await manager.start()
    await run(manager, db, op("Post"))
    assert await hits_before_other_task_runs(manager, db) == HITS
    await manager.close()
