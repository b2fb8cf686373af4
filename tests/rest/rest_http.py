"""The REST API served over real HTTP for the suites under ``tests/rest``: a FastAPI app (``PrismaInfra``, the API
at ``/api``) under uvicorn in a thread on a free port of 127.0.0.1, on a fresh SQLite or PostgreSQL database of
the REST schema (core/tests/rest/schema), seeded with a few records of every model.

Import `served` into a test module (module-scoped, one server per provider); ``served.url + "/api"`` is the root.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.integrations.fastapi import PrismaInfra

from core.tests.rest.rest_support import PROVIDERS, schema_path, settings
from tests.http_server import ServedApp, asgi_server
from tests.real_databases import pushed

__all__ = ["API", "served"]

API = {"exclude_fields": ["Owner.secret"], "page_size": 5, "max_page_size": 20}


@pytest.fixture(scope="module", params=PROVIDERS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    provider: str = request.param
    folder = tmp_path_factory.mktemp(f"rest-http-{provider}")
    name = f"prisma_infra_rest_http_{request.module.__name__.rsplit('.', 1)[-1]}"
    url = asyncio.run(pushed(provider, name[:60], schema_path(provider), folder))
    integration = PrismaInfra(Infrastructure(settings(provider, url, api=API)))
    app = FastAPI(lifespan=integration.lifespan)
    integration.install(app)
    with asgi_server(app) as server:
        seed(server.url + "/api")
        yield server


def seed(api: str) -> None:
    """A few records of every model, so that generated keys and filters sometimes meet one."""
    with httpx.Client(base_url=api) as client:
        for i in (1, 2):
            owner = client.post("/owner", json={"name": f"Owner {i}", "email": f"o{i}@example.com"})
            assert owner.status_code == 201, owner.text
            item = {
                "name": f"item {i}",
                "big": str(2**53 + i),
                "ratio": 0.5,
                "price": "10.25",
                "active": True,
                "at": "2024-05-01T12:00:00Z",
                "blob": base64.b64encode(b"\x00\x01").decode(),
                "meta": {"i": i},
                "owner": {"connect": {"id": owner.json()["id"]}},
            }
            assert client.post("/item", json=item).status_code == 201
            post = client.post("/blogPost", json={"title": f"Post {i}", "authorId": owner.json()["id"]})
            assert post.status_code == 201, post.text
            assert client.post("/slot", json={"day": i, "tier": "PRO", "label": "x"}).status_code == 201
