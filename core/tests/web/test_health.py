"""``/healthz`` and ``/readyz`` through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import httpx
import pytest
from prisma_infra.cache.service import CACHE
from prisma_infra.errors import EngineUnavailableError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.providers import CacheStore
from prisma_infra.web import create_app

from core.tests.doubles import memory_infrastructure


class FlakyStore(CacheStore):
    """A shared store whose reachability the test switches."""

    name = "flaky"
    shared = True
    up = True

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not FlakyStore.up:
            raise ConnectionError("connection refused")
        return [None for _ in keys]

    async def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        return None

    async def delete_many(self, keys: Sequence[str]) -> None:
        return None

    async def incr(self, key: str) -> int:
        if not FlakyStore.up:
            raise ConnectionError("connection refused")
        return 1

    async def clear(self) -> None:
        return None


class FlakyPlugin:
    name = "flaky-store"

    @hookimpl
    def register_cache_backends(self, register: Callable[[str, Any], None]) -> None:
        register("flaky", FlakyStore)


def client(app: Any) -> httpx.AsyncClient:
    """No credentials: the health checks stay open (on an allowed Host)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


@pytest.fixture
async def infra() -> AsyncIterator[Any]:
    async with memory_infrastructure() as started:
        yield started


async def test_healthz_is_always_up(infra: Any) -> None:
    async with client(create_app(infra)) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["pid"] > 0


async def test_readyz_checks_the_engine(infra: Any) -> None:
    async with client(create_app(infra)) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert ready.json()["checks"]["engine"]["status"] == "ok"

        async def down() -> None:
            raise EngineUnavailableError("the bridge is not running")

        infra.engine.ping = down
        not_ready = await http.get("/readyz")
    assert not_ready.status_code == 503
    body = not_ready.json()
    assert body["status"] == "not_ready"
    assert "the bridge is not running" in body["checks"]["engine"]["error"]


async def test_readyz_masks_credentials_in_error_texts(infra: Any) -> None:
    """``/readyz`` is open: a driver's message quoting its URL or a token shows them masked."""

    async def down() -> None:
        raise EngineUnavailableError("cannot reach postgresql://app:s3cret-pw@db:5432/app (Bearer tok-0123456789)")

    infra.engine.ping = down
    async with client(create_app(infra)) as http:
        error = (await http.get("/readyz")).json()["checks"]["engine"]["error"]
    assert "postgresql://app:" in error and "db:5432/app" in error  # still says what failed
    assert "s3cret-pw" not in error and "tok-0123456789" not in error


async def test_readyz_times_out_a_hanging_engine() -> None:
    import asyncio

    async with memory_infrastructure(monitoring={"readiness_timeout": 0.05}) as infra:

        async def hang() -> None:
            await asyncio.Event().wait()  # never answers: the readiness timeout must cut it off

        infra.engine.ping = hang
        async with client(create_app(infra)) as http:
            response = await http.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["engine"]["error"] == "timed out"


async def test_not_started_is_not_ready() -> None:
    app = create_app(memory_infrastructure())
    async with client(app) as http:
        assert (await http.get("/healthz")).status_code == 200
        response = await http.get("/readyz")
    assert response.status_code == 503 and "not started" in response.text


@pytest.mark.parametrize(("required", "expected"), [(None, 503), (["flaky"], 503), ([], 200)])
async def test_readyz_checks_required_cache_stores(required: list[str] | None, expected: int) -> None:
    infra = memory_infrastructure(
        cache={"enabled": True, "tiers": ["memory", "flaky"]}, monitoring={"readiness_stores": required}
    )
    infra.plugin_manager.register(FlakyPlugin())
    FlakyStore.up = True
    async with infra, client(create_app(infra)) as http:
        up = await http.get("/readyz")
        FlakyStore.up = False
        down = await http.get("/readyz")
    FlakyStore.up = True
    assert up.status_code == 200, up.text
    checks = up.json()["checks"]
    assert checks["cache:memory"]["status"] == "ok" and checks["cache:flaky"]["status"] == "ok"
    assert checks["cache:flaky"]["required"] is (required is None or "flaky" in required)
    assert down.status_code == expected, down.text
    assert "connection refused" in down.json()["checks"]["cache:flaky"]["error"]


async def test_manager_ping_is_preferred_when_offered(infra: Any) -> None:
    class Manager:
        async def ping(self) -> dict[str, str | None]:
            return {"memory": None, "redis": "timeout"}

        def stats(self) -> dict[str, Any]:
            return {"stores": {"redis": {"state": "open"}}}

    config = infra.runtime.config.model_copy(
        update={"cache": infra.runtime.config.cache.model_copy(update={"enabled": True, "tiers": ["memory", "redis"]})}
    )
    infra.runtime.config = config
    infra.runtime.services[CACHE] = Manager()
    async with client(create_app(infra)) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache:redis"] == {"status": "error", "error": "timeout", "required": True, "breaker": "open"}
    assert checks["cache:memory"]["status"] == "ok"
