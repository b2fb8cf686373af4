"""Support for the audit integration suite: the real Prisma engine on PostgreSQL and SQLite.

Each run makes the databases once (PostgreSQL: ``prisma_infra_audit_it`` dropped and
recreated; SQLite: a file) with tables from ``db_push``; every test then starts from
empty tables and no audit table (PostgreSQL: truncated; SQLite: a copy of the pushed
file), with an `Infrastructure` whose audit trail (``file`` and ``database`` sinks)
lives under the test's tmp folder. An unreachable server fails the tests (never a skip).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.config.model import DatabaseConfig
from prisma_infra.infrastructure import Infrastructure
from prisma_infra_prisma.datasource import ScriptFailure, call_script, resolve_database
from prisma_infra_prisma.schema_sync import db_push

HERE = Path(__file__).parent
DB_NAME = "prisma_infra_audit_it" + os.environ.get("PRISMA_INFRA_TEST_DB_SUFFIX", "")
PG_SERVER = os.environ.get("PRISMA_INFRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
PROVIDERS = ["postgresql", "sqlite"]

MakeInfra = Callable[..., AbstractAsyncContextManager[Infrastructure]]


def write_schema(folder: Path, provider: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = (HERE / "schema_template.prisma").read_text()
    path = folder / "schema.prisma"
    path.write_text(text.replace("__PROVIDER__", provider).replace("__EXTRA__", extra))
    return path


#: Empties the PostgreSQL test database between tests (the audit table goes: the sink recreates it).
PG_RESET = (
    'DROP TABLE IF EXISTS "AuditEvent", "AuditEventAway"; '
    'TRUNCATE "User", "Post", "Tag", "Session", "_PostToTag" RESTART IDENTITY CASCADE'
)


def _admin(url: str, script: str) -> None:
    try:
        call_script("migrate.mjs", {"op": "execute", "provider": "postgresql", "url": url, "script": script})
    except ScriptFailure as exc:
        pytest.fail(f"PostgreSQL at {url} is not usable for the audit integration suite: {exc.message}")


def reset(provider: str, url: str) -> None:
    """Empty a PostgreSQL test database made by `fresh_database`."""
    if provider == "postgresql":
        _admin(url, PG_RESET)


async def fresh_database(provider: str, folder: Path, extra: str = "", name: str = DB_NAME) -> tuple[Path, str]:
    """A fresh database with the test schema's tables; returns the schema path and the URL."""
    schema = write_schema(folder, provider, extra)
    if provider == "sqlite":
        url = f"file:{folder / 'audit.db'}"
    else:
        url = f"{PG_SERVER}/{name}"
        _admin(f"{PG_SERVER}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(f"{PG_SERVER}/postgres", f'CREATE DATABASE "{name}"')
    resolved = resolve_database(DatabaseConfig(schema_path=str(schema), url=url), folder)  # type: ignore[arg-type]
    pushed = await db_push(resolved)
    assert pushed.executed_steps > 0, pushed
    return schema, url


def settings(schema: Path, url: str, folder: Path, **sections: Any) -> dict[str, Any]:
    audit = {
        "sinks": ["file", "database"],
        "buffer_dir": str(folder / "buffer"),
        "sink_options": {"file": {"path": str(folder / "audit.jsonl"), "fsync": "always"}},
        **sections.pop("audit", {}),
    }
    return {
        "database": {
            "engine": "prisma",
            "schema_path": str(schema),
            "url": url,
            "pool_size": 4,
            "transaction_timeout": 15,
            "transaction_max_wait": 10,
        },
        "plugins": {"load": ["prisma"]},
        "cache": {"enabled": False},
        "audit": audit,
        "base_dir": str(folder),
        **sections,
    }


@asynccontextmanager
async def started(config: dict[str, Any], **audit: Any) -> AsyncIterator[Infrastructure]:
    """An infrastructure on ``config`` with ``audit`` settings added, started and closed around the block."""
    infra = Infrastructure({**config, "audit": {**config["audit"], **audit}})
    await infra.start()
    try:
        yield infra
    finally:
        await infra.close()
