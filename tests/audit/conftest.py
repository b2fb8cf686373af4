"""Fixtures for the audit integration suite (see `audit_it_support`)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parent))

from audit_it_support import PROVIDERS, MakeInfra, fresh_database, settings


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database(provider: str, tmp_path: Path) -> tuple[Path, str]:
    return await fresh_database(provider, tmp_path / "db")


@pytest.fixture
def make_infra(database: tuple[Path, str], tmp_path: Path) -> MakeInfra:
    """``async with make_infra(**settings) as infra``: an infrastructure on the test's database."""
    schema, url = database

    @asynccontextmanager
    async def make(**sections: Any) -> AsyncIterator[Infrastructure]:
        infra = Infrastructure(settings(schema, url, tmp_path, **sections))
        await infra.start()
        try:
            yield infra
        finally:
            await infra.close()

    return make


@pytest.fixture
async def infra(make_infra: MakeInfra) -> AsyncIterator[Infrastructure]:
    async with make_infra() as started:
        yield started
