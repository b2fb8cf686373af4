"""Fresh test databases on the real servers, shared by the suites under ``tests/``.

`recreate` gives an empty database (PostgreSQL and MariaDB: dropped and created
again under the given name; SQLite: a new file) and `pushed` also gives it the
tables of a schema with the project's own ``db push`` (on MariaDB too: the
project renders Prisma's MySQL DDL itself). Names take
``PRISMA_INFRA_TEST_DB_SUFFIX`` so that parallel runs do not collide. An
unreachable server fails the tests, never skips them. Override the servers
with ``PRISMA_INFRA_TEST_PG_URL`` / ``PRISMA_INFRA_TEST_MYSQL_URL`` (URLs
without a database name).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from prisma_infra.config.model import DatabaseConfig
from prisma_infra_prisma.datasource import ResolvedDatabase, ScriptFailure, call_script, resolve_database
from prisma_infra_prisma.schema_sync import db_push

PG_SERVER = os.environ.get("PRISMA_INFRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
MYSQL_SERVER = os.environ.get("PRISMA_INFRA_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")
SUFFIX = os.environ.get("PRISMA_INFRA_TEST_DB_SUFFIX", "")
_MYSQL_CHARSET = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"


def admin(provider: str, url: str, script: str) -> None:
    """Run ``script`` on ``url``; a server that refuses fails the test."""
    try:
        call_script("migrate.mjs", {"op": "execute", "provider": provider, "url": url, "script": script})
    except ScriptFailure as exc:
        pytest.fail(f"{provider} server at {url} is not usable for the tests: {exc.message}")


def recreate(provider: str, name: str, folder: Path | None = None) -> str:
    """The URL of an empty database ``name`` (+ the suffix); SQLite's file goes in ``folder`` or a temporary one."""
    name += SUFFIX
    if provider == "sqlite":
        return f"file:{folder or Path(tempfile.mkdtemp())}/{name}.db"
    if provider == "postgresql":
        admin(provider, f"{PG_SERVER}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(provider, f"{PG_SERVER}/postgres", f'CREATE DATABASE "{name}"')
        return f"{PG_SERVER}/{name}"
    admin(provider, f"{MYSQL_SERVER}/mysql", f"DROP DATABASE IF EXISTS `{name}`")
    admin(provider, f"{MYSQL_SERVER}/mysql", f"CREATE DATABASE `{name}` {_MYSQL_CHARSET}")
    return f"{MYSQL_SERVER}/{name}"


def resolved(schema: Path, url: str) -> ResolvedDatabase:
    """The schema and URL as the project's commands resolve them."""
    return resolve_database(DatabaseConfig(schema_path=str(schema), url=url), schema.parent)


async def pushed(provider: str, name: str, schema: Path, folder: Path | None = None) -> str:
    """The URL of a fresh database ``name`` holding the tables of ``schema``."""
    url = recreate(provider, name, folder)
    await db_push(resolved(schema, url))
    return url
