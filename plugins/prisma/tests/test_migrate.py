"""migrate deploy / status / resolve / create against real PostgreSQL, MariaDB and SQLite."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from prisma_infra_prisma.datasource import call_script
from prisma_infra_prisma.migrate import (
    MigrationError,
    checksum_matches,
    create_migration,
    list_migrations,
    migrate_deploy,
    migrate_resolve,
    migrate_status,
)
from prisma_infra_prisma.schema_sync import _migrations_target

from plugins.prisma.tests.fixtures.sync import sync_dbs as dbs

PROVIDERS = ["postgresql", "mysql", "sqlite"]
PRISMA_COLUMNS = [
    "id",
    "checksum",
    "finished_at",
    "migration_name",
    "logs",
    "rolled_back_at",
    "started_at",
    "applied_steps_count",
]
INIT, ADD = "20240101000000_init", "20240102000000_add_email"


def _setup(provider: str, tmp_path: Path) -> tuple[str, Path, object]:
    url = dbs.fresh_url(provider, tmp_path)
    migrations = tmp_path / "prisma" / "migrations"
    shutil.copytree(dbs.HERE / "migrations", migrations)
    resolved = dbs.resolved_for(provider, url, dbs.write_schema(tmp_path / "prisma", provider))
    return url, migrations, resolved


def _prisma_verdict(resolved: object, migrations: Path) -> dict[str, object]:
    """Prisma's own schema engine reading our bookkeeping (PostgreSQL, SQLite)."""
    target = _migrations_target(migrations)
    target.pop("tag")
    verdict: dict[str, object] = call_script(
        "migrate.mjs",
        {
            "op": "diagnose",
            "provider": resolved.provider,  # type: ignore[attr-defined]
            "url": resolved.url,  # type: ignore[attr-defined]
            "files": resolved.files,  # type: ignore[attr-defined]
            "migrationsList": target,
        },
    )
    return verdict


@pytest.mark.integration
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_deploy_applies_in_order_and_records_like_prisma(provider: str, tmp_path: Path) -> None:
    url, migrations, resolved = _setup(provider, tmp_path)

    result = await migrate_deploy(resolved, migrations)  # type: ignore[arg-type]
    assert result.applied == [INIT, ADD] and not result.warnings
    assert {"author", "book"} <= dbs.tables(provider, url)
    assert "email" in dbs.columns(provider, url, "author")
    assert dbs.sql(provider, url, "SELECT motto FROM author") == [{"motto": "a; b"}]  # ";" inside a literal

    assert dbs.columns(provider, url, "_prisma_migrations") == PRISMA_COLUMNS
    rows = dbs.sql(provider, url, "SELECT migration_name, checksum, applied_steps_count, logs FROM _prisma_migrations")
    expected = {m: hashlib.sha256((migrations / m / "migration.sql").read_bytes()).hexdigest() for m in (INIT, ADD)}
    assert {r["migration_name"]: r["checksum"] for r in rows} == expected
    assert all(int(r["applied_steps_count"]) == 1 and r["logs"] is None for r in rows)
    unfinished = "SELECT COUNT(*) AS n FROM _prisma_migrations WHERE finished_at IS NULL OR started_at IS NULL"
    assert int(dbs.sql(provider, url, unfinished)[0]["n"]) == 0

    again = await migrate_deploy(resolved, migrations)  # type: ignore[arg-type]
    assert again.applied == []
    status = await migrate_status(resolved, migrations)  # type: ignore[arg-type]
    assert status.up_to_date and status.applied == [INIT, ADD] and status.pending == []

    if provider != "mysql":  # the wasm engine has no MySQL: Prisma's verdict only for the others
        verdict = _prisma_verdict(resolved, migrations)
        assert verdict == {
            "editedMigrationNames": [],
            "failedMigrationNames": [],
            "hasMigrationsTable": True,
            "history": None,
        }


@pytest.mark.integration
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_status_lists_pending(provider: str, tmp_path: Path) -> None:
    _, migrations, resolved = _setup(provider, tmp_path)
    status = await migrate_status(resolved, migrations)  # type: ignore[arg-type]
    assert not status.has_table and status.pending == [INIT, ADD] and not status.up_to_date


@pytest.mark.integration
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_failed_migration_is_recorded_and_blocks(provider: str, tmp_path: Path) -> None:
    url, migrations, resolved = _setup(provider, tmp_path)
    bad = migrations / "20240103000000_bad"
    bad.mkdir()
    (bad / "migration.sql").write_text(
        "CREATE TABLE ok_table (id INTEGER PRIMARY KEY);\nSELECT * FROM no_such_table;\n"
    )

    with pytest.raises(MigrationError) as failed:
        await migrate_deploy(resolved, migrations)  # type: ignore[arg-type]
    assert failed.value.migration == "20240103000000_bad"
    assert "20240103000000_bad" in str(failed.value) and "no_such_table" in str(failed.value)
    assert failed.value.applied == [INIT, ADD]

    row = dbs.sql(
        provider,
        url,
        "SELECT finished_at, logs, applied_steps_count FROM _prisma_migrations WHERE migration_name = ?",
        ["20240103000000_bad"],
    )[0]
    assert row["finished_at"] is None and "no_such_table" in str(row["logs"]) and int(row["applied_steps_count"]) == 0
    status = await migrate_status(resolved, migrations)  # type: ignore[arg-type]
    assert status.failed == ["20240103000000_bad"] and not status.up_to_date
    if provider == "postgresql":  # one script = one implicit transaction on PostgreSQL
        assert "ok_table" not in dbs.tables(provider, url)

    with pytest.raises(MigrationError, match="failed migrations") as blocked:
        await migrate_deploy(resolved, migrations)  # type: ignore[arg-type]
    assert blocked.value.migrations == ["20240103000000_bad"]

    # Recover as with Prisma: fix the script, mark the failure rolled back, deploy again.
    if provider != "postgresql":
        dbs.execute(provider, url, "DROP TABLE ok_table")
    (bad / "migration.sql").write_text("CREATE TABLE ok_table (id INTEGER PRIMARY KEY);\n")
    await migrate_resolve(resolved, migrations, "20240103000000_bad", action="rolled_back")  # type: ignore[arg-type]
    assert (await migrate_deploy(resolved, migrations)).applied == ["20240103000000_bad"]  # type: ignore[arg-type]
    status = await migrate_status(resolved, migrations)  # type: ignore[arg-type]
    assert status.up_to_date and status.failed == []
    if provider != "mysql":
        verdict = _prisma_verdict(resolved, migrations)
        assert verdict["failedMigrationNames"] == [] and verdict["history"] is None


@pytest.mark.integration
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_modified_applied_migration_is_reported(provider: str, tmp_path: Path) -> None:
    _, migrations, resolved = _setup(provider, tmp_path)
    await migrate_deploy(resolved, migrations)  # type: ignore[arg-type]
    script = migrations / INIT / "migration.sql"
    script.write_text(script.read_text() + "-- edited after apply\n")

    status = await migrate_status(resolved, migrations)  # type: ignore[arg-type]
    assert status.modified == [INIT]
    result = await migrate_deploy(resolved, migrations)  # type: ignore[arg-type]
    assert result.applied == [] and INIT in result.warnings[0]
    with pytest.raises(MigrationError, match="checksum mismatch"):
        await migrate_deploy(resolved, migrations, on_modified="error")  # type: ignore[arg-type]
    if provider != "mysql":
        assert _prisma_verdict(resolved, migrations)["editedMigrationNames"] == [INIT]


@pytest.mark.integration
async def test_resolve_applied_records_without_running(tmp_path: Path) -> None:
    url, migrations, resolved = _setup("sqlite", tmp_path)
    await migrate_resolve(resolved, migrations, INIT, action="applied")  # type: ignore[arg-type]
    assert "author" not in dbs.tables("sqlite", url)
    status = await migrate_status(resolved, migrations)  # type: ignore[arg-type]
    assert status.applied == [INIT] and status.pending == [ADD]


def test_checksum_rules(tmp_path: Path) -> None:
    script = b"CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n"
    digest = hashlib.sha256(script).hexdigest()
    assert checksum_matches(script, digest)
    assert checksum_matches(script.replace(b"\n", b"\r\n"), digest)  # git line endings
    unpadded = "".join(format(b, "x") for b in hashlib.sha256(script).digest())
    assert checksum_matches(script, unpadded)  # prisma-engines#1887
    assert not checksum_matches(script + b"--", digest)


def test_folder_without_migration_sql_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "20240101000000_x").mkdir()
    with pytest.raises(Exception, match=r"no migration\.sql"):
        list_migrations(tmp_path)


@pytest.mark.integration
@pytest.mark.parametrize("provider", ["sqlite", "postgresql", "mysql"])
async def test_create_migration_then_deploy(provider: str, tmp_path: Path) -> None:
    url = dbs.fresh_url(provider, tmp_path)
    folder = tmp_path / "prisma"
    resolved = dbs.resolved_for(provider, url, dbs.write_schema(folder, provider))
    migrations = folder / "migrations"

    first = create_migration(resolved, migrations, "init")
    assert first is not None and first.parent.name.endswith("_init")
    assert (migrations / "migration_lock.toml").read_text().endswith(f'provider = "{provider}"\n')
    assert (await migrate_deploy(resolved, migrations)).applied == [first.parent.name]
    assert {"users", "_PostToTag"} <= dbs.tables(provider, url)

    from datetime import UTC, datetime

    assert create_migration(resolved, migrations, "again", now=datetime(2099, 1, 1, tzinfo=UTC)) is None
    v2 = dbs.resolved_for(provider, url, dbs.write_schema(folder, provider, "models_v2.prisma"))
    second = create_migration(v2, migrations, "drop name", now=datetime(2099, 1, 1, tzinfo=UTC))
    assert second is not None and second.parent.name == "20990101000000_drop_name"
    assert "DROP COLUMN" in second.read_text() or "users" in second.read_text()
