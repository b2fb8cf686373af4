"""The cache through the whole pipeline: the built-in plugin, the facade, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from prisma_infra.cache import CACHE, CacheManager, CacheMiddleware
from prisma_infra.cli.app import build_app
from prisma_infra.errors import ConfigurationError
from prisma_infra.operation import Action
from prisma_infra.plugin_manager import PluginManager
from typer.testing import CliRunner

from core.tests.doubles import DoubleEnginePlugin, memory_infrastructure


async def test_builtin_plugin_registers_store_middleware_and_manager() -> None:
    infra = memory_infrastructure(cache={})
    async with infra:
        assert "memory" in infra.runtime.registry["cache_stores"]
        assert any(isinstance(m, CacheMiddleware) for m in infra.runtime.middleware)
        assert isinstance(infra.cache, CacheManager)
        with pytest.deprecated_call():
            assert infra.cache is infra.cache_manager
        assert infra.runtime.services[CACHE] is infra.cache


async def test_reads_through_the_pipeline_are_cached_and_writes_invalidate() -> None:
    infra = memory_infrastructure(cache={})
    async with infra:
        engine = infra.engine
        await infra.call("User", "create", {"data": {"email": "a@x", "name": "Ann"}})
        for _ in range(3):
            users = await infra.call("user", "findMany", {"where": {"name": "Ann"}})
        reads = [c for c in engine.calls if c.action is Action.FIND_MANY]  # type: ignore[attr-defined]
        assert len(reads) == 1 and users[0]["email"] == "a@x"
        await infra.call("User", "update", {"where": {"id": users[0]["id"]}, "data": {"name": "Bea"}})
        assert await infra.call("User", "findMany", {"where": {"name": "Ann"}}) == []
        assert infra.cache_for("user").stats()["tiers"]["memory"]["hits"] == 2


async def test_facade_invalidate_by_tag_and_model() -> None:
    from prisma_infra.operation import CacheOptions

    infra = memory_infrastructure(cache={})
    async with infra:
        await infra.call("Tag", "create", {"data": {"name": "t"}})
        calls = infra.engine.calls  # type: ignore[attr-defined]
        home = CacheOptions(tags=("home",))
        await infra.call("Tag", "findMany", {}, cache=home)
        await infra.call("Tag", "findMany", {}, cache=home)
        await infra.cache.invalidate(tags=["home"])
        await infra.call("Tag", "findMany", {}, cache=home)
        await infra.cache_for("tag").invalidate()
        await infra.call("Tag", "findMany", {}, cache=home)
        assert sum(c.action is Action.FIND_MANY for c in calls) == 3
        explained = infra.cache_manager.explain(
            infra.cache_for("tag")._operation(Action.FIND_MANY, {}, ("home",), None)
        )
        assert explained["tags"] == ["*", "m:Tag", "t:home"]


async def test_disabled_cache_passes_everything_through() -> None:
    infra = memory_infrastructure(cache={"enabled": False})
    async with infra:
        await infra.call("Tag", "findMany", {})
        await infra.call("Tag", "findMany", {})
        assert len(infra.engine.calls) == 2  # type: ignore[attr-defined]
        assert infra.cache.stats()["enabled"] is False


async def test_unknown_tier_fails_start_with_a_clear_error() -> None:
    infra = memory_infrastructure(cache={"tiers": ["memory", "redsi"]})
    with pytest.raises(ConfigurationError, match=r"cache.tiers: cache store 'redsi' is not registered"):
        await infra.start()


async def test_warm_at_start_runs_through_the_pipeline() -> None:
    # Nothing exists yet: the warmed result is empty, so ask for empty results to be cached.
    warm = [{"model": "tag", "args": {"where": {"name": "t"}}}]
    infra = memory_infrastructure(cache={"cache_empty": True, "warm": warm})
    async with infra:
        calls = infra.engine.calls  # type: ignore[attr-defined]
        assert len(calls) == 1
        await infra.call("Tag", "findMany", {"where": {"name": "t"}})
        assert len(calls) == 1


def test_cli_cache_commands(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(
        '[default.database]\nengine = "memory-double"\n\n[[default.cache.warm]]\nmodel = "Tag"\n\n'
        '[[default.cache.warm]]\nmodel = "User"\naction = "count"\n'
    )
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    plugins.register(DoubleEnginePlugin())
    cli = build_app(plugins)
    runner = CliRunner()
    result = runner.invoke(cli, ["cache", "warm", "--settings", str(settings)])
    assert result.exit_code == 0, result.output
    assert "warmed 2 queries, 0 failed" in result.output
    result = runner.invoke(cli, ["cache", "clear", "--settings", str(settings)])
    assert result.exit_code == 0 and "cache cleared" in result.output
    result = runner.invoke(cli, ["cache", "stats", "-s", str(settings)])
    assert result.exit_code == 0 and '"memory"' in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[default.database]\nengine = "memory-double"\n[default.cache]\ntiers = ["memcache"]\n')
    result = runner.invoke(cli, ["cache", "warm", "-s", str(bad)])
    assert result.exit_code == 1 and "cache.tiers: cache store 'memcache' is not registered" in result.output


async def test_the_manager_is_published_and_runs_on_the_kernels_clock() -> None:
    from prisma_infra.cache.service import CACHE
    from prisma_infra.clock import ManualClock
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.ports.transactions import TRANSACTION_OBSERVERS

    clock = ManualClock()
    plugins = PluginManager(autoload=False, environ={})
    plugins.load_all()
    plugins.register(DoubleEnginePlugin())
    config = {
        "database": {"engine": "memory-double", "options": {"fixture": "blog", "provider": "postgresql"}},
        "cache": {"ttl": 5, "swr": 0, "jitter": 0},
    }
    async with Infrastructure(config, plugin_manager=plugins, clock=clock) as infra:
        manager = infra.runtime.services.require(CACHE)
        assert manager is infra.cache_manager and manager.clock is clock
        assert manager in infra.runtime.services.all(TRANSACTION_OBSERVERS)
        await infra.call("Tag", "create", {"data": {"name": "t"}})
        calls = infra.engine.calls  # type: ignore[attr-defined]
        for _ in range(2):
            await infra.call("Tag", "findMany", {})
        await clock.advance(4.999)
        await infra.call("Tag", "findMany", {})
        assert sum(c.action is Action.FIND_MANY for c in calls) == 1
        await clock.advance(0.002)  # the entry's ttl ends on the infrastructure's clock
        await infra.call("Tag", "findMany", {})
        assert sum(c.action is Action.FIND_MANY for c in calls) == 2
