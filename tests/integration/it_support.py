"""Support for the integration suite: fresh databases per provider and the settings to reach them.

Each database is made fresh for a run: PostgreSQL and MariaDB get a dedicated
database (``prisma_infra_it``) dropped and recreated; SQLite a new file.
Tables come from the prisma-infra tooling itself: ``db_push`` (PostgreSQL,
SQLite) and ``migrate_deploy`` of ``schema/mysql/migrations`` (MariaDB).
Every test starts with empty tables.

An unreachable server fails the tests (never a skip). Override the servers
with ``PRISMA_INFRA_TEST_PG_URL`` / ``PRISMA_INFRA_TEST_MYSQL_URL`` (server
URLs without a database name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prisma_infra.infrastructure import Infrastructure
from prisma_infra_prisma.migrate import migrate_deploy
from prisma_infra_prisma.schema_sync import db_push

from tests.real_databases import recreate, resolved

SCHEMAS = Path(__file__).parent / "schema"
PROVIDERS = ["postgresql", "mysql", "sqlite"]

#: Deleting users cascades to profiles, posts and their tag links.
CLEAN_ORDER = ("enrollment", "tag", "user")


def schema_path(provider: str) -> Path:
    return SCHEMAS / provider / "schema.prisma"


async def fresh_database(provider: str, tmp: Path) -> str:
    """Create an empty database with the test schema's tables; return its URL."""
    url = recreate(provider, "prisma_infra_it", tmp)
    schema = schema_path(provider)
    database = resolved(schema, url)
    if provider == "mysql":
        result = await migrate_deploy(database, schema.parent / "migrations")
        assert list(result.applied) == ["0001_init"], result
    else:
        pushed = await db_push(database)
        assert pushed.executed_steps > 0, pushed
    return url


def settings(provider: str, url: str, **database: Any) -> dict[str, Any]:
    return {
        "database": {
            "engine": "prisma",
            "schema_path": str(schema_path(provider)),
            "url": url,
            "pool_size": 5,
            "operation_timeout": 30,
            "transaction_timeout": 10,
            "transaction_max_wait": 10,
            **database,
        },
        "plugins": {"load": ["prisma"]},
        # The suite checks what reaches the database; caching has its own tests.
        "cache": {"enabled": False},
    }


class Database:
    """One provider's database: its URL and the started infrastructure on it."""

    def __init__(self, provider: str, url: str, infra: Infrastructure) -> None:
        self.provider = provider
        self.url = url
        self.infra = infra

    async def clean(self) -> None:
        for model in CLEAN_ORDER:
            await self.infra.repository(model).delete_many()
