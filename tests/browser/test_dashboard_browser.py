"""The live dashboard in a real headless browser (Debian's chromium driven by Playwright).

An `Infrastructure` on the real Prisma engine (SQLite, a copy of examples/blog)
runs operations; the kernel's web app is served by uvicorn on a free port of
127.0.0.1 in this event loop; chromium opens the dashboard. Checked: the page
loads, a chart draws the operations the test ran, the live operations counter
moves after new operations (server-sent events), and the console stays clean.
The screenshot is written to ``test-artifacts/dashboard.png``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prisma_infra.config import load_config
from prisma_infra.errors import UniqueConstraintError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.web import create_app

from tests.browser.browser_support import ARTIFACTS, ROOT, chromium_page
from tests.http_server import serving

pytestmark = pytest.mark.integration

TOKEN = "browser-test-token-0123456789"


@pytest.fixture
async def infra(tmp_path: Path) -> AsyncIterator[Infrastructure]:
    from prisma_infra_prisma.datasource import resolve_database
    from prisma_infra_prisma.schema_sync import db_push

    folder = tmp_path / "blog"
    shutil.copytree(ROOT / "examples" / "blog", folder, ignore=shutil.ignore_patterns("*.db", "generated"))
    overrides = {
        "monitoring": {
            "dashboard_interval": 0.5,
            "exporters": ["prometheus"],
            "n_plus_one_threshold": 5,
            "web": {"token": TOKEN},  # the web app is closed by default
        }
    }
    loaded = load_config(folder / "settings.toml", environment="test", overrides=overrides)
    await db_push(resolve_database(loaded.config.database, Path(loaded.config.base_dir)))
    async with Infrastructure(loaded) as started:
        yield started


@pytest.fixture
async def server(infra: Infrastructure) -> AsyncIterator[str]:
    # A short graceful shutdown: the page's event stream would hold the server open.
    async with serving(create_app(infra), lifespan="off", timeout_graceful_shutdown=1) as url:
        yield url


async def workload(infra: Infrastructure) -> None:
    users, posts = infra.repository("user"), infra.repository("post")
    for a in range(3):
        user = await users.create({"email": f"writer{a}@example.com", "name": f"Writer {a}"})
        for p in range(3):
            await posts.create({"title": f"T{a}{p}", "slug": f"t-{a}-{p}", "body": "…", "authorId": user["id"]})
    with pytest.raises(UniqueConstraintError):
        await users.create({"email": "writer0@example.com", "name": "Duplicate"})
    with infra.acting_as("reader", request_id="n-plus-one"):
        for post in await posts.find_many():
            await users.find_unique({"id": post["authorId"]})
    await posts.count()


def digits(text: str) -> int:
    return int("".join(c for c in text if c.isdigit()) or 0)


async def test_dashboard_in_headless_chromium(infra: Infrastructure, server: str, tmp_path: Path) -> None:
    await workload(infra)
    before = infra.monitor.operations
    assert before >= 20

    async with httpx.AsyncClient(base_url=server) as http:
        assert (await http.get("/dashboard/")).status_code == 401  # no token, no dashboard

    console_errors: list[str] = []
    # The token is sent with every request the page makes, the EventSource stream included.
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with chromium_page(tmp_path, console_errors, extra_http_headers=auth) as page:
        response = await page.goto(f"{server}/dashboard/", wait_until="load")
        assert response is not None and response.ok
        assert await page.title() == "prisma-infra dashboard"

        # The page rendered a pushed snapshot and the charts hold the test's operations.
        await page.wait_for_function("Number(document.body.dataset.updates) >= 2", polling=100, timeout=20_000)
        shown = digits(await page.inner_text("#ops-total"))
        assert shown >= before
        plotted: Any = await page.evaluate(
            "() => document.getElementById('chart-ops').data[0].y.reduce((a, b) => a + b, 0)"
        )
        assert plotted >= before
        models: Any = await page.evaluate("() => document.getElementById('chart-models').data[0].y")
        assert {"User", "Post"} <= set(models)
        assert await page.locator("#chart-latency .main-svg").count() >= 1
        assert "UniqueConstraintError" in await page.inner_text("#recent-errors")
        assert "N+1" in await page.inner_text("#findings")
        assert "No KPIs yet" in await page.inner_text("#kpis")
        assert "No alert rules yet" in await page.inner_text("#alerts")
        assert "Runtime" in await page.inner_text("#plugin-panels")

        # The live counter moves after new operations, without reloading the page.
        for _ in range(20):
            await infra.repository("user").count()
        expected = infra.monitor.operations
        await page.wait_for_function(
            f"Number(document.getElementById('ops-total').textContent.replace(/[^0-9]/g, '')) >= {expected}",
            polling=100,
            timeout=20_000,
        )
        assert await page.inner_text("#live") == "live"
        assert (await page.inner_text("#health")).startswith("ready")

        ARTIFACTS.mkdir(exist_ok=True)
        await page.wait_for_timeout(400)  # cosmetic: the charts finish drawing for the artifact (nothing asserted)
        await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert console_errors == []
