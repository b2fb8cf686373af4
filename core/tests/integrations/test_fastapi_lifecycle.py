"""The FastAPI integration's lifecycle: the engine stalled (504) and gone (503) behind a running app, an app's
own lifespan composed with ours, and an `Infrastructure` handed over instead of a settings file."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI
from prisma_infra.data.repository import Repository
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.integrations.fastapi import Infra, PrismaInfra, Repo

from core.tests.integrations.web_site import make_site, site_in
from tests.http_server import asgi_server, serving

pytestmark = pytest.mark.integration


def test_a_stalled_engine_is_504_and_a_closed_one_503_with_retry_after(tmp_path: Any) -> None:
    # The deadline is real time: the operation must outlive it while the bridge is stopped (SIGSTOP).
    site = make_site(tmp_path, operation_timeout=1.0)
    infra = PrismaInfra(site.settings, watch=False)
    app = FastAPI(lifespan=infra.lifespan)
    infra.install(app, api=False)

    @app.get("/users/{user_id}")
    async def read_user(user_id: int, users: Annotated[Repository, Repo("user")]) -> Any:
        return await users.find_unique({"id": user_id})

    with asgi_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/users/1").status_code == 200
        pid = infra.infra.engine.pid  # type: ignore[attr-defined]
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            stalled = http.get("/users/2")
        finally:
            os.kill(pid, signal.SIGCONT)
        server.run(infra.infra.engine.close())
        gone = http.get("/users/3", headers={"X-Request-ID": "gone-1"})
    assert stalled.status_code == 504, stalled.text
    assert stalled.headers["retry-after"] == "2" and stalled.json()["type"].endswith(":timeout")
    assert gone.status_code == 503, gone.text
    assert gone.headers["retry-after"] == "1" and gone.json()["type"].endswith(":unavailable")
    assert gone.headers["x-request-id"] == "gone-1"


def test_install_runs_our_lifespan_around_the_apps_own(tmp_path: Any) -> None:
    site = make_site(tmp_path)
    seen: dict[str, Any] = {}
    infra = PrismaInfra(site.settings, watch=False)

    @contextlib.asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[None]:
        seen["users at start"] = await infra.infra.repository("user").count()  # already started
        yield
        seen["still started at stop"] = await infra.infra.repository("user").count() >= 0

    app = FastAPI(lifespan=own)  # not lifespan=infra.lifespan: install composes
    infra.install(app, api=False)

    @app.get("/count")
    async def count(kernel: Infra) -> Any:
        return {"users": await kernel.repository("user").count()}

    with asgi_server(app) as server:
        counted = httpx.get(server.url + "/count")
    assert seen == {"users at start": 0, "still started at stop": True}
    assert counted.json() == {"users": 0}
    with pytest.raises(Exception, match="not started"):
        _ = infra.infra.runtime  # closed with the app


async def test_an_infrastructure_instance_is_accepted_and_left_running(tmp_path: Any) -> None:
    site = await site_in(tmp_path)
    async with Infrastructure.from_settings(site.settings) as started:
        infra = PrismaInfra(started)
        app = FastAPI(lifespan=infra.lifespan)
        infra.install(app, api=False)

        @app.post("/users")
        async def create(users: Annotated[Repository, Repo("user")]) -> Any:
            return await users.create({"email": "eve@t1.example", "name": "Eve"})

        async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
            created = await http.post("/users")
        assert created.status_code == 200, created.text
        assert await started.repository("user").count() == 1  # the caller's infrastructure still runs
