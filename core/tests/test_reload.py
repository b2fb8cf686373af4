"""Hot reload: one validated swap, all or nothing; in-flight work finishes on the old providers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.config.loader import load_config
from prisma_infra.config.model import DatabaseConfig, InfraConfig
from prisma_infra.errors import ConfigurationError, PluginError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Operation
from prisma_infra.pipeline import Middleware
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.reload import config_changes, describe_swap
from prisma_infra.runtime import Runtime

from core.tests.doubles import DoubleEnginePlugin, MemoryEngine
from tests.waiting import eventually


class SlowEngine(MemoryEngine):
    """Holds a findMany until released, to keep an operation in flight across a swap."""

    def __init__(self, config: DatabaseConfig | None = None) -> None:
        super().__init__(config)
        self.gate = asyncio.Event()
        self.held = asyncio.Event()  # a findMany waits at the gate

    async def execute(self, operation: Operation) -> Any:
        if operation.action.value == "findMany":
            self.held.set()
            await self.gate.wait()
        return await super().execute(operation)


class Engines:
    name = "engines"

    def __init__(self) -> None:
        self.built: list[SlowEngine] = []

    @hookimpl
    def register_engines(self, register: Any) -> None:
        def factory(config: DatabaseConfig) -> SlowEngine:
            engine = SlowEngine(config)
            self.built.append(engine)
            return engine

        register("memory-double", factory)


class Flaky(Middleware):
    """Fails to start when ``monitoring.slow_operation_ms`` is 13 (a stand-in for a store that is down)."""

    name = "flaky"

    def __init__(self, infrastructure: Infrastructure) -> None:
        self.closed = False

    async def start(self, runtime: Runtime) -> None:
        if runtime.config.monitoring.slow_operation_ms == 13:
            raise ConnectionError("store unreachable")

    async def before(self, operation: Operation) -> Operation | None:
        return None

    async def close(self) -> None:
        self.closed = True


class FlakyPlugin:
    name = "flaky-plugin"

    @hookimpl
    def register_middleware(self, register: Any) -> None:
        register("flaky", Flaky)


class Observer:
    name = "observer"

    def __init__(self) -> None:
        self.seen: list[tuple[Any, Any]] = []

    @hookimpl
    def configuration_changed(self, changes: Any, previous: InfraConfig | None) -> None:
        self.seen.append((dict(changes), previous))


def make(*plugins: object, **sections: Any) -> Infrastructure:
    manager = PluginManager(autoload=False, environ={})
    manager.load_all()
    for plugin in plugins:
        manager.register(plugin)
    config = InfraConfig.model_validate({"database": {"engine": "memory-double"}, **sections})
    return Infrastructure(config, plugin_manager=manager)


def test_changes_and_what_they_rebuild() -> None:
    old = InfraConfig()
    new = InfraConfig.model_validate({"cache": {"ttl": 5}, "models": {"User": {"cache": {"ttl": 1}}}})
    changes = config_changes(old, new)
    assert changes["cache.ttl"] == 5.0
    assert changes["models.User.cache.ttl"] == 1.0
    assert {key.split(".")[0] for key in changes} == {"cache", "models"}
    assert config_changes(new, new) == {}
    assert any(line.startswith("cache:") for line in describe_swap(changes))


async def test_configure_swaps_and_notifies() -> None:
    observer = Observer()
    async with make(DoubleEnginePlugin(), observer) as infra:
        first = infra.runtime
        changes = await infra.configure({"cache": {"ttl": 7}})
        assert changes == {"cache.ttl": 7.0}
        assert infra.config.cache.ttl == 7.0
        assert infra.runtime is not first and first.retired
        assert infra.engine is first.engine  # the database section did not change: same engine
        assert observer.seen[-1][0] == {"cache.ttl": 7.0}
        assert observer.seen[-1][1] is first.config
        assert await infra.configure({"cache": {"ttl": 7}}) == {}  # nothing to do


async def test_invalid_configuration_changes_nothing() -> None:
    async with make(DoubleEnginePlugin()) as infra:
        before = infra.runtime
        with pytest.raises(ConfigurationError, match=r"cache\.ttll"):
            await infra.configure({"cache": {"ttll": 7}})
        assert infra.runtime is before and not before.retired


async def test_failing_provider_rolls_back_and_is_named() -> None:
    engines = Engines()
    async with make(engines, FlakyPlugin()) as infra:
        before = infra.runtime
        with pytest.raises(PluginError, match=r"'flaky' of plugin 'flaky-plugin' failed to start.*store unreachable"):
            await infra.configure({"monitoring": {"slow_operation_ms": 13}, "database": {"pool_size": 3}})
        assert infra.runtime is before and infra.config.monitoring.slow_operation_ms != 13
        assert len(engines.built) == 2 and engines.built[1].closed  # the new engine was closed again
        assert not engines.built[0].closed
        assert await infra.call("User", "count", {}) == 0  # still serving


async def test_in_flight_operations_finish_on_the_old_engine() -> None:
    engines = Engines()
    async with make(engines) as infra:
        old_engine = engines.built[0]
        before = infra.runtime
        slow = asyncio.create_task(infra.call("User", "findMany", {}))
        await old_engine.held.wait()
        swap = asyncio.create_task(infra.configure({"database": {"pool_size": 4}}))
        await eventually(lambda: before.retired, what="the swap to retire the old runtime")
        new_engine = engines.built[1]
        assert infra.engine is new_engine and not old_engine.closed  # swapped, old one still draining
        new_engine.gate.set()
        assert await infra.call("User", "findMany", {}) == []  # new work goes to the new engine
        assert not swap.done()
        old_engine.gate.set()
        assert await slow == []
        await swap
        assert old_engine.closed
        assert [op.action.value for op in old_engine.calls] == ["findMany"]


async def test_transaction_stays_on_the_engine_it_began_on() -> None:
    engines = Engines()
    async with make(engines) as infra:
        before = infra.runtime
        async with infra.transaction() as tx:
            swap = asyncio.create_task(infra.configure({"database": {"pool_size": 5}}))
            await eventually(lambda: before.retired, what="the swap to retire the old runtime")
            await tx.repository("User").create({"email": "a@example.com"})
            assert not swap.done()  # waits for the transaction
        await swap
        assert engines.built[0].calls[-1].action.value == "create"
        assert engines.built[0].closed and not engines.built[1].closed


async def test_disabling_a_plugin_by_configuration_removes_its_middleware() -> None:
    async with make(DoubleEnginePlugin(), FlakyPlugin()) as infra:
        assert "flaky" in [m.name for m in infra.runtime.middleware]
        await infra.configure({"plugins": {"disable": ["flaky-plugin"]}})
        assert "flaky" not in [m.name for m in infra.runtime.middleware]
        assert not infra.plugins.is_loaded("flaky-plugin")


class Alerts:
    name = "alerts"

    def __init__(self) -> None:
        self.alerts: list[Any] = []

    @hookimpl
    def alert_raised(self, alert: Any) -> None:
        self.alerts.append(alert)


SETTINGS = '[default]\ndatabase.engine = "memory-double"\ncache.ttl = {ttl}\n'


def watched_infrastructure(settings: Path, alerts: Alerts) -> Infrastructure:
    settings.write_text(SETTINGS.format(ttl=10))
    manager = PluginManager(autoload=False, environ={})
    manager.load_all()
    manager.register(DoubleEnginePlugin())
    manager.register(alerts)
    return Infrastructure(load_config(settings, env={}), plugin_manager=manager)


async def save(watcher: Any, settings: Path, text: str) -> Any:
    """Write ``text`` (truncate, then write) and return the outcome of the reload it triggers."""
    async with watcher.reloaded:
        count = len(watcher.history)
        await asyncio.to_thread(settings.write_text, text)
        await asyncio.wait_for(watcher.reloaded.wait_for(lambda: len(watcher.history) > count), 10)
    return watcher.history[-1]


@pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polling"])
async def test_watcher_applies_valid_saves_and_rejects_invalid_ones(tmp_path: Path, polling: bool) -> None:
    settings = tmp_path / "settings.toml"
    alerts = Alerts()
    async with watched_infrastructure(settings, alerts) as infra:
        watcher = await infra.watch(polling=polling, debounce_ms=50)
        assert await save(watcher, settings, SETTINGS.format(ttl=20)) == {"cache.ttl": 20.0}
        assert infra.config.cache.ttl == 20.0
        rejected = await save(watcher, settings, SETTINGS.format(ttl='"soon"'))
        assert isinstance(rejected, ConfigurationError)
        assert infra.config.cache.ttl == 20.0
        assert alerts.alerts[-1]["name"] == "configuration_rejected"
        assert any("cache.ttl" in p and "settings.toml" in p for p in alerts.alerts[-1]["problems"])
        assert await save(watcher, settings, SETTINGS.format(ttl=30)) == {"cache.ttl": 30.0}
        assert infra.config.cache.ttl == 30.0


@pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polling"])
async def test_a_save_read_half_written_changes_nothing_until_complete(tmp_path: Path, polling: bool) -> None:
    """An editor that truncates, then writes, can be read in between: that read is rejected and
    the running configuration kept; the complete file is applied on the next event."""
    settings = tmp_path / "settings.toml"
    async with watched_infrastructure(settings, Alerts()) as infra:
        watcher = await infra.watch(polling=polling, debounce_ms=50)
        runtime = infra.runtime
        half = await save(watcher, settings, "")
        assert isinstance(half, ConfigurationError)
        assert infra.runtime is runtime and infra.config.cache.ttl == 10.0
        assert await save(watcher, settings, SETTINGS.format(ttl=20)) == {"cache.ttl": 20.0}
        assert infra.config.cache.ttl == 20.0


def test_config_diff_is_a_dry_run(tmp_path: Path) -> None:
    import typer
    from prisma_infra.cli.config_cmd import config_app
    from typer.testing import CliRunner

    app = typer.Typer()
    app.add_typer(config_app, name="config")
    current, proposed = tmp_path / "settings.toml", tmp_path / "proposed.toml"
    current.write_text('[default]\ncache.ttl = 10\ncache.tiers = ["memory"]\n')
    proposed.write_text('[default]\ncache.ttl = 10\ncache.tiers = ["memory", "redis"]\naudit.sinks = ["file"]\n')
    runner = CliRunner()
    result = runner.invoke(app, ["config", "diff", "-s", str(current), "-p", str(proposed)])
    assert result.exit_code == 0, result.output
    assert "cache.tiers" in result.output and '"redis"' in result.output and "audit.sinks" in result.output
    assert "cache: the cache manager and its stores" in result.output
    assert "audit: the audit trail and its sinks" in result.output
    assert current.read_text().startswith('[default]\ncache.ttl = 10\ncache.tiers = ["memory"]')
    same = runner.invoke(app, ["config", "diff", "-s", str(current), "-p", str(current)])
    assert "no change" in same.output
    proposed.write_text("[default]\ncache.ttl = 'soon'\n")
    bad = runner.invoke(app, ["config", "diff", "-s", str(current), "-p", str(proposed)])
    assert bad.exit_code == 1 and "cache.ttl" in bad.output
