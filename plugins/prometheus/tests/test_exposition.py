"""``/metrics``: in the kernel's web app, as an ASGI app in another app, as a WSGI app; scraped and parsed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import httpx
import prisma_infra_prometheus.plugin
import pytest
from prisma_infra_prometheus import asgi_app, wsgi_app
from prisma_infra_sdk.testing import BearerAuth, create_app, require_auth
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from core.tests.doubles import memory_infrastructure


def operations_total(text: str) -> dict[tuple[str, str], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "prisma_infra_operations_total":
                out[(sample.labels["model"], sample.labels["action"])] = sample.value
    return out


def with_prometheus(**monitoring: Any) -> Any:
    infra = memory_infrastructure(monitoring={"exporters": ["prometheus"], **monitoring})
    infra.plugins.register(prisma_infra_prometheus.plugin, name="prometheus")
    return infra


@pytest.fixture
async def infra() -> AsyncIterator[Any]:
    async with with_prometheus() as started:
        users = started.repository("user")
        await users.create({"email": "a@example.com", "name": "A"})
        await users.find_many()
        await users.find_many()
        yield started


TOKEN = "scraper-token-0123456789"


def client(app: Any) -> httpx.AsyncClient:
    """A scraper with a bearer token (``authorization`` in Prometheus' scrape config), on an allowed Host."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost", headers=headers)


def kernel_app(infra: Any) -> Any:
    return create_app(infra, authenticate=BearerAuth(TOKEN))


async def test_scrape_the_kernel_web_app(infra: Any) -> None:
    async with client(kernel_app(infra)) as http:
        response = await http.get("/metrics")
        head = await http.head("/metrics")
        post = await http.post("/metrics")
        anonymous = await http.get("/metrics", headers={"Authorization": ""})
    assert anonymous.status_code == 401  # /metrics is behind the web app's authentication
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert operations_total(response.text) == {("User", "create"): 1, ("User", "findMany"): 2}
    assert head.status_code == 200 and post.status_code == 405


async def test_mounted_in_a_user_asgi_app(infra: Any) -> None:
    user_app = Starlette(routes=[Route("/metrics", asgi_app(infra)), Mount("/mounted", app=asgi_app(infra))])
    async with client(user_app) as http:
        response = await http.get("/metrics")
        mounted = await http.get("/mounted", follow_redirects=True)
        gzipped = await http.get("/metrics", headers={"accept-encoding": "gzip"})
    assert operations_total(response.text)[("User", "findMany")] == 2
    assert operations_total(mounted.text) == operations_total(response.text)
    assert gzipped.headers["content-encoding"] == "gzip" and "prisma_infra_operations_total" in gzipped.text


async def test_rendered_off_the_event_loop(infra: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from prisma_infra_prometheus import PrometheusExporter

    threads: list[str] = []
    render = PrometheusExporter.render

    def spy(self: PrometheusExporter, *args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return render(self, *args)

    monkeypatch.setattr(PrometheusExporter, "render", spy)
    async with client(asgi_app(infra)) as http:
        assert (await http.get("/")).status_code == 200
    assert threads and threads[0] != threading.main_thread().name


async def test_wsgi_app(infra: Any) -> None:
    app = wsgi_app(infra)

    def scrape(method: str = "GET") -> tuple[str, dict[str, str], bytes]:
        environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": "/metrics"}
        setup_testing_defaults(environ)
        status: list[Any] = []
        body = b"".join(app(environ, lambda s, h: status.append((s, dict(h)))))
        return status[0][0], status[0][1], body

    status, headers, body = await asyncio.to_thread(scrape)  # as a WSGI server would: off the loop
    assert status == "200 OK" and headers["Content-Type"].startswith("text/plain")
    assert operations_total(body.decode())[("User", "create")] == 1
    assert (await asyncio.to_thread(scrape, "DELETE"))[0].startswith("405")


async def test_without_the_exporter_configured_the_scrape_explains() -> None:
    infra = memory_infrastructure()
    infra.plugins.register(prisma_infra_prometheus.plugin, name="prometheus")
    async with infra, client(kernel_app(infra)) as http:
        response = await http.get("/metrics")
    assert response.status_code == 503 and "monitoring.exporters" in response.text
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    statuses: list[str] = []
    wsgi_app(memory_infrastructure())(environ, lambda s, h: statuses.append(s))
    assert statuses == ["503 Service Unavailable"]


def test_discovered_through_the_entry_point() -> None:
    from prisma_infra_sdk.testing import PluginManager

    plugins = PluginManager(load=["prometheus"], environ={})
    plugins.load_all()
    assert plugins.is_loaded("prometheus")
    assert "prometheus" in plugins.collect("register_metrics_exporters")
    assert "/metrics" in plugins.collect("register_routes")


async def test_metrics_mounted_in_your_app_behind_the_kernel_guard(infra: Any) -> None:
    guarded = require_auth(asgi_app(infra), infra, authenticate=BearerAuth(TOKEN))
    user_app = Starlette(routes=[Route("/metrics", guarded)])
    async with client(user_app) as http:
        scraped = await http.get("/metrics")
        anonymous = await http.get("/metrics", headers={"Authorization": ""})
        rebound = await http.get("/metrics", headers={"Host": "attacker.example"})
    assert scraped.status_code == 200 and "prisma_infra_operations_total" in scraped.text
    assert anonymous.status_code == 401 and rebound.status_code == 400
