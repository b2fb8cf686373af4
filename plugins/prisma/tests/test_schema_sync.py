"""db push and diff against real PostgreSQL, MariaDB and SQLite (MySQL specifics: test_mysql_schema.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prisma_infra_prisma.datasource import parse_datasource, resolve_database, sanitize_schema
from prisma_infra_prisma.schema_sync import DataLossError, db_push, diff_script
from prisma_infra_sdk import ConfigurationError, DatabaseConfig
from pydantic import SecretStr

from plugins.prisma.tests.fixtures.sync import sync_dbs as dbs

# --- datasource resolution (no database) ------------------------------------------


def _schema(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "prisma" / "schema.prisma"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def test_url_from_env_in_schema(tmp_path: Path) -> None:
    _schema(tmp_path, 'datasource db {\n  provider = "postgresql" // pg\n  url = env("APP_DB")\n}\n')
    resolved = resolve_database(
        DatabaseConfig(schema_path="prisma/schema.prisma"), tmp_path, env={"APP_DB": "postgresql://u:secret@h/db"}
    )
    assert (resolved.provider, resolved.url) == ("postgresql", "postgresql://u:secret@h/db")
    assert "url" not in parse_datasource(resolved.schema_source)
    assert "secret" not in resolved.redacted_url()


def test_settings_url_overrides_everything(tmp_path: Path) -> None:
    _schema(tmp_path, 'datasource db {\n  provider = "mysql"\n  url = "mysql://a@b/c"\n}\n')
    config = DatabaseConfig(schema_path="prisma/schema.prisma", url=SecretStr("mysql://root@127.0.0.1/x"))
    assert resolve_database(config, tmp_path, env={}).url == "mysql://root@127.0.0.1/x"


def test_sqlite_relative_to_schema_folder(tmp_path: Path) -> None:
    _schema(tmp_path, 'datasource db {\n  provider = "sqlite"\n  url = "file:./dev.db"\n}\n')
    resolved = resolve_database(DatabaseConfig(schema_path="prisma/schema.prisma"), tmp_path, env={})
    assert resolved.url == f"file:{tmp_path / 'prisma' / 'dev.db'}"


def test_url_from_prisma_config_ts(tmp_path: Path) -> None:
    _schema(tmp_path, 'datasource db {\n  provider = "postgresql"\n}\n')
    (tmp_path / "prisma.config.ts").write_text(
        'import { defineConfig, env } from "prisma/config";\n'
        'export default defineConfig({\n  schema: "prisma/schema.prisma",\n'
        '  datasource: {\n    url: env("DATABASE_URL"),\n  },\n});\n'
    )
    resolved = resolve_database(
        DatabaseConfig(schema_path="prisma/schema.prisma"), tmp_path, env={"DATABASE_URL": "postgresql://x/y"}
    )
    assert resolved.url == "postgresql://x/y"


def test_missing_url_names_the_variable(tmp_path: Path) -> None:
    _schema(tmp_path, 'datasource db {\n  provider = "postgresql"\n  url = env("NOPE_URL")\n}\n')
    with pytest.raises(ConfigurationError, match="NOPE_URL"):
        resolve_database(DatabaseConfig(schema_path="prisma/schema.prisma"), tmp_path, env={})


def test_unsupported_provider(tmp_path: Path) -> None:
    _schema(tmp_path, 'datasource db {\n  provider = "mongodb"\n  url = "mongodb://x"\n}\n')
    with pytest.raises(ConfigurationError, match="mongodb"):
        resolve_database(DatabaseConfig(schema_path="prisma/schema.prisma"), tmp_path, env={})


def test_sanitize_keeps_line_numbers() -> None:
    source = (
        'datasource db {\n  provider = "sqlite"\n  url = env("X")\n  directUrl = "y"\n}\nmodel A {\n  id Int @id\n}\n'
    )
    cleaned = sanitize_schema(source)
    assert cleaned.count("\n") == source.count("\n")
    assert "url" not in cleaned and "model A" in cleaned


# --- db push against real databases -------------------------------------------------

PUSH_PROVIDERS = ["postgresql", "mysql", "sqlite"]
EXPECTED_TABLES = {"users", "posts", "Tag", "memberships", "_PostToTag", "_TagToUser"}


@pytest.mark.integration
@pytest.mark.parametrize("provider", PUSH_PROVIDERS)
async def test_push_creates_tables_then_is_idempotent(provider: str, tmp_path: Path) -> None:
    url = dbs.fresh_url(provider, tmp_path)
    resolved = dbs.resolved_for(provider, url, dbs.write_schema(tmp_path / "prisma", provider))

    first = await db_push(resolved)
    assert first.executed_steps > 0
    assert dbs.tables(provider, url) >= EXPECTED_TABLES
    assert "email_address" in dbs.columns(provider, url, "users")  # @map
    assert "manager_id" in dbs.columns(provider, url, "users")  # self-relation
    assert {"userId", "groupId", "role"} <= set(dbs.columns(provider, url, "memberships"))  # compound id

    second = await db_push(resolved)
    assert second.executed_steps == 0


@pytest.mark.integration
@pytest.mark.parametrize("provider", PUSH_PROVIDERS)
async def test_destructive_change_needs_force(provider: str, tmp_path: Path) -> None:
    url = dbs.fresh_url(provider, tmp_path)
    folder = tmp_path / "prisma"
    await db_push(dbs.resolved_for(provider, url, dbs.write_schema(folder, provider)))
    q = "`" if provider == "mysql" else '"'
    dbs.execute(
        provider,
        url,
        "INSERT INTO users (id, email_address, name) VALUES (1, 'a@x.io', 'Ada');\n"
        f"INSERT INTO memberships ({q}userId{q}, {q}groupId{q}, role) VALUES (1, 1, 'owner');",
    )
    v2 = dbs.resolved_for(provider, url, dbs.write_schema(folder, provider, "models_v2.prisma"))

    with pytest.raises(DataLossError) as refused:
        await db_push(v2)
    message = str(refused.value)
    assert "name" in message and "users" in message and "role" in message
    assert refused.value.warnings
    assert "name" in dbs.columns(provider, url, "users")  # nothing changed

    forced = await db_push(v2, force=True)
    assert forced.executed_steps > 0 and forced.warnings
    assert "name" not in dbs.columns(provider, url, "users")
    assert dbs.sql(provider, url, "SELECT email_address FROM users") == [{"email_address": "a@x.io"}]
    assert (await db_push(v2)).executed_steps == 0


def test_diff_script_sqlite_needs_no_database(tmp_path: Path) -> None:
    resolved = dbs.resolved_for("sqlite", f"file:{tmp_path / 'never.db'}", dbs.write_schema(tmp_path, "sqlite"))
    script = diff_script(resolved)
    assert 'CREATE TABLE "users"' in script and '"_PostToTag"' in script
    assert not (tmp_path / "never.db").exists()


@pytest.mark.integration
def test_diff_script_postgresql(tmp_path: Path) -> None:
    url = dbs.fresh_url("postgresql", tmp_path)
    script = diff_script(dbs.resolved_for("postgresql", url, dbs.write_schema(tmp_path, "postgresql")))
    assert 'CREATE TABLE "memberships"' in script
    assert 'CONSTRAINT "memberships_pkey" PRIMARY KEY ("userId","groupId")' in script
