"""Support for the outbox suite: the audit test schema on SQLite, PostgreSQL and MariaDB, and a writer child.

Each run makes each database once (``prisma_infra_outbox_it<suffix>`` on the servers, a
file for SQLite); every test starts from empty tables without the audit and outbox tables.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from prisma_infra.config.model import DatabaseConfig
from prisma_infra_prisma.datasource import ScriptFailure, call_script, resolve_database
from prisma_infra_prisma.schema_sync import db_push

from tests.audit.audit_it_support import PG_SERVER, write_schema

DB_NAME = "prisma_infra_outbox_it" + os.environ.get("PRISMA_INFRA_TEST_DB_SUFFIX", "")
MYSQL_SERVER = os.environ.get("PRISMA_INFRA_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")
PROVIDERS = ["sqlite", "postgresql", "mysql"]
_TABLES = ("User", "Post", "Tag", "Session", "_PostToTag")
#: MariaDB has no ``db push`` here (Prisma's WebAssembly schema engine): the one table the suite writes, as Prisma
#: would make it.
_MYSQL_USER = (
    "CREATE TABLE `User` (`id` INT NOT NULL AUTO_INCREMENT, `email` VARCHAR(191) NOT NULL, `name` VARCHAR(191) NULL, "
    "`karma` BIGINT NOT NULL DEFAULT 0, `balance` DECIMAL(65, 30) NOT NULL DEFAULT 0, "
    "`createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), UNIQUE INDEX `User_email_key`(`email`), "
    "PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
)


def _admin(provider: str, url: str, script: str) -> None:
    try:
        call_script("migrate.mjs", {"op": "execute", "provider": provider, "url": url, "script": script})
    except ScriptFailure as exc:
        pytest.fail(f"{provider} at {url} is not usable for the outbox suite: {exc.message}")


async def make_database(provider: str, folder: Path) -> tuple[Path, str]:
    """A fresh database with the audit test schema; returns the schema path and the URL."""
    schema = write_schema(folder, provider)
    if provider == "sqlite":
        url = f"file:{folder / 'outbox.db'}"
    elif provider == "postgresql":
        url = f"{PG_SERVER}/{DB_NAME}"
        _admin(provider, f"{PG_SERVER}/postgres", f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        _admin(provider, f"{PG_SERVER}/postgres", f'CREATE DATABASE "{DB_NAME}"')
    else:
        url = f"{MYSQL_SERVER}/{DB_NAME}"
        _admin(provider, f"{MYSQL_SERVER}/mysql",
               f"DROP DATABASE IF EXISTS `{DB_NAME}`; "
               f"CREATE DATABASE `{DB_NAME}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    if provider == "mysql":
        _admin(provider, url, _MYSQL_USER)
        return schema, url
    resolved = resolve_database(DatabaseConfig(schema_path=str(schema), url=url), folder)  # type: ignore[arg-type]
    pushed = await db_push(resolved)
    assert pushed.executed_steps > 0, pushed
    return schema, url


def emptied(provider: str, url: str, tmp_path: Path) -> str:
    """The database made by `make_database`, emptied for one test (SQLite: a copy); returns its URL."""
    if provider == "sqlite":
        copy = tmp_path / "outbox.db"
        shutil.copyfile(url.removeprefix("file:"), copy)
        return f"file:{copy}"
    if provider == "postgresql":
        tables = ", ".join(f'"{t}"' for t in _TABLES)
        _admin(provider, url, f'DROP TABLE IF EXISTS "AuditEvent", "_prisma_infra_audit_outbox"; '
                              f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    else:
        _admin(provider, url, "DROP TABLE IF EXISTS `AuditEvent`, `_prisma_infra_audit_outbox`; TRUNCATE TABLE `User`")
    return url
