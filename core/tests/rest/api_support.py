"""The REST core's tests (``test_api_*``): a real database per provider and a `RestApi` over it.

`api_database` is a module-scoped fixture: the schema ``api_schema/schema.prisma.template``
pushed to a fresh SQLite file and PostgreSQL database, one started `Infrastructure` with
`settings` (cache off, a policy on Post, ``User.secretNote`` excluded, Badge hidden, Slot
read-only). `ApiClient` sends `ApiRequest` objects to `RestApi.handle` and decodes the answers;
the `client` fixture is one on emptied tables.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.policies import bypass_policies
from prisma_infra.rest.api import RestApi
from prisma_infra.rest.request import ApiRequest, ApiResponse

from core.tests.rest.rest_support import PROVIDERS, RestDatabase, started_database
from tests.integration.it_support import settings as infra_settings

TEMPLATE = Path(__file__).parent / "api_schema" / "schema.prisma.template"
BASE = "http://test.local/api"
#: Children first (the order `clean` deletes in).
MODELS = ("Badge", "Post", "User", "Enrollment", "Slot")

POLICIES: dict[str, Any] = {
    "policies": [
        {
            "name": "posts",
            "rules": [
                {"name": "everyone", "effect": "allow", "actions": ["all"]},
                {"name": "readers-keep-posts", "effect": "deny", "actions": ["delete"], "roles": ["READER"]},
            ],
        }
    ]
}
API: dict[str, Any] = {"exclude_fields": ["User.secretNote"], "page_size": 2, "bulk_batch_size": 2, "bulk_max": 10}
MODEL_SETTINGS: dict[str, Any] = {
    "Post": {**POLICIES, "searchable": ["title", "body"]},
    "Badge": {"api": {"enabled": False}},
    "Slot": {"api": {"actions": ["list", "read"]}},
}


def schema_for(provider: str, folder: Path) -> Path:
    path = folder / "schema.prisma"
    path.write_text(TEMPLATE.read_text().replace("__PROVIDER__", provider))
    return path


def settings(provider: str, url: str, *, schema: Path, **extra: Any) -> dict[str, Any]:
    config = infra_settings(provider, url)
    config["database"]["schema_path"] = str(schema)
    config["api"] = dict(API)
    config["models"] = {name: dict(spec) for name, spec in MODEL_SETTINGS.items()}
    for key, value in extra.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    return config


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=PROVIDERS)
async def api_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RestDatabase]:
    provider: str = request.param
    folder = tmp_path_factory.mktemp(f"rest-api-{provider}")
    schema = schema_for(provider, folder)
    configure = functools.partial(settings, schema=schema)
    async with started_database(provider, "prisma_infra_rest_api", schema, folder, configure) as database:
        yield database


async def clean(infra: Infrastructure) -> None:
    with bypass_policies():
        for model in MODELS:
            await infra.call(model, "deleteMany", {})


@dataclass
class Answer:
    """An `ApiResponse` with its JSON decoded."""

    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


class ApiClient:
    """Sends requests to `RestApi.handle` as an adapter would."""

    def __init__(self, infra: Infrastructure) -> None:
        self.infra = infra
        self.api = RestApi(infra)

    async def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Sequence[tuple[str, str]] | Mapping[str, str] = (),
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        pairs = list(query.items()) if isinstance(query, Mapping) else list(query)
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        if data and "content-type" not in sent:
            sent["content-type"] = "application/json"
        response: ApiResponse = await self.api.handle(ApiRequest(method, path, pairs, sent, data, BASE))
        return Answer(response.status, response.headers, response.body)

    async def get(self, path: str, **kwargs: Any) -> Answer:
        return await self.send("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return await self.send("POST", path, body, **kwargs)


@pytest_asyncio.fixture(loop_scope="module")
async def client(api_database: RestDatabase) -> AsyncIterator[ApiClient]:
    """An `ApiClient` on `api_database`, its tables emptied first (import it with `api_database`)."""
    await clean(api_database.infra)
    yield ApiClient(api_database.infra)
