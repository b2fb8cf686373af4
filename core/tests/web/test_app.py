"""The kernel's web app: dashboard page, assets, snapshot, server-sent events, plugin routes and panels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
from prisma_infra.analytics.dashboard import KpiDashboard
from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import PluginError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.ports.dashboard import DASHBOARD_SOURCES
from prisma_infra.web import Panel, create_app, plotly_js_path
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from core.tests.doubles import DoubleEnginePlugin, memory_infrastructure

TOKEN = "test-token-0123456789abcdef"
WEB = {"web": {"token": TOKEN}}


def client(app: Any) -> httpx.AsyncClient:
    """An authenticated client (the app is closed by default), on an allowed Host."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://localhost",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )


class WebPlugin:
    name = "web-test"

    def __init__(self, routes: dict[str, Any] | None = None, panels: dict[str, Any] | None = None) -> None:
        self.routes = routes or {}
        self.panels = panels or {}

    @hookimpl
    def register_routes(self, register: Callable[[str, Any], None]) -> None:
        for path, endpoint in self.routes.items():
            register(path, endpoint)

    @hookimpl
    def register_dashboard_panels(self, register: Callable[[str, Any], None]) -> None:
        for name, panel in self.panels.items():
            register(name, panel)


async def hello(request: Request) -> Response:
    return PlainTextResponse(f"hello from {type(request.app.state.infrastructure).__name__}")


async def raw_asgi(scope: Any, receive: Any, send: Any) -> None:
    await JSONResponse({"asgi": True, "path": scope["path"]})(scope, receive, send)


@pytest.fixture
async def infra() -> AsyncIterator[Any]:
    async with memory_infrastructure(monitoring=WEB) as started:
        yield started


async def test_dashboard_page_and_assets(infra: Any) -> None:
    async with client(infra.web_app()) as http:
        assert (await http.get("/")).headers["location"].endswith("/dashboard/")
        assert (await http.get("/dashboard")).status_code == 307
        page = await http.get("/dashboard/")
        plotly = await http.get("/dashboard/static/plotly.min.js")
        script = await http.get("/dashboard/static/dashboard.js")
        style = await http.get("/dashboard/static/dashboard.css")
        missing = await http.get("/dashboard/static/../app.py")
        unknown = await http.get("/dashboard/static/secrets.txt")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'src="static/plotly.min.js"' in page.text and "cdn" not in page.text.lower()
    assert plotly.status_code == 200 and "javascript" in plotly.headers["content-type"]
    assert len(plotly.content) == plotly_js_path().stat().st_size > 1_000_000
    assert script.status_code == 200 and "EventSource" in script.text
    assert style.status_code == 200 and "text/css" in style.headers["content-type"]
    assert missing.status_code == 404 and unknown.status_code == 404


async def test_snapshot_has_every_section_and_empty_analytics(infra: Any) -> None:
    await infra.repository("user").create({"email": "a@example.com", "name": "A"})
    async with client(create_app(infra)) as http:
        document = (await http.get("/dashboard/api/snapshot")).json()
    assert document["started"] is True
    assert document["totals"]["operations"] == 1
    assert document["models"][0]["model"] == "User"
    assert document["kpis"] is None and document["alerts"] is None  # empty state until analytics exists
    assert document["health"]["ready"] is True
    assert [p["name"] for p in document["panels"]] == ["runtime"]
    assert "metrics" in document["panels"][0]["data"]["pipeline (outermost first)"]


async def test_analytics_contract_fills_kpis_and_alerts(infra: Any) -> None:
    class Kpis:
        def dashboard_kpis(self) -> list[dict[str, Any]]:
            return [{"name": "signups", "unit": "users", "points": [[1700000000, 3], [1700086400, 5]]}]

        def active_alerts(self) -> list[dict[str, Any]]:
            return [{"name": "p95 latency", "severity": "critical", "message": "p95 > 200 ms", "since": 1700000000}]

    # What the analytics middleware publishes when KPIs are configured.
    infra.runtime.services.add(DASHBOARD_SOURCES, KpiDashboard(Kpis()))  # type: ignore[arg-type]
    async with client(create_app(infra)) as http:
        document = (await http.get("/dashboard/api/snapshot")).json()
    assert document["kpis"][0]["name"] == "signups"
    assert document["alerts"][0]["severity"] == "critical"


async def test_server_sent_events_push_snapshots() -> None:
    async with memory_infrastructure(monitoring={"dashboard_interval": 0.1, **WEB}) as infra:
        app = create_app(infra)
        chunks: list[bytes] = []
        disconnect = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await disconnect.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message["headers"])
                assert headers[b"content-type"].startswith(b"text/event-stream")
            elif message.get("body"):
                chunks.append(message["body"])
                if sum(c.startswith(b"event: snapshot") for c in chunks) == 1:
                    await infra.repository("user").count()
                if sum(c.startswith(b"event: snapshot") for c in chunks) >= 3:
                    disconnect.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/dashboard/api/events",
            "raw_path": b"/dashboard/api/events",
            "root_path": "",
            "query_string": b"",
            "server": ("localhost", 80),
            "client": ("t", 1),
            "headers": [(b"host", b"localhost"), (b"authorization", f"Bearer {TOKEN}".encode())],
        }
        await asyncio.wait_for(app(scope, receive, send), timeout=10)
    events = [c for c in chunks if c.startswith(b"event: snapshot")]
    assert chunks[0].startswith(b"retry:")
    documents = [orjson.loads(e.split(b"data: ", 1)[1]) for e in events]
    assert documents[0]["totals"]["operations"] == 0
    assert documents[-1]["totals"]["operations"] == 1


async def test_plugin_routes_and_panels() -> None:
    def failing(infrastructure: Infrastructure) -> Any:
        raise RuntimeError("warehouse offline")

    async def orders(infrastructure: Infrastructure) -> list[dict[str, Any]]:
        return [{"order": 1, "total": 9.5}]

    plugin = WebPlugin(
        routes={"/hello": hello, "/raw": raw_asgi},
        panels={
            "orders": Panel(title="Orders", data=orders),
            "legacy": {"title": "Legacy", "data": lambda: {"rows": 2}},
            "broken": {"title": "Broken", "data": failing},
        },
    )
    infra = memory_infrastructure(monitoring=WEB)
    infra.plugin_manager.register(plugin)
    async with infra, client(create_app(infra)) as http:
        assert (await http.get("/hello")).text == "hello from Infrastructure"
        assert (await http.get("/raw")).json() == {"asgi": True, "path": "/raw"}
        panels = {p["name"]: p for p in (await http.get("/dashboard/api/snapshot")).json()["panels"]}
    assert panels["orders"]["data"] == [{"order": 1, "total": 9.5}] and panels["orders"]["plugin"] == "web-test"
    assert panels["legacy"]["data"] == {"rows": 2}
    assert panels["broken"]["error"] == "RuntimeError: warehouse offline"
    assert panels["runtime"]["title"] == "Runtime"


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (WebPlugin(routes={"/healthz": hello}), "which the kernel serves"),
        (WebPlugin(routes={"relative": hello}), "paths start with '/'"),
        (WebPlugin(panels={"bad": {"title": "", "data": None}}), "web-test"),
    ],
)
async def test_bad_registrations_name_the_plugin(plugin: WebPlugin, message: str) -> None:
    infra = memory_infrastructure()
    infra.plugin_manager.register(plugin)
    with pytest.raises(PluginError, match=message):
        create_app(infra)


async def test_standalone_app_starts_and_closes_the_infrastructure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISMA_INFRA_DISABLE_PLUGIN_AUTOLOAD", "1")
    config = InfraConfig.model_validate(
        {"database": {"engine": "memory-double"}, "cache": {"enabled": False}, "monitoring": WEB}
    )
    engine_plugin = DoubleEnginePlugin()
    infra = Infrastructure(config, plugins=[engine_plugin, WebPlugin(routes={"/hello": hello})])
    app = create_app(infra)  # plugins are not loaded yet: routes come with the lifespan
    async with app.router.lifespan_context(app), client(app) as http:
        assert (await http.get("/readyz")).status_code == 200
        assert (await http.get("/hello")).status_code == 200
        assert engine_plugin.engines[0].started
    assert engine_plugin.engines[0].closed


async def test_mounted_app_loads_plugin_routes_on_first_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    monkeypatch.setenv("PRISMA_INFRA_DISABLE_PLUGIN_AUTOLOAD", "1")
    config = InfraConfig.model_validate(
        {"database": {"engine": "memory-double"}, "cache": {"enabled": False}, "monitoring": WEB}
    )
    infra = Infrastructure(config, plugins=[DoubleEnginePlugin(), WebPlugin(routes={"/hello": hello})])
    outer = Starlette(routes=[Mount("/infra", app=create_app(infra))])
    async with infra, client(outer) as http:  # the outer application owns the lifecycle
        assert (await http.get("/infra/hello")).status_code == 200
        page = await http.get("/infra/dashboard", follow_redirects=True)
    assert page.status_code == 200 and str(page.url).endswith("/infra/dashboard/")


def test_dashboard_command_is_registered() -> None:
    from prisma_infra.cli.app import build_app
    from prisma_infra.plugin_manager import PluginManager
    from typer.testing import CliRunner

    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    result = CliRunner().invoke(build_app(plugins), ["dashboard", "--help"])
    assert result.exit_code == 0, result.output
    assert "--port" in result.output and "--host" in result.output
