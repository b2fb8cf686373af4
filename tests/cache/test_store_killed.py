"""A store killed mid-test: results stay correct, one warning, and it is used again once restarted."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from prisma_infra.clock import ManualClock

from tests.cache.cache_support import breaker_closes, engine_of
from tests.cache.servers import Server

pytestmark = pytest.mark.integration


def cache_on(server: Server, kind: str, namespace: str, *, l1: bool = True) -> dict[str, Any]:
    options = {
        **server.store_options(),
        "namespace": namespace,
        "sync_interval": 0.02,
        "timeout": 0.2,
        "retry_after": 0.1,
        "retry_max": 0.4,
    }
    return {"tiers": (["memory"] if l1 else []) + [kind], "stores": {kind: options}}


async def test_store_killed_and_restarted(
    shared: str, private_server: Server, namespace: str, infra_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(wall=time.time())  # entries' windows are wall-clock times, shared through the store
    infra = await infra_for(cache_on(private_server, shared, namespace), clock=clock)
    engine = engine_of(infra)
    engine.seed(
        {"User": [{"id": 1, "email": "a@x", "name": "Ann"}], "Post": [{"id": "p1", "title": "Hello", "authorId": 1}]}
    )
    args = {"where": {"id": "p1"}, "include": {"author": True}}
    await infra.call("Post", "findMany", args)
    await infra.call("Post", "findMany", args)
    assert engine.reads == 1

    caplog.set_level(logging.INFO, logger="prisma_infra.cache")
    private_server.kill()
    await clock.advance(0.3)  # the in-process copy of the generations is too old to trust now
    for i in range(12):
        if i == 4:
            await infra.call("User", "update", {"where": {"id": 1}, "data": {"name": "Written while down"}})
        result = await infra.call("Post", "findMany", args)
        want = "Ann" if i < 4 else "Written while down"
        assert result[0]["author"]["name"] == want, f"read {i} returned a stale or wrong result"
    store = infra.cache_manager.stats()["stores"][shared]
    assert store["state"] == "open" and store["failures"] >= 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"cache store {shared!r} is unavailable" in warnings[0]

    private_server.start()
    await breaker_closes(infra, shared, clock)
    await infra.cache_manager.tiers.sync()  # delivers the bump made while it was down
    state = infra.cache_manager.stats()["stores"][shared]
    assert state["state"] == "closed" and state["generations"]["pending_bumps"] == 0, state
    assert any("recovered" in r.getMessage() for r in caplog.records)

    reads = engine.reads
    await infra.call("Post", "findMany", args)
    await infra.call("Post", "findMany", args)
    assert engine.reads == reads + 1, "reads must be cached again"
    second = await infra_for(cache_on(private_server, shared, namespace, l1=False))
    assert (await second.call("Post", "findMany", args))[0]["author"]["name"] == "Written while down"
    assert engine_of(second).reads == 0, "the restarted store must hold the refilled entry"


async def test_infrastructure_starts_while_the_store_is_down(
    shared: str, private_server: Server, namespace: str, infra_for: Any
) -> None:
    private_server.kill()
    infra = await infra_for(cache_on(private_server, shared, namespace))
    engine_of(infra).seed({"Post": [{"id": "p1", "title": "Hello", "authorId": 1}]})
    for _ in range(3):
        assert (await infra.call("Post", "findMany", {}))[0]["title"] == "Hello"
    assert engine_of(infra).reads == 3  # nothing can be validated without the generations: no caching
