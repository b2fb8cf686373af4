"""The engine kit over the Prisma engine (SQLite) and the SDK's own `MemoryEngine` double."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prisma_infra.providers import Engine
from prisma_infra_sdk.testing import EngineContract, MemoryEngine, kit_datamodel

from tests.sdk.prisma_sqlite import DDL, sqlite_engine

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def prisma_sqlite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engine]:
    # One engine (one Node bridge) for the module: the kit empties the tables before each test.
    engine = await sqlite_engine(tmp_path_factory.mktemp("prisma-sqlite"))
    yield engine
    await engine.close()


class TestPrismaEngineOnSqlite(EngineContract):
    pytestmark = [pytest.mark.asyncio(loop_scope="module")]

    @pytest.fixture
    def engine(self, prisma_sqlite: Engine) -> Engine:
        return prisma_sqlite


class TestMemoryEngine(EngineContract):
    @pytest.fixture
    def engine(self) -> MemoryEngine:
        return MemoryEngine()


COVERED = {"prisma": TestPrismaEngineOnSqlite, "sdk-memory": TestMemoryEngine}


def test_sqlite_ddl_matches_the_kit_schema() -> None:
    for model in kit_datamodel()["models"]:
        table = next(s for s in DDL if s.startswith(f'CREATE TABLE "{model["name"]}"'))
        for field in model["fields"]:
            assert field["kind"] == "object" or f'"{field["name"]}"' in table, (model["name"], field["name"])
