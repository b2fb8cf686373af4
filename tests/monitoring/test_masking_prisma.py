"""No value in clear leaves through monitoring, on the real Prisma engine (SQLite, examples/blog):
recent errors and slow operations, the dashboard snapshot and SSE stream over real HTTP, and log
records (the bridge's ``log_queries`` lines included)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prisma_infra.config import load_config
from prisma_infra.errors import UniqueConstraintError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Operation
from prisma_infra.pipeline import Handler, Middleware
from prisma_infra.web import BearerAuth

from tests.http_server import serving

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "zebulon.quint@example.com"
NAME = "Zebulon Quintessa"
CARD = "4111 1111 1111 1111"
SECRETS = (EMAIL, "zebulon.quint@", NAME, "Quintessa", CARD, "4111111111111111")


class Refuse(Middleware):
    """An application rule that echoes the values it refuses, as real code does."""

    name = "refuse"
    order = 200

    def __init__(self, infrastructure: Infrastructure) -> None:
        self.infrastructure = infrastructure

    def wrap(self, call: Handler) -> Handler:
        async def handler(operation: Operation) -> Any:
            data = operation.args.get("data") or {}
            if operation.model == "Post" and str(data.get("title", "")).startswith("refused"):
                raise ValueError(f"card {data['body']} declined for {data['slug']} ({data['title']})")
            return await call(operation)

        return handler


class Extras:
    name = "masking-extras"

    @hookimpl
    def register_middleware(self, register: Callable[[str, Any], None]) -> None:
        register("refuse", Refuse)

    @hookimpl
    def register_dashboard_panels(self, register: Callable[[str, Any], None]) -> None:
        def broken() -> Any:
            raise RuntimeError(f"lookup of {EMAIL} failed")

        register("broken", {"title": "Broken", "data": broken})


@pytest.fixture
async def infra(tmp_path: Path) -> AsyncIterator[Infrastructure]:
    from prisma_infra_prisma.datasource import resolve_database
    from prisma_infra_prisma.schema_sync import db_push

    folder = tmp_path / "blog"
    shutil.copytree(ROOT / "examples" / "blog", folder, ignore=shutil.ignore_patterns("*.db", "generated"))
    overrides = {
        "database": {"options": {"log_queries": True}},
        "monitoring": {"slow_operation_ms": 0.001, "dashboard_interval": 0.5},
    }
    loaded = load_config(folder / "settings.toml", environment="test", overrides=overrides)
    await db_push(resolve_database(loaded.config.database, Path(loaded.config.base_dir)))
    async with Infrastructure(loaded, plugins=[Extras()]) as started:
        yield started


async def _fail_in_every_way(infra: Infrastructure) -> None:
    users, posts = infra.repository("user"), infra.repository("post")
    author = await users.create({"email": EMAIL, "name": NAME})
    with pytest.raises(UniqueConstraintError):
        await users.create({"email": EMAIL, "name": NAME})
    with pytest.raises(ValueError, match="declined"):
        await posts.create({"title": f"refused {NAME}", "slug": EMAIL, "body": CARD, "authorId": author["id"]})
    await users.find_many(where={"email": EMAIL, "name": {"contains": NAME}})
    await infra.call(None, "queryRaw", {"sql": f"SELECT id FROM \"User\" WHERE email = '{EMAIL}'"})


async def test_nothing_leaves_in_clear(infra: Infrastructure, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="prisma_infra"):
        await _fail_in_every_way(infra)
        snapshot = infra.monitor.snapshot()
        token = "masking-test-token-0123456789"  # the web app is closed by default
        app = infra.web_app(authenticate=BearerAuth(token))
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            serving(app, lifespan="off") as url,
            httpx.AsyncClient(base_url=url, timeout=10, headers=headers) as http,
        ):
            served = await http.get("/dashboard/api/snapshot")
            async with http.stream("GET", "/dashboard/api/events") as events:
                first = b""
                async for chunk in events.aiter_bytes():
                    first += chunk
                    if b"event: snapshot" in first and first.endswith(b"\n\n"):
                        break
    assert served.status_code == 200 and b"event: snapshot\ndata: {" in first
    errors = {e["error_class"]: e for e in snapshot["recent_errors"]}
    assert set(errors) == {"UniqueConstraintError", "ValueError"}
    refused = errors["ValueError"]
    assert refused["message"].startswith("card **** **** **** 1111 declined for ")
    assert "ValueError" in refused["traceback"] and "declined" in refused["traceback"]
    assert errors["UniqueConstraintError"]["args"]["data"]["email"] == "z***@example.com"
    slow = {s["action"]: s for s in snapshot["slow_operations"]}
    assert slow["findMany"]["args"]["where"]["email"] == "z***@example.com"
    assert slow["queryRaw"]["args"]["sql"] == 'SELECT id FROM "User" WHERE email = ?'  # a raw query stays readable
    queries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("query: ")]
    assert any(q.startswith('query: SELECT id FROM "User" WHERE email = ? (0 params, ') for q in queries), queries
    places = {
        "monitor": repr(snapshot),
        "snapshot over HTTP": served.text,
        "SSE": first.decode(),
        "logs": "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
    }
    leaks = {(place, secret) for place, text in places.items() for secret in SECRETS if secret in text}
    assert leaks == set()
    assert "Broken" in served.text and "lookup of z***@example.com failed" in served.text  # the panel's error
