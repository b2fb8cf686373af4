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

import os
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.config.model import DatabaseConfig
from prisma_infra.infrastructure import Infrastructure
from prisma_infra_prisma.datasource import ScriptFailure, call_script, resolve_database
from prisma_infra_prisma.migrate import migrate_deploy
from prisma_infra_prisma.schema_sync import db_push

SCHEMAS = Path(__file__).parent / "schema"
PROVIDERS = ["postgresql", "mysql", "sqlite"]
DB_NAME = "prisma_infra_it" + os.environ.get("PRISMA_INFRA_TEST_DB_SUFFIX", "")
PG_SERVER = os.environ.get("PRISMA_INFRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
MYSQL_SERVER = os.environ.get("PRISMA_INFRA_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")

#: Deleting users cascades to profiles, posts and their tag links.
CLEAN_ORDER = ("enrollment", "tag", "user")


def schema_path(provider: str) -> Path:
    return SCHEMAS / provider / "schema.prisma"


def _admin(provider: str, url: str, script: str) -> None:
    try:
        call_script("migrate.mjs", {"op": "execute", "provider": provider, "url": url, "script": script})
    except ScriptFailure as exc:
        pytest.fail(f"{provider} server at {url} is not usable for the integration suite: {exc.message}")


async def fresh_database(provider: str, tmp: Path) -> str:
    """Create an empty database with the test schema's tables; return its URL."""
    if provider == "sqlite":
        url = f"file:{tmp / 'it.db'}"
    elif provider == "postgresql":
        url = f"{PG_SERVER}/{DB_NAME}"
        _admin(provider, f"{PG_SERVER}/postgres", f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        _admin(provider, f"{PG_SERVER}/postgres", f'CREATE DATABASE "{DB_NAME}"')
    else:
        url = f"{MYSQL_SERVER}/{DB_NAME}"
        _admin(provider, f"{MYSQL_SERVER}/mysql", f"DROP DATABASE IF EXISTS `{DB_NAME}`")
        collation = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        _admin(provider, f"{MYSQL_SERVER}/mysql", f"CREATE DATABASE `{DB_NAME}` {collation}")
    schema = schema_path(provider)
    resolved = resolve_database(DatabaseConfig(schema_path=str(schema), url=url), schema.parent)  # type: ignore[arg-type]
    if provider == "mysql":
        result = await migrate_deploy(resolved, schema.parent / "migrations")
        assert list(result.applied) == ["0001_init"], result
    else:
        pushed = await db_push(resolved)
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
