"""The REST API's docs UI in a real headless browser (Debian's chromium driven by Playwright).

The REST API (`rest_asgi_app`, mounted at ``/api``) over an `Infrastructure` on the real engine
(SQLite, the REST tests' schema) is served by uvicorn on a free port of 127.0.0.1; chromium opens
``/api/docs``. Checked: Swagger UI 5 renders the OpenAPI 3.1 document (every operation listed, the
3.1 badge), every file comes from this server (no CDN), the page's Content-Security-Policy lets it run
(no console error, no violation), and "Try it out" reaches the API. The screenshot is written to
``test-artifacts/docs-ui.png``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.rest.asgi import rest_asgi_app
from starlette.applications import Starlette
from starlette.routing import Mount

from core.tests.rest.rest_support import schema_path, settings
from tests.browser.browser_support import ARTIFACTS, chromium_page
from tests.http_server import serving
from tests.real_databases import pushed

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[str]:
    url = await pushed("sqlite", "docs_ui", schema_path("sqlite"), tmp_path)
    config = settings("sqlite", url, api={"exclude_fields": ["Owner.secret"]})
    async with Infrastructure(config) as infra:
        await infra.repository("owner").create({"name": "Ada", "email": "ada@example.com"})
        app = Starlette(routes=[Mount("/api", app=rest_asgi_app(infra))])
        async with serving(app, lifespan="off") as root:
            yield root


async def test_swagger_ui_renders_the_document_from_local_files(api: str, tmp_path: Path) -> None:
    async with httpx.AsyncClient() as http:
        document = (await http.get(f"{api}/api/openapi.json")).json()
    operations = sum(1 for item in document["paths"].values() for key in item if key != "parameters")
    assert operations >= 40

    console: list[str] = []
    hosts: set[str] = set()
    async with chromium_page(tmp_path, console) as page:
        page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc) if r.url.startswith("http") else None)
        response = await page.goto(f"{api}/api/docs", wait_until="load")
        assert response is not None and response.ok
        await page.wait_for_selector(".opblock", timeout=30_000)
        shown = await page.locator(".opblock").count()
        assert shown == operations  # every operation of the document, each once
        assert "OAS 3.1" in await page.inner_text(".info .version-stamp")
        assert "prisma-infra REST API" in await page.inner_text(".info .title")

        # Try it out: the UI calls the API with the document's server and shows the answer.
        block = page.locator("#operations-Owner-listOwner")
        await block.locator(".opblock-summary").click()
        await block.locator(".try-out__btn").click()
        await block.locator(".execute").click()
        await block.locator(".responses-wrapper .live-responses-table .response-col_status").first.wait_for()
        assert "ada@example.com" in await block.locator(".live-responses-table").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "docs-ui.png"), full_page=False)
    assert hosts == {urlsplit(api).netloc}  # nothing from a CDN
    assert console == []
