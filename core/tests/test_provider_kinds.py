"""One provider-kind table: the registry, the SDK, `Plugin`'s declarations, install hints and the CLI read it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prisma_infra import hookspecs
from prisma_infra.cli import plugins_cmd
from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import ConfigurationError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.providers import CacheStore
from prisma_infra.registry import (
    PROVIDER_HOOKS,
    PROVIDER_KINDS,
    Registry,
    collect_registry,
    dist_for,
    install_hint,
    select_engine,
)
from typer.testing import CliRunner

#: Registration hooks that are not provider kinds: they are collected where they are used.
NOT_KINDS = {"register_commands", "register_routes", "register_dashboard_panels"}


def test_every_registration_hook_is_one_kind_and_every_kind_one_hook() -> None:
    specs = {n for n in vars(hookspecs) if n.startswith("register_") and n not in hookspecs.DEPRECATED_HOOKS}
    assert {kind.hook for kind in PROVIDER_KINDS.values()} == specs - NOT_KINDS
    for old, new in hookspecs.DEPRECATED_HOOKS.items():
        assert hasattr(hookspecs, old), "a deprecated alias keeps its hookspec"
        assert [k.key for k in PROVIDER_KINDS.values() if old in k.deprecated_hooks] == [new.removeprefix("register_")]
    assert PROVIDER_HOOKS["cache_stores"][0] == "register_cache_stores"


def test_the_sdk_and_plugin_declarations_read_the_kernels_table() -> None:
    from prisma_infra_sdk import PROVIDER_KINDS as SDK_KINDS
    from prisma_infra_sdk.plugin import DECLARED_PROVIDERS

    assert SDK_KINDS["cache_store"] is PROVIDER_KINDS["cache_stores"]
    assert SDK_KINDS["cache_store"].contract == "CacheStoreContract"
    assert set(SDK_KINDS) == {k.kind for k in PROVIDER_KINDS.values() if k.contract_kit}
    assert {k.key: k.hook for k in SDK_KINDS.values()} == DECLARED_PROVIDERS


def test_an_explicit_old_name_method_wins_over_an_inherited_declaration() -> None:
    from prisma_infra_sdk import Plugin

    class Declared(Plugin):
        name = "declared"
        cache_stores = {"declared-store": CacheStore}

    class Explicit(Declared):
        name = "explicit"

        @hookimpl
        def register_cache_backends(self, register: Any) -> None:
            register("explicit-store", CacheStore)

    manager = PluginManager(autoload=False, environ={})
    with pytest.warns(DeprecationWarning, match="plugin 'explicit' implements register_cache_backends"):
        manager.register(Explicit())
    assert set(collect_registry(manager)["cache_stores"]) == {"explicit-store"}


def test_install_hints_come_from_the_table() -> None:
    assert dist_for("Redis") == "prisma-infra-redis" and dist_for("nope") is None
    assert install_hint("cache_backends", "memcached") == " Install it with: pip install prisma-infra-memcached"
    assert install_hint("audit_sinks", "redis") == ""
    config = InfraConfig.model_validate({"database": {"engine": "prisma"}})
    with pytest.raises(ConfigurationError, match="Install it with: pip install prisma-infra-prisma"):
        select_engine(Registry(engines={}), config)


def test_an_unknown_registry_key_is_still_a_key_error() -> None:
    with pytest.raises(KeyError):
        Registry()["cache_things"]


def test_plugins_kinds_lists_the_table() -> None:
    result = CliRunner().invoke(plugins_cmd.plugins_app, ["kinds", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["kind"]: row for row in json.loads(result.output)}
    assert list(rows) == list(PROVIDER_KINDS)
    assert rows["cache_stores"]["deprecated_hooks"] == ["register_cache_backends"]
    assert rows["cache_stores"]["contract_kit"] == "prisma_infra_sdk.testing.CacheStoreContract"
    assert rows["metrics_exporters"]["known_providers"] == {"prometheus": "prisma-infra-prometheus"}


def test_plugins_install_takes_a_known_providers_name(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(plugins_cmd, "run_pip", lambda arguments: ran.append(list(arguments)) or 0)
    monkeypatch.setattr(plugins_cmd, "installed_plugins", dict)
    result = CliRunner().invoke(plugins_cmd.plugins_app, ["install", "redis", "./local-plugin"])
    assert result.exit_code == 0, result.output
    assert ran == [["install", "prisma-infra-redis", "./local-plugin"]]
    assert "'redis' is provided by prisma-infra-redis" in result.output
