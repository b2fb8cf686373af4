"""The REST API tests' databases: the schema under ``schema/<provider>/`` on SQLite and PostgreSQL.

`rest_database` is a module-scoped fixture (one started `Infrastructure` per provider, the tables
from the project's ``db push``); import it into a test module and call `clean` per test.
`start` builds another infrastructure on the same database with extra settings (the api section).
`started_database` is the machinery of such a fixture for any schema (``api_support`` uses it for its own).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure

from tests.integration.it_support import settings as infra_settings
from tests.real_databases import pushed

SCHEMAS = Path(__file__).parent / "schema"
PROVIDERS = ["sqlite", "postgresql"]
#: Children first (the order `clean` deletes in).
MODELS = ("item", "blogPost", "slot", "owner")


def schema_path(provider: str) -> Path:
    return SCHEMAS / provider / "schema.prisma"


def settings(provider: str, url: str, **extra: Any) -> dict[str, Any]:
    """The settings of an infrastructure on ``url`` with this schema (``extra``: more top-level sections)."""
    config = infra_settings(provider, url)
    config["database"]["schema_path"] = str(schema_path(provider))
    config.update(extra)
    return config


#: ``configure(provider, url, **extra)``: the settings of an infrastructure on a database of one schema.
Configure = Callable[..., dict[str, Any]]


@dataclass
class RestDatabase:
    provider: str
    url: str
    infra: Infrastructure
    configure: Configure = field(default=settings, repr=False)

    async def start(self, **extra: Any) -> Infrastructure:
        """Another started infrastructure on this database with more settings (close it yourself)."""
        started = Infrastructure(self.configure(self.provider, self.url, **extra))
        await started.start()
        return started


@contextlib.asynccontextmanager
async def started_database(
    provider: str, name: str, schema: Path, folder: Path, configure: Configure = settings
) -> AsyncIterator[RestDatabase]:
    """``schema`` pushed to a fresh database ``name`` of ``provider``, one infrastructure started on it."""
    url = await pushed(provider, name, schema, folder)
    started = Infrastructure(configure(provider, url))
    await started.start()
    try:
        yield RestDatabase(provider, url, started, configure)
    finally:
        await started.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=PROVIDERS)
async def rest_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RestDatabase]:
    """A started infrastructure on a fresh database of the REST schema, per provider."""
    provider: str = request.param
    folder = tmp_path_factory.mktemp(provider)
    async with started_database(provider, "prisma_infra_rest", schema_path(provider), folder) as database:
        yield database


async def clean(infra: Infrastructure) -> None:
    for model in MODELS:
        await infra.repository(model).delete_many()
    if infra.schema.has_model("listing"):
        await infra.repository("listing").delete_many()
