"""The ``prisma``, ``db`` and ``migrate`` commands, end to end on SQLite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from prisma_infra_prisma.cli import register_cli
from typer.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures" / "sync"


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()

    @cli.callback()
    def root() -> None:
        """Test root."""

    register_cli(cli)
    return cli


def _project(tmp_path: Path) -> Path:
    prisma = tmp_path / "prisma"
    prisma.mkdir()
    schema = prisma / "schema.prisma"
    schema.write_text(
        'datasource db {\n  provider = "sqlite"\n  url = "file:./dev.db"\n}\n\n'
        + (FIXTURES / "models.prisma").read_text()
    )
    return schema


def test_install_prints_node_and_cache(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["prisma", "install"])
    assert result.exit_code == 0, result.output
    assert "node:" in result.output and "cache dir:" in result.output


def test_db_push_twice(app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    schema = _project(tmp_path)
    runner = CliRunner()
    first = runner.invoke(app, ["db", "push", "--schema", str(schema)])
    assert first.exit_code == 0, first.output
    assert "step(s) executed" in first.output
    assert (tmp_path / "prisma" / "dev.db").is_file()  # relative to the schema's folder
    second = runner.invoke(app, ["db", "push", "--schema", str(schema)])
    assert second.exit_code == 0 and "already in sync" in second.output


def test_migrate_deploy_status_with_settings(app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    shutil.copytree(FIXTURES / "migrations", tmp_path / "prisma" / "migrations")
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[default.database]\nschema_path = "prisma/schema.prisma"\nurl = "file:{tmp_path}/app.db"\n')
    runner = CliRunner()

    pending = runner.invoke(app, ["migrate", "status", "--settings", str(settings)])
    assert pending.exit_code == 1 and "pending: 20240101000000_init" in pending.output
    deployed = runner.invoke(app, ["migrate", "deploy", "--settings", str(settings)])
    assert deployed.exit_code == 0, deployed.output
    assert "applied 20240102000000_add_email" in deployed.output
    status = runner.invoke(app, ["migrate", "status", "--settings", str(settings)])
    assert status.exit_code == 0 and "up to date" in status.output


def test_push_data_loss_exit_code(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    schema = _project(tmp_path)
    url = f"file:{tmp_path / 'loss.db'}"
    assert runner.invoke(app, ["db", "push", "--schema", str(schema), "--url", url]).exit_code == 0
    from prisma_infra_prisma.datasource import call_script

    call_script(
        "migrate.mjs",
        {
            "op": "execute",
            "provider": "sqlite",
            "url": url,
            "script": "INSERT INTO users (email_address, name) VALUES ('a', 'b')",
        },
    )
    schema.write_text(schema.read_text().replace("  name      String?\n", ""))
    refused = runner.invoke(app, ["db", "push", "--schema", str(schema), "--url", url])
    assert refused.exit_code == 1 and "name" in refused.output and "--force" in refused.output
    forced = runner.invoke(app, ["db", "push", "--force", "--schema", str(schema), "--url", url])
    assert forced.exit_code == 0 and "accepted data loss" in forced.output


def test_migrate_create_sqlite(app: typer.Typer, tmp_path: Path) -> None:
    schema = _project(tmp_path)
    result = CliRunner().invoke(app, ["migrate", "create", "init", "--schema", str(schema)])
    assert result.exit_code == 0, result.output
    written = list((tmp_path / "prisma" / "migrations").glob("*_init/migration.sql"))
    assert len(written) == 1 and 'CREATE TABLE "users"' in written[0].read_text()
