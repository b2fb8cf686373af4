"""Databases of the value-fidelity tests (``schema_fidelity/``): one started `Infrastructure` per provider.

Import `fidelity` into a test module (a module-scoped fixture over PostgreSQL, MariaDB and SQLite);
`clean` empties the tables. PostgreSQL and SQLite get their tables from ``db_push``; MariaDB from
the statements below (the wasm schema engine cannot push to MySQL), as ``prisma migrate diff``
writes them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from it_support import MYSQL_SERVER, PG_SERVER, _admin
from it_support import settings as infra_settings
from prisma_infra.config.model import DatabaseConfig
from prisma_infra.infrastructure import Infrastructure
from prisma_infra_prisma.datasource import resolve_database
from prisma_infra_prisma.schema_sync import db_push

SCHEMAS = Path(__file__).parent / "schema_fidelity"
DB_NAME = "prisma_infra_fidelity" + os.environ.get("PRISMA_INFRA_TEST_DB_SUFFIX", "")
MODELS = ("gauge", "site", "counter", "ranked", "flagged", "slot")
#: The settings of each provider's started infrastructure (for a second one on the same database).
SETTINGS: dict[str, dict[str, Any]] = {}

_MYSQL_TABLES = (
    "CREATE TABLE `Site` (`id` INTEGER NOT NULL AUTO_INCREMENT, `name` VARCHAR(191) NOT NULL, "
    "`area` DOUBLE NULL, PRIMARY KEY (`id`))",
    "CREATE TABLE `Gauge` (`id` INTEGER NOT NULL AUTO_INCREMENT, `label` VARCHAR(191) NOT NULL, "
    "`reading` DOUBLE NOT NULL DEFAULT 0, `amount` DECIMAL(65,30) NULL, `total` BIGINT NOT NULL DEFAULT 0, "
    "`hits` INTEGER NOT NULL DEFAULT 0, `siteId` INTEGER NULL, PRIMARY KEY (`id`), "
    "CONSTRAINT `Gauge_siteId_fkey` FOREIGN KEY (`siteId`) REFERENCES `Site`(`id`) "
    "ON DELETE CASCADE ON UPDATE CASCADE)",
    "CREATE TABLE `Counter` (`id` BIGINT NOT NULL, `value` BIGINT NOT NULL, `note` VARCHAR(191) NULL, "
    "PRIMARY KEY (`id`))",
    "CREATE TABLE `Ranked` (`tier` ENUM('SILVER', 'GOLD', 'BRONZE', 'PLATINUM') NOT NULL, `id` INTEGER NOT NULL, "
    "`note` VARCHAR(191) NULL, PRIMARY KEY (`tier`, `id`))",
    "CREATE TABLE `Flagged` (`active` BOOLEAN NOT NULL, `rank` INTEGER NOT NULL, `note` VARCHAR(191) NULL, "
    "PRIMARY KEY (`active`, `rank`))",
    "CREATE TABLE `Slot` (`day` INTEGER NOT NULL, `tier` ENUM('SILVER', 'GOLD', 'BRONZE', 'PLATINUM') NOT NULL, "
    "`open` BOOLEAN NOT NULL, PRIMARY KEY (`day`, `tier`, `open`))",
)


async def _fresh(provider: str) -> str:
    schema = SCHEMAS / provider / "schema.prisma"
    if provider == "sqlite":
        url = f"file:{tempfile.mkdtemp()}/fidelity.db"
    elif provider == "postgresql":
        url = f"{PG_SERVER}/{DB_NAME}"
        _admin(provider, f"{PG_SERVER}/postgres", f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        _admin(provider, f"{PG_SERVER}/postgres", f'CREATE DATABASE "{DB_NAME}"')
    else:
        url = f"{MYSQL_SERVER}/{DB_NAME}"
        _admin(provider, f"{MYSQL_SERVER}/mysql", f"DROP DATABASE IF EXISTS `{DB_NAME}`")
        _admin(provider, f"{MYSQL_SERVER}/mysql", f"CREATE DATABASE `{DB_NAME}`")
        for statement in _MYSQL_TABLES:
            _admin(provider, url, statement)
        return url
    await db_push(resolve_database(DatabaseConfig(schema_path=str(schema), url=url), schema.parent))
    return url


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["postgresql", "mysql", "sqlite"])
async def fidelity(request: pytest.FixtureRequest) -> AsyncIterator[Infrastructure]:
    """A started infrastructure on a fresh ``schema_fidelity`` database, tables emptied."""
    provider: str = request.param
    url = await _fresh(provider)
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
