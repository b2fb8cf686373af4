"""Discovery of really pip-installed plugin dists: good, broken, misspelled, clashing, class-style."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prisma_infra.errors import PluginError
from prisma_infra.plugin_manager import DEFAULT_PLUGINS, PluginManager
from prisma_infra.runtime import collect_registry

ALL = ["fixture_good", "fixture_broken", "fixture_typo", "fixture_clash", "fixture_classy"]
BUILTIN = {name for name, _ in DEFAULT_PLUGINS}


def manager(**kwargs: object) -> PluginManager:
    pm = PluginManager(environ={}, **kwargs)  # type: ignore[arg-type]
    pm.load_all()
    return pm


def test_broken_and_misspelled_plugins_are_named_and_skipped(with_fixture_plugins: Path) -> None:
    pm = manager(load=["fixture_good", "fixture_broken", "fixture_typo", "fixture_classy"])
    loaded = {p.name for p in pm.plugins()}
    assert BUILTIN | {"fixture_good", "fixture_classy"} == loaded
    assert "fixture_broken" not in loaded and "fixture_typo" not in loaded
    reasons = {e.plugin: e.reason for e in pm.errors}
    assert "exploded at import" in reasons["fixture_broken"]
    assert "register_cache_backend" in reasons["fixture_typo"]
    assert "unknown hook" in reasons["fixture_typo"]


def test_strict_mode_makes_a_failing_plugin_fatal(with_fixture_plugins: Path) -> None:
    with pytest.raises(PluginError, match=r"fixture_broken.*exploded at import"):
        manager(strict=True, load=["fixture_broken"])


def test_plugin_info_names_dist_version_and_hooks(with_fixture_plugins: Path) -> None:
    pm = manager(load=["fixture_good"])
    info = {p.name: p for p in pm.plugins()}["fixture_good"]
    assert info.dist == "prisma-infra-fixture-good"
    assert info.version == "1.2.3"
    assert info.hooks == ["register_cache_backends", "register_commands", "register_middleware"]


def test_duplicate_provider_names_both_plugins(with_fixture_plugins: Path) -> None:
    pm = manager(load=["fixture_good", "fixture_clash"])
    with pytest.raises(PluginError) as raised:
        collect_registry(pm)
    message = str(raised.value)
    assert "'fixture-dict'" in message and "'fixture_good'" in message and "'fixture_clash'" in message


def test_allowlist_environment_variable(with_fixture_plugins: Path) -> None:
    pm = PluginManager(environ={"PRISMA_INFRA_LOAD_PLUGINS": "fixture_classy"})
    pm.load_all()
    assert {p.name for p in pm.plugins()} == BUILTIN | {"fixture_classy"}
    assert pm.errors == []


def test_autoload_kill_switch_keeps_only_builtins(with_fixture_plugins: Path) -> None:
    pm = PluginManager(environ={"PRISMA_INFRA_DISABLE_PLUGIN_AUTOLOAD": "1"})
    pm.load_all()
    assert {p.name for p in pm.plugins()} == BUILTIN


def test_disable_list_skips_a_plugin(with_fixture_plugins: Path) -> None:
    pm = manager(load=["fixture_good", "fixture_classy"], disable=["fixture_good"])
    assert {p.name for p in pm.plugins()} == BUILTIN | {"fixture_classy"}


def test_registered_providers_come_with_their_plugin(with_fixture_plugins: Path) -> None:
    pm = manager(load=["fixture_good"])
    registry = collect_registry(pm)
    assert registry["cache_stores"]["fixture-dict"].plugin == "fixture_good"
    assert registry["middleware"]["fixture-tag"].plugin == "fixture_good"
    assert registry["middleware"]["validation"].plugin == "core"


def test_discover_again_picks_up_a_newly_installed_plugin(plugin_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pm = PluginManager(environ={"PRISMA_INFRA_LOAD_PLUGINS": "fixture_good"})
    pm.load_all()
    assert not pm.is_loaded("fixture_good")
    monkeypatch.syspath_prepend(str(plugin_site))  # as if pip had just installed it
    assert pm.discover() == ["fixture_good"]
    assert pm.discover() == []
    for name in [n for n in sys.modules if n.startswith("prisma_infra_fixture_")]:
        del sys.modules[name]


def _cli(plugin_site: Path, *args: str, allow: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(plugin_site), "PRISMA_INFRA_LOAD_PLUGINS": allow}
    return subprocess.run(
        [sys.executable, "-m", "prisma_infra", *args], env=env, capture_output=True, text=True, check=False
    )


def test_cli_lists_plugins_and_load_errors(plugin_site: Path) -> None:
    result = _cli(plugin_site, "plugins", "--json", allow="fixture_good,fixture_broken")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    names = [p["name"] for p in data["plugins"]]
    assert "fixture_good" in names
    assert data["errors"][0]["plugin"] == "fixture_broken"
    assert "exploded" in data["errors"][0]["reason"]


def test_plugins_add_cli_commands(plugin_site: Path) -> None:
    result = _cli(plugin_site, "fixture-hello", "--name", "ada", allow="fixture_good")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello ada from fixture-good"
