"""``prisma-infra config check|show`` through a local app that mounts ``config_app`` like the root app will."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import typer
from prisma_infra.cli.config_cmd import config_app
from prisma_infra.errors import ConfigurationError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.plugin_manager import PluginManager
from typer.testing import CliRunner

from core.tests.doubles import MemoryEngine

Write = Callable[..., Path]

SETTINGS = """
[default.cache]
ttl = 10
tiers = ["memory"]

[development.cache]
ttl = 30

[production.cache]
ttl = 300
"""
SECRETS = '[default.database]\nurl = "postgresql://app:hunter2@db/app"\n'


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root (so that ``config`` stays a sub-command)."""

    app.add_typer(config_app, name="config")
    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def settings(write: Write) -> Path:
    write("app/.secrets.toml", SECRETS)
    return write("app/settings.toml", SETTINGS)


def test_check_ok(cli: typer.Typer, runner: CliRunner, settings: Path) -> None:
    result = runner.invoke(cli, ["config", "check", "--settings", str(settings)])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"configuration OK (environment development, files {settings}, {settings.parent / '.secrets.toml'})"
    )


def test_check_environment_option_and_variable(cli: typer.Typer, runner: CliRunner, settings: Path) -> None:
    result = runner.invoke(cli, ["config", "check", "-s", str(settings), "--env", "production"])
    assert "environment production" in result.stdout

    result = runner.invoke(cli, ["config", "check", "-s", str(settings)], env={"PRISMA_INFRA_ENV": "test"})
    assert "environment test" in result.stdout


def test_check_discovers_settings_in_cwd(cli: typer.Typer, runner: CliRunner) -> None:
    (Path.cwd() / "settings.yaml").write_text("development:\n  cache:\n    ttl: 3\n")

    result = runner.invoke(cli, ["config", "check"])

    assert result.exit_code == 0, result.output
    assert f"files {Path.cwd() / 'settings.yaml'})" in result.stdout


def test_check_without_files(cli: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["config", "check"])

    assert result.exit_code == 0
    assert "files none, defaults only" in result.stdout


def test_check_reports_every_problem(cli: typer.Typer, runner: CliRunner, write: Write) -> None:
    bad = write("app/settings.toml", "[development.cache]\nttll = 1\ntiers = 'memory'\n")
    broken = write("app/extra.json", "{")

    result = runner.invoke(
        cli, ["config", "check", "-s", str(bad), "-s", str(broken)], env={"PRISMA_INFRA_CAHCE__TTL": "1"}
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "configuration invalid (4 problems):"
    assert (
        f"  - {broken}: invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        in lines
    )
    assert f"  - cache.ttll: unknown setting (from {bad} [development]); did you mean 'cache.ttl'?" in lines
    assert any(line.startswith("  - cache.tiers: expected list[str], got 'memory'") for line in lines)
    assert "  - cahce: unknown setting (from env:PRISMA_INFRA_CAHCE__TTL); did you mean 'cache'?" in lines


def test_check_missing_file(cli: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["config", "check", "-s", str(tmp_path / "none.toml")])

    assert result.exit_code == 1
    assert f"{tmp_path / 'none.toml'}: settings file not found" in result.stderr


def test_show_table(cli: typer.Typer, runner: CliRunner, settings: Path) -> None:
    result = runner.invoke(cli, ["config", "show", "-s", str(settings)], env={"COLUMNS": "250"})

    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") == 4}
    assert "30.0" in rows["cache.ttl"] and f"{settings} [development]" in rows["cache.ttl"]
    assert '["memory"]' in rows["cache.tiers"] and f"{settings} [default]" in rows["cache.tiers"]
    assert "postgresql://app:********@db/app" in rows["database.url"]
    assert f"{settings.parent / '.secrets.toml'} [default]" in rows["database.url"]
    assert "(not set)" in rows["audit.hash_key"] and "default" in rows["audit.hash_key"]
    assert "hunter2" not in result.stdout


def test_show_json(cli: typer.Typer, runner: CliRunner, settings: Path) -> None:
    result = runner.invoke(
        cli, ["config", "show", "-s", str(settings), "--format", "json"], env={"PRISMA_INFRA_CACHE__SWR": "2"}
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["environment"] == "development"
    assert document["files"] == [str(settings), str(settings.parent / ".secrets.toml")]
    assert document["settings"]["cache"]["ttl"] == 30
    assert document["settings"]["cache"]["swr"] == 2
    assert document["settings"]["database"]["url"] == "postgresql://app:********@db/app"
    assert document["sources"]["cache.swr"] == "env:PRISMA_INFRA_CACHE__SWR"
    assert document["sources"]["cache.ttl"] == f"{settings} [development]"
    assert "hunter2" not in result.stdout


def test_show_toml_is_a_valid_settings_file(cli: typer.Typer, runner: CliRunner, settings: Path) -> None:
    result = runner.invoke(cli, ["config", "show", "-s", str(settings), "-e", "production", "-f", "toml"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# effective configuration (environment production")
    assert f"ttl = 300.0  # {settings} [production]" in result.stdout
    parsed = tomllib.loads(result.stdout)
    assert parsed["production"]["cache"]["ttl"] == 300
    assert parsed["production"]["database"]["url"] == "postgresql://app:********@db/app"


def test_show_invalid_configuration_exits_1(cli: typer.Typer, runner: CliRunner, write: Write) -> None:
    bad = write("app/settings.toml", "[development.cache]\nttll = 1\n")

    result = runner.invoke(cli, ["config", "show", "-s", str(bad)])

    assert result.exit_code == 1
    assert "did you mean 'cache.ttl'?" in result.stderr


def test_show_rejects_unknown_format(cli: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["config", "show", "--format", "xml"])

    assert result.exit_code == 2


# -- the selected engine checks its own database.options ------------------------------------


class FixtureEngine(MemoryEngine):
    """Accepts only ``database.options.fixture`` (a known fixture name)."""

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        problems = [f"database.options.{key}: unknown setting" for key in options if key != "fixture"]
        if options.get("fixture", "blog") not in ("blog",):
            problems.append(f"database.options.fixture: no fixture named {options['fixture']!r}")
        if problems:
            raise ConfigurationError("invalid engine options", problems=problems)


class FixtureEnginePlugin:
    name = "fixture-engine"

    @hookimpl
    def register_engines(self, register: Callable[[str, Any], None]) -> None:
        register("fixture", FixtureEngine)


@pytest.fixture
def cli_with_plugins() -> typer.Typer:
    """The config commands with a plugin manager as the root context's object, as the real CLI has."""
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    plugins.register(FixtureEnginePlugin())
    app = typer.Typer(context_settings={"obj": plugins})

    @app.callback()
    def root() -> None:
        """Root."""

    app.add_typer(config_app, name="config")
    return app


ENGINE_SETTINGS = '[default.database]\nengine = "fixture"\n[default.database.options]\nfixture = "blog"\n'


def test_check_asks_the_engine_about_its_options(
    cli_with_plugins: typer.Typer, runner: CliRunner, write: Write
) -> None:
    good = write("app/settings.toml", ENGINE_SETTINGS)
    assert runner.invoke(cli_with_plugins, ["config", "check", "-s", str(good)]).exit_code == 0

    bad = write("app/bad.toml", ENGINE_SETTINGS.replace('"blog"', '"shop"') + "colour = 3\n")
    result = runner.invoke(cli_with_plugins, ["config", "check", "-s", str(bad)])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "configuration invalid (2 problems):",
        "  - database.options.colour: unknown setting",
        "  - database.options.fixture: no fixture named 'shop'",
    ]


def test_diff_refuses_engine_options_the_engine_rejects(
    cli_with_plugins: typer.Typer, runner: CliRunner, write: Write
) -> None:
    current = write("app/settings.toml", ENGINE_SETTINGS)
    proposed = write("app/proposed.toml", ENGINE_SETTINGS.replace('"blog"', '"shop"'))

    result = runner.invoke(cli_with_plugins, ["config", "diff", "-s", str(current), "-p", str(proposed)])

    assert result.exit_code == 1
    assert "  - database.options.fixture: no fixture named 'shop'" in result.stderr.splitlines()
