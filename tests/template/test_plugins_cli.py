"""``prisma-infra plugins install`` / ``uninstall``: pip into the running environment, then the plugin is listed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.template.template_support import ROOT, Venv

FIXTURE = ROOT / "tests" / "fixtures" / "plugins" / "prisma-infra-fixture-good"


def _listed(venv: Venv) -> dict[str, dict[str, object]]:
    result = venv.run(venv.bin / "prisma-infra", "plugins", "--json")
    assert result.returncode == 0, result.stderr
    return {p["name"]: p for p in json.loads(result.stdout)["plugins"]}


def test_install_then_uninstall_a_plugin_by_path(plugin_venv: Venv, tmp_path: Path) -> None:
    assert "fixture_good" not in _listed(plugin_venv)
    cli = [plugin_venv.python, "-m", "prisma_infra.cli.plugins_cmd"]
    installed = plugin_venv.run(*cli, "install", "--no-build-isolation", FIXTURE, cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "Installed plugin(s): fixture_good (prisma-infra-fixture-good 1.2.3)" in installed.stdout
    assert "next reload" in installed.stdout
    listed = _listed(plugin_venv)
    assert (
        listed["fixture_good"]["dist"] == "prisma-infra-fixture-good" and listed["fixture_good"]["version"] == "1.2.3"
    )

    again = plugin_venv.run(*cli, "install", "--no-build-isolation", FIXTURE, cwd=tmp_path)
    assert again.returncode == 0 and "no new plugin appeared" in again.stdout

    removed = plugin_venv.run(*cli, "uninstall", "prisma-infra-fixture-good", cwd=tmp_path)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert "Uninstalled plugin(s): fixture_good" in removed.stdout
    assert "fixture_good" not in _listed(plugin_venv)


def test_install_failure_exits_with_pips_code(plugin_venv: Venv, tmp_path: Path) -> None:
    cli = [plugin_venv.python, "-m", "prisma_infra.cli.plugins_cmd"]
    result = plugin_venv.run(*cli, "install", "--no-build-isolation", tmp_path / "does-not-exist", cwd=tmp_path)
    assert result.returncode != 0
    assert "nothing was changed" in result.stderr


def test_uninstalling_the_kernel_is_refused(plugin_venv: Venv, tmp_path: Path) -> None:
    cli = [plugin_venv.python, "-m", "prisma_infra.cli.plugins_cmd"]
    result = plugin_venv.run(*cli, "uninstall", "prisma-infra", cwd=tmp_path)
    assert result.returncode == 2 and "Refusing" in result.stderr
    assert plugin_venv.works()


def test_plugins_install_is_mounted_on_the_cli(plugin_venv: Venv) -> None:
    """``prisma-infra plugins install`` (mounted with ``cli.add_typer(plugins_app, name="plugins")``)."""
    result = plugin_venv.run(plugin_venv.bin / "prisma-infra", "plugins", "install", "--help")
    assert result.returncode == 0 and "Install plugins" in result.stdout, result.stdout + result.stderr
