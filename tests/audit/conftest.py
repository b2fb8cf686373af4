"""Fixtures for the audit integration suite (see `audit_it_support`)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure

from tests.audit.audit_it_support import PROVIDERS, MakeInfra, fresh_database, reset, settings


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each provider's database, made once per run."""
    return {p: asyncio.run(fresh_database(p, tmp_path_factory.mktemp(f"audit-{p}"))) for p in PROVIDERS}


@pytest.fixture
def database(provider: str, databases: dict[str, tuple[Path, str]], tmp_path: Path) -> tuple[Path, str]:
    """The provider's database, emptied for this test."""
    schema, url = databases[provider]
    if provider == "sqlite":
        copy = tmp_path / "audit.db"
        shutil.copyfile(url.removeprefix("file:"), copy)
        return schema, f"file:{copy}"
    reset(provider, url)
    return schema, url


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
