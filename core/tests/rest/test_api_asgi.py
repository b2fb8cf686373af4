"""rest_asgi_app (rest/asgi.py): the REST API served by uvicorn over real HTTP, mounted under a prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from prisma_infra.context import acting_as
from prisma_infra.rest.asgi import rest_asgi_app
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from core.tests.rest.api_support import api_database, clean
from core.tests.rest.rest_support import RestDatabase
from tests.http_server import serving

__all__ = ["api_database"]

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


class Actor:
    """A stand-in for the integration's middleware: the request acts as a fixed actor."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with acting_as({"id": 1, "roles": ["READER"]}):
            await self.app(scope, receive, send)


@pytest_asyncio.fixture(loop_scope="module")
async def http(api_database: RestDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await clean(api_database.infra)
    app = Starlette(routes=[Mount("/api", app=Actor(rest_asgi_app(api_database.infra)))])
    async with serving(app, lifespan="off") as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def test_crud_and_links_over_http(http: httpx.AsyncClient) -> None:
    created = await http.post("/api/user", json={"email": "a@x.io"})
    assert created.status_code == 201
    location = created.headers["location"]
    root = str(http.base_url).rstrip("/")
    assert location == f"{root}/api/user/{created.json()['id']}"
    assert (await http.get(location)).json()["email"] == "a@x.io"
    for i in range(3):
        await http.post("/api/user", json={"email": f"u{i}@x.io"})
    page = await http.get("/api/user", params={"per_page": "2"})
    assert page.json()["page"]["total"] == 4
    assert page.links["next"]["url"].startswith(f"{root}/api/user?")
    follow = await http.get(page.links["next"]["url"])
    assert len(follow.json()["data"]) == 2


async def test_every_path_reaches_the_api(api_database: RestDatabase) -> None:
    """No router in front of the API: a path with a newline still gets the API's problem+json."""
    await clean(api_database.infra)
    async with serving(rest_asgi_app(api_database.infra)) as url, httpx.AsyncClient(base_url=url) as client:
        odd = await client.get("/slot/%0Aday/1")
        assert odd.status_code == 404 and odd.headers["content-type"] == "application/problem+json"
        assert (await client.get("/openapi.json")).json()["servers"][0]["url"] == url
        await api_database.infra.repository("slot").create({"day": "mon/tue", "hour": 9})
        made = await client.get("/slot/mon%2Ftue/9")  # an encoded slash stays inside its segment
        assert made.status_code == 200 and made.json()["day"] == "mon/tue"


async def test_problems_and_limits_over_http(http: httpx.AsyncClient) -> None:
    missing = await http.get("/api/user/999")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert (await http.post("/api/user", content=b"x=1", headers={"content-type": "text/plain"})).status_code == 415
    big = await http.post(
        "/api/user", content=b"{" + b" " * (1 << 20) + b"}", headers={"content-type": "application/json"}
    )
    assert big.status_code == 413
    orphan = await http.post("/api/post", json={"title": "t", "authorId": 999})
    assert orphan.status_code == 409 and orphan.json()["code"] == "foreign_key"
    etag = (await http.get("/api/user")).headers["etag"]
    assert (await http.get("/api/user", headers={"if-none-match": etag})).status_code == 304
