"""Integration fixtures: real Redis and memcached (never skipped), private servers, infrastructures."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent

from prisma_infra.infrastructure import Infrastructure  # noqa: E402

from tests.cache.cache_support import make_infra  # noqa: E402
from tests.cache.servers import Server  # noqa: E402


@pytest.fixture
def namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "db.json"
    path.write_text("{}")
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The integration suite's tables (User, Profile, Post, Tag, Enrollment) pushed once into a SQLite file."""
    import asyncio

    from tests.integration.it_support import fresh_database

    url = asyncio.run(fresh_database("sqlite", tmp_path_factory.mktemp("sqlite_template")))
    return Path(url.removeprefix("file:"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh copy of `sqlite_template` for one test (the Prisma engine's SQLite URL)."""
    copy = tmp_path / "test.db"
    shutil.copyfile(sqlite_template, copy)
    return f"file:{copy}"


@pytest.fixture(params=["redis", "memcached"])
def shared(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def private_server(shared: str) -> Iterator[Server]:
    server = Server(shared).start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def infra_for(db: Path) -> AsyncIterator[Any]:
    """``await infra_for(cache)`` → a started infrastructure, closed after the test."""
    started: list[Infrastructure] = []

    async def build(cache: dict[str, Any], **options: Any) -> Infrastructure:
        infra = make_infra(cache, db, **options)
        await infra.start()
        started.append(infra)
        return infra

    yield build
    for infra in started:
        await infra.close()
