"""Fixtures: one started `Infrastructure` on the real Prisma engine per database, per test module.

See `it_support` for how databases are made. Every test gets empty tables.
An unreachable server fails the tests (never a skip).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure

from tests.integration.it_support import PROVIDERS, Database, fresh_database, settings


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=PROVIDERS)
async def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    provider: str = request.param
    url = await fresh_database(provider, tmp_path_factory.mktemp(provider))
    infra = Infrastructure(settings(provider, url))
    await infra.start()
    assert infra.engine.provider == provider
    try:
        yield Database(provider, url, infra)
    finally:
        await infra.close()


@pytest_asyncio.fixture(loop_scope="module")
async def infra(db: Database) -> AsyncIterator[Infrastructure]:
    await db.clean()
    yield db.infra
