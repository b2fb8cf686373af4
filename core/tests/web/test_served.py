"""The app ``prisma-infra serve`` runs: routing between the API mount, the kernel's web app and plugin
routes, the Host guard over all of it, the lifespan owning the kernel — on a real uvicorn, over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.web.served import create_served_app
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from core.tests.doubles import DoubleEnginePlugin, memory_infrastructure
from tests.http_server import serving

TOKEN = "served-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class ProbePlugin:
    name = "served-probe"

    @hookimpl
    def register_routes(self, register: Callable[[str, Any], None]) -> None:
        register("/probe", probe)


async def probe(request: Request) -> Response:
    return PlainTextResponse("probe")


async def fake_api(scope: Any, receive: Any, send: Any) -> None:
    """Stands for the REST API: tells which path it was given below its mount."""
    if scope["type"] == "http":
        path = scope["path"][len(scope.get("root_path", "")) :]
        await JSONResponse({"api": path})(scope, receive, send)


def kernel(prefix: str = "/api") -> Any:
    """A kernel (not started) with a plugin route, on the memory engine double."""
    config = memory_infrastructure(monitoring={"web": {"token": TOKEN}}, api={"prefix": prefix}).config
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    plugins.register(DoubleEnginePlugin())
    plugins.register(ProbePlugin())
    return Infrastructure(config, plugin_manager=plugins)


async def test_api_dashboard_health_and_plugin_routes_side_by_side() -> None:
    infra = kernel()
    app = create_served_app(infra, fake_api, watch=False, debug_worker=False)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        assert infra.runtime is not None, "the lifespan starts the kernel"
        api = await http.get("/api/user/42")
        health, ready = await http.get("/healthz"), await http.get("/readyz")
        page_anonymous, page = await http.get("/dashboard/"), await http.get("/dashboard/", headers=AUTH)
        probe_anonymous, probed = await http.get("/probe"), await http.get("/probe", headers=AUTH)
        rebound = await http.get("/api/user/42", headers={"Host": "evil.example"})
    assert api.status_code == 200 and api.json() == {"api": "/user/42"}
    assert "x-served-by" not in api.headers
    assert health.status_code == 200 and ready.status_code == 200
    assert page_anonymous.status_code == 401 and page.status_code == 200
    assert probe_anonymous.status_code == 401 and probed.text == "probe"
    assert rebound.status_code == 400, "the Host allow-list guards the API too"
    assert not infra._started, "the lifespan closes the kernel"


async def test_an_api_at_the_root_leaves_the_kernel_paths_and_plugin_routes_alone() -> None:
    app = create_served_app(kernel(prefix=""), fake_api, watch=False)
    async with serving(app) as url, httpx.AsyncClient(base_url=url, headers=AUTH) as http:
        api = await http.get("/post")
        probed, page, health = await http.get("/probe"), await http.get("/dashboard/"), await http.get("/healthz")
    assert api.json() == {"api": "/post"}
    assert probed.text == "probe" and page.status_code == 200 and health.json()["status"] == "ok"


async def test_without_an_api_the_kernel_app_serves_everything() -> None:
    app = create_served_app(kernel(), None, watch=False)
    async with serving(app) as url, httpx.AsyncClient(base_url=url, headers=AUTH) as http:
        missing, root = await http.get("/api/user"), await http.get("/")
    assert missing.status_code == 404
    assert root.status_code == 307 and root.headers["location"].endswith("/dashboard/")


@pytest.mark.parametrize("flag", ["1", None])
async def test_the_worker_header_only_when_asked(monkeypatch: pytest.MonkeyPatch, flag: str | None) -> None:
    if flag is None:
        monkeypatch.delenv("PRISMA_INFRA_SERVE_DEBUG_WORKER", raising=False)
    else:
        monkeypatch.setenv("PRISMA_INFRA_SERVE_DEBUG_WORKER", flag)
    app = create_served_app(kernel(), fake_api, watch=False)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        api, health = await http.get("/api/x"), await http.get("/healthz")
    expected = str(os.getpid()) if flag else None
    assert api.headers.get("x-served-by") == expected and health.headers.get("x-served-by") == expected
