"""The closed web app served by a real uvicorn on 127.0.0.1, spoken to over real HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prisma_infra.config.loader import load_config
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager

from core.tests.doubles import DoubleEnginePlugin, memory_infrastructure
from tests.http_server import serving

TOKEN = "real-server-token-0123456789"


async def test_real_server_needs_the_token_and_an_allowed_host() -> None:
    settings = {"web": {"token": TOKEN}, "dashboard_interval": 0.1}
    async with (
        memory_infrastructure(monitoring=settings) as infra,
        serving(infra.web_app(), lifespan="off") as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        anonymous = await http.get("/dashboard/api/snapshot")
        health = await http.get("/healthz")
        auth = {"Authorization": f"Bearer {TOKEN}"}
        snapshot = await http.get("/dashboard/api/snapshot", headers=auth)
        rebound = await http.get("/dashboard/api/snapshot", headers={**auth, "Host": "evil.example:80"})
        refused_stream = await http.get("/dashboard/api/events")
        async with http.stream("GET", "/dashboard/api/events", headers=auth) as stream:
            assert stream.status_code == 200
            received = b""
            async for chunk in stream.aiter_bytes():
                received += chunk
                if b"event: snapshot" in received:
                    break
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    assert health.status_code == 200
    assert snapshot.status_code == 200 and snapshot.json()["started"] is True
    assert rebound.status_code == 400
    assert refused_stream.status_code == 401
    assert b"event: snapshot" in received


async def test_a_token_rotated_in_the_secrets_file_takes_effect_without_a_restart(tmp_path: Path) -> None:
    """Only the secret changes: the reload must still see it (the JSON dump masks every secret alike)."""
    settings, secrets = tmp_path / "settings.toml", tmp_path / ".secrets.toml"
    settings.write_text('[default]\ndatabase.engine = "memory-double"\ncache.enabled = false\n')
    secrets.write_text(f'[default]\nmonitoring.web.token = "{TOKEN}"\n')
    rotated = "rotated-token-9876543210abcdef"
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    plugins.register(DoubleEnginePlugin())
    infra = Infrastructure(load_config(settings, env={}), plugin_manager=plugins)
    async with infra, serving(infra.web_app(), lifespan="off") as url, httpx.AsyncClient(base_url=url) as http:
        watcher = await infra.watch(polling=True, debounce_ms=50)
        before = await http.get("/dashboard/api/snapshot", headers={"Authorization": f"Bearer {TOKEN}"})
        async with watcher.reloaded:
            await asyncio.to_thread(secrets.write_text, f'[default]\nmonitoring.web.token = "{rotated}"\n')
            await asyncio.wait_for(watcher.reloaded.wait_for(lambda: bool(watcher.history)), 10)
        old = await http.get("/dashboard/api/snapshot", headers={"Authorization": f"Bearer {TOKEN}"})
        new = await http.get("/dashboard/api/snapshot", headers={"Authorization": f"Bearer {rotated}"})
    assert before.status_code == 200
    assert watcher.history == [{"monitoring.web.token": "**********"}]  # masked, never the token
    assert old.status_code == 401
    assert new.status_code == 200
