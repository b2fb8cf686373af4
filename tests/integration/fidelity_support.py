"""Databases of the value-fidelity tests (``schema_fidelity/``): one started `Infrastructure` per provider.

Import `fidelity` into a test module (a module-scoped fixture over PostgreSQL, MariaDB and SQLite);
`clean` empties the tables. Every provider gets its tables from the project's ``db push``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure

from tests.integration.it_support import settings as infra_settings
from tests.real_databases import pushed

SCHEMAS = Path(__file__).parent / "schema_fidelity"
MODELS = ("gauge", "site", "counter", "ranked", "flagged", "slot")
#: The settings of each provider's started infrastructure (for a second one on the same database).
SETTINGS: dict[str, dict[str, Any]] = {}


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["postgresql", "mysql", "sqlite"])
async def fidelity(request: pytest.FixtureRequest) -> AsyncIterator[Infrastructure]:
    """A started infrastructure on a fresh ``schema_fidelity`` database, tables emptied."""
    provider: str = request.param
    url = await pushed(provider, "prisma_infra_fidelity", SCHEMAS / provider / "schema.prisma")
    config = infra_settings(provider, url)
    config["database"]["schema_path"] = str(SCHEMAS / provider / "schema.prisma")
    SETTINGS[provider] = config
    started = Infrastructure(config)
    await started.start()
    try:
        yield started
    finally:
        await started.close()


async def clean(infra: Infrastructure) -> None:
    for model in MODELS:
        await infra.repository(model).delete_many()
