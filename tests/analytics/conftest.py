"""One started `Infrastructure` per provider, on a freshly seeded database (read-only tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure

from tests.analytics.analytics_support import PROVIDERS, Seeded, fresh_database, seed_rows, settings


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=PROVIDERS)
async def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    provider: str = request.param
    url = await fresh_database(provider, tmp_path_factory.mktemp(f"analytics-{provider}"))
    infra = Infrastructure(settings(provider, url))
    await infra.start()
    assert infra.engine.provider == provider
    rows = seed_rows()
    try:
        for i in range(0, len(rows), 1000):
            await infra.repository("account").create_many(rows[i : i + 1000])
        yield Seeded(provider, url, infra, rows)
    finally:
        await infra.close()
