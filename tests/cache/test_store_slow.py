"""A store that stops answering (frozen with SIGSTOP, not killed): calls time out, results stay right,
and once it answers again its connections are clean: no reply lands on the wrong request."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from typing import Any

import pytest
from prisma_infra.clock import ManualClock

from tests.cache.cache_support import breaker_closes, engine_of
from tests.cache.servers import Server
from tests.cache.test_store_killed import cache_on

pytestmark = pytest.mark.integration


async def test_store_frozen_then_thawed(
    shared: str, private_server: Server, namespace: str, infra_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(wall=time.time())
    infra = await infra_for(cache_on(private_server, shared, namespace, l1=False), clock=clock)
    engine = engine_of(infra)
    posts = [{"id": f"p{i}", "title": f"Title {i}", "authorId": 1} for i in range(6)]
    engine.seed({"User": [{"id": 1, "email": "a@x", "name": "Ann"}], "Post": posts})

    async def read(i: int) -> None:
        found = await infra.call("Post", "findMany", {"where": {"id": f"p{i}"}})
        assert [p["title"] for p in found] == [f"Title {i}"], f"read of p{i} returned {found}"

    for i in range(6):
        await read(i)  # fill
    assert engine.reads == 6
    caplog.set_level(logging.INFO, logger="prisma_infra.cache")
    assert private_server.process is not None
    os.kill(private_server.process.pid, signal.SIGSTOP)
    try:
        # Concurrent reads of different keys while the store is frozen: each is abandoned after the
        # per-call timeout (0.2 s) and answered by the engine.
        await asyncio.wait_for(asyncio.gather(*(read(i) for i in range(6))), 5)
        await asyncio.wait_for(read(0), 5)
        state = infra.cache_manager.stats()["stores"][shared]
        assert state["failures"] >= 1 and "timed out" in str(state["last_error"])
    finally:
        os.kill(private_server.process.pid, signal.SIGCONT)
    warnings = [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "prisma_infra.cache"
    ]
    assert len(warnings) <= 1, warnings  # one warning when the breaker opens, never one per call

    await breaker_closes(infra, shared, clock)
    await read(1)
    assert infra.cache_manager.stats()["stores"][shared]["state"] == "closed", "the store was not used again"
    # Interleaved concurrent reads of every key: a connection left with an unread reply would hand
    # one request another's answer.
    for _ in range(5):
        await asyncio.gather(*(read(i) for i in range(6)))
    reads = engine.reads
    await asyncio.gather(*(read(i) for i in range(6)))
    assert engine.reads == reads, "reads must be answered by the store again"


async def test_cancelled_commands_never_complete_and_never_cross_replies(
    shared: str, private_server: Server
) -> None:
    from prisma_infra_memcached import MemcachedStore
    from prisma_infra_redis import RedisStore

    store = (RedisStore if shared == "redis" else MemcachedStore)(private_server.store_options())
    await store.start()
    try:
        values = {f"k{i}": f"value {i}".encode() for i in range(8)}
        await store.set_many(values, None)
        completed = cancelled = 0
        for i in range(400):
            keys = [f"k{i % 8}", f"k{(i + 3) % 8}"]
            task = asyncio.ensure_future(store.get_many(keys))
            for _ in range(i % 9):  # cancel at every stage: before sending, while waiting, after the reply
                await asyncio.sleep(0)
            asked = task.cancel()
            try:
                got = await task
            except asyncio.CancelledError:
                cancelled += 1
                continue
            assert not asked, "a cancelled call returned a result: its caller would go on running"
            assert got == [values[k] for k in keys]
            completed += 1
        assert cancelled > 0
        for _ in range(20):
            keys = [[f"k{(i + j) % 8}", f"k{(i * 3 + j) % 8}"] for j in range(8)]
            got = await asyncio.gather(*(store.get_many(k) for k in keys))
            assert got == [[values[a], values[b]] for a, b in keys], "a reply reached the wrong request"
    finally:
        await store.close()


async def test_redis_connections_stay_within_max_connections() -> None:
    """A burst far wider than ``max_connections`` opens no more connections than that, and every
    reply reaches its own caller; ``close`` drops them all."""
    import uuid

    import redis.asyncio as aioredis
    from prisma_infra_redis import RedisStore

    from tests.cache.servers import REDIS, require

    require("Redis", REDIS)
    name = f"pi-bound-{uuid.uuid4().hex[:8]}"
    url = f"redis://{REDIS[0]}:{REDIS[1]}/0?client_name={name}"
    store = RedisStore({"url": url, "max_connections": 3, "key_prefix": f"{name}:"})
    admin = aioredis.Redis(host=REDIS[0], port=REDIS[1])

    async def ours() -> int:
        clients = await admin.client_list()
        return sum(1 for client in clients if client.get("name") == name)

    await store.start()
    try:
        await store.set_many({f"{name}:k{i}": str(i).encode() for i in range(40)}, 60)
        replies = await asyncio.gather(*(store.get_many([f"{name}:k{i}", f"{name}:none"]) for i in range(40)))
        assert replies == [[str(i).encode(), None] for i in range(40)]
        assert 1 <= await ours() <= 3
    finally:
        await store.clear()
        await store.close()
    for _ in range(50):
        if await ours() == 0:
            break
        await asyncio.sleep(0.02)
    assert await ours() == 0, "close() must drop every connection"
    await admin.aclose()
