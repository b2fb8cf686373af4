"""``prisma-infra analytics run`` and ``prisma-infra kpi list|eval``."""

from __future__ import annotations

import json
from pathlib import Path

from prisma_infra.cli.app import build_app
from prisma_infra.plugin_manager import PluginManager
from typer.testing import CliRunner

from core.tests.analytics.analytics_doubles import SqliteDoublePlugin

SETTINGS = """
[default]
database.engine = "sqlite-double"
cache.enabled = false

[[default.analytics.kpis]]
name = "posts"
model = "Post"
metric = "count"
interval = "day"
thresholds = { warning = 5, direction = "below" }
"""


def app(tmp_path: Path) -> tuple[CliRunner, object, Path]:
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    plugins.register(SqliteDoublePlugin())
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS)
    return CliRunner(), build_app(plugins), settings


def test_analytics_run_formats(tmp_path: Path) -> None:
    runner, cli, settings = app(tmp_path)
    args = [
        "analytics",
        "run",
        "post",
        "-m",
        "count",
        "-m",
        "growth_rate",
        "--interval",
        "day",
        "--since",
        "3d",
        "-s",
        str(settings),
    ]
    as_json = runner.invoke(cli, [*args, "--format", "json"])  # type: ignore[arg-type]
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.output)
    assert document["model"] == "Post" and document["metrics"] == ["count", "growth_rate"]
    assert len(document["groups"][0]["points"]) == 4 and document["totals"]["count"] == 0
    as_csv = runner.invoke(cli, [*args, "--format", "csv", "--group-by", "status"])  # type: ignore[arg-type]
    assert as_csv.exit_code == 0 and as_csv.output.splitlines() == ["status,bucket,count,growth_rate"]
    table = runner.invoke(cli, args)  # type: ignore[arg-type]
    assert table.exit_code == 0 and "growth_rate" in table.output and "totals: count=0" in table.output
    bad = runner.invoke(cli, [*args, "--where", '{"title": {"search": "x"}}'])  # type: ignore[arg-type]
    assert bad.exit_code == 1 and "do not support 'search'" in bad.output


def test_kpi_list_and_eval(tmp_path: Path) -> None:
    runner, cli, settings = app(tmp_path)
    listed = runner.invoke(cli, ["kpi", "list", "-s", str(settings), "--format", "json"])  # type: ignore[arg-type]
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["name"] == "posts"
    evaluated = runner.invoke(cli, ["kpi", "eval", "-s", str(settings), "--format", "json"])  # type: ignore[arg-type]
    assert evaluated.exit_code == 0, evaluated.output
    (state,) = json.loads(evaluated.output)
    assert state["name"] == "posts" and state["value"] == 0 and state["status"] == "warning"
    table = runner.invoke(cli, ["kpi", "eval", "posts", "-s", str(settings)])  # type: ignore[arg-type]
    assert table.exit_code == 0 and "warning" in table.output
    unknown = runner.invoke(cli, ["kpi", "eval", "nope", "-s", str(settings)])  # type: ignore[arg-type]
    assert unknown.exit_code == 1 and "Unknown KPI 'nope'" in unknown.output
