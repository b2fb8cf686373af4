"""Support for the audit integration suite: the real Prisma engine on PostgreSQL and SQLite.

Every test gets a fresh database (PostgreSQL: ``prisma_infra_audit_it`` dropped and
recreated; SQLite: a new file) with tables from ``db_push``, and an `Infrastructure`
with the audit trail on (``file`` and ``database`` sinks) under the test's tmp folder.
An unreachable server fails the tests (never a skip).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.config.model import DatabaseConfig
from prisma_infra.infrastructure import Infrastructure
from prisma_infra_prisma.datasource import ScriptFailure, call_script, resolve_database
from prisma_infra_prisma.schema_sync import db_push

HERE = Path(__file__).parent
DB_NAME = "prisma_infra_audit_it"
PG_SERVER = os.environ.get("PRISMA_INFRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
PROVIDERS = ["postgresql", "sqlite"]

MakeInfra = Callable[..., AbstractAsyncContextManager[Infrastructure]]


def write_schema(folder: Path, provider: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = (HERE / "schema_template.prisma").read_text()
    path = folder / "schema.prisma"
    path.write_text(text.replace("__PROVIDER__", provider).replace("__EXTRA__", extra))
    return path


def _admin(url: str, script: str) -> None:
    try:
        call_script("migrate.mjs", {"op": "execute", "provider": "postgresql", "url": url, "script": script})
    except ScriptFailure as exc:
        pytest.fail(f"PostgreSQL at {url} is not usable for the audit integration suite: {exc.message}")


async def fresh_database(provider: str, folder: Path, extra: str = "") -> tuple[Path, str]:
    """A fresh database with the test schema's tables; returns the schema path and the URL."""
    schema = write_schema(folder, provider, extra)
    if provider == "sqlite":
        url = f"file:{folder / 'audit.db'}"
    else:
        url = f"{PG_SERVER}/{DB_NAME}"
        _admin(f"{PG_SERVER}/postgres", f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        _admin(f"{PG_SERVER}/postgres", f'CREATE DATABASE "{DB_NAME}"')
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
