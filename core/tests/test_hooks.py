"""Every hookspec is documented, listed in docs/hooks.md, and exercised by a ``test_hook_<name>``."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from prisma_infra import hookspecs
from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import PluginError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action
from prisma_infra.pipeline import Middleware
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.providers import AuditSink, CacheStore, MetricsExporter, PiiDetector, PiiMatch, SearchProvider
from prisma_infra.runtime import collect_registry
from typer.testing import CliRunner

from core.tests.doubles import DoubleEnginePlugin, MemoryEngine
from docs import gen_hooks

ROOT = Path(__file__).resolve().parents[2]

HOOKS = gen_hooks.hook_names()


def config(**sections: Any) -> InfraConfig:
    return InfraConfig.model_validate(
        {"database": {"engine": "memory-double"}, "cache": {"enabled": False}, **sections}
    )


def manager(*plugins: object) -> PluginManager:
    pm = PluginManager(autoload=False, environ={})
    pm.load_all()
    for plugin in plugins:
        pm.register(plugin)
    return pm


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_is_documented(name: str) -> None:
    function = getattr(hookspecs, name)
    doc = inspect.getdoc(function) or ""
    assert doc, f"hook {name} has no docstring"
    for param in inspect.signature(function).parameters:
        assert f":param {param}:" in doc, f"hook {name} does not document {param!r}"
    assert ":return:" in doc


def test_hooks_page_is_up_to_date() -> None:
    assert (ROOT / "docs" / "hooks.md").read_text() == gen_hooks.render(), "run: python docs/gen_hooks.py"


def test_every_hook_has_a_test() -> None:
    source = Path(__file__).read_text()
    tests = set(re.findall(r"def (test_hook_\w+)\(", source))
    missing = [name for name in HOOKS if f"test_hook_{name}" not in tests]
    assert not missing, f"hooks without a test_hook_<name>: {missing}"


# -- registration hooks ------------------------------------------------------------------


class Registers:
    """A plugin object registering one provider through ``hook``."""

    def __init__(self, hook: str, name: str, value: Any) -> None:
        self.name = f"registers-{hook}"

        def impl(register: Callable[[str, Any], None]) -> None:
            register(name, value)

        setattr(self, hook, hookimpl(impl))


class Search(SearchProvider):
    async def search(self, model: str, query: str, fields: Any, *, limit: int | None = None) -> list[Any]:
        return [1]

    async def index(self, model: str, records: Any) -> None:
        return None

    async def remove(self, model: str, ids: Any) -> None:
        return None


class Sink(AuditSink):
    async def write(self, events: Any) -> None:
        return None


class Exporter(MetricsExporter):
    def observe(self, model: str | None, action: str, seconds: float, error: str | None, rows: int | None) -> None:
        return None


class Detector(PiiDetector):
    def detect(self, value: str, *, field: str | None = None) -> list[PiiMatch]:
        return [PiiMatch("email", 0.99)] if "@" in value else []


class Store(CacheStore):
    async def get_many(self, keys: Any) -> list[bytes | None]:
        return [None for _ in keys]

    async def set_many(self, items: Any, ttl: float | None) -> None:
        return None

    async def delete_many(self, keys: Any) -> None:
        return None

    async def incr(self, key: str) -> int:
        return 1

    async def clear(self) -> None:
        return None


def _registered(hook: str, value: Any, kind: str) -> None:
    registry = collect_registry(manager(Registers(hook, "x", value)))
    assert registry[kind]["x"].factory is value
    assert registry[kind]["x"].plugin == f"registers-{hook}"


def _rejected(hook: str, value: Any) -> None:
    with pytest.raises(PluginError, match=f"registers-{hook}.*'x' through {hook}"):
        collect_registry(manager(Registers(hook, "x", value)))


def test_hook_register_engines() -> None:
    _registered("register_engines", MemoryEngine, "engines")
    _rejected("register_engines", int)


def test_hook_register_cache_stores() -> None:
    _registered("register_cache_stores", Store, "cache_stores")
    _rejected("register_cache_stores", str)


def test_hook_register_cache_backends() -> None:
    """The deprecated alias still registers cache stores, warns naming the plugin, and clashes with the new name."""
    warned = "'registers-register_cache_backends' implements register_cache_backends"
    with pytest.warns(DeprecationWarning, match=warned):
        pm = manager(Registers("register_cache_backends", "x", Store))
    registry = collect_registry(pm)
    assert registry["cache_stores"]["x"].plugin == "registers-register_cache_backends"
    with pytest.warns(DeprecationWarning, match=r"registry\['cache_backends'\]"):
        assert registry["cache_backends"] is registry["cache_stores"]
    pm.register(Registers("register_cache_stores", "x", Store))
    with pytest.raises(PluginError, match="both plugin 'registers-register_cache_stores' and plugin 'registers-regi"):
        collect_registry(pm)


def test_hook_register_search_providers() -> None:
    _registered("register_search_providers", Search, "search_providers")
    _rejected("register_search_providers", dict)


def test_hook_register_audit_sinks() -> None:
    _registered("register_audit_sinks", Sink, "audit_sinks")
    _rejected("register_audit_sinks", Store)


def test_hook_register_metrics_exporters() -> None:
    _registered("register_metrics_exporters", Exporter, "metrics_exporters")
    _rejected("register_metrics_exporters", Sink)


def test_hook_register_pii_detectors() -> None:
    detector = Detector()
    _registered("register_pii_detectors", detector, "pii_detectors")
    _rejected("register_pii_detectors", Detector)  # a class, not an instance


def test_hook_register_analytics_metrics() -> None:
    metric = {"sql": "count(*)"}
    _registered("register_analytics_metrics", metric, "analytics_metrics")


class Doubling(Middleware):
    name = "doubling"

    def __init__(self, infrastructure: Infrastructure) -> None:
        self.infrastructure = infrastructure

    async def after(self, operation: Any, result: Any) -> Any:
        return result * 2 if isinstance(result, int) else result


async def test_hook_register_middleware() -> None:
    _rejected("register_middleware", 42)
    plugin = Registers("register_middleware", "doubling", Doubling)
    async with Infrastructure(config(), plugins=[DoubleEnginePlugin(), plugin]) as infra:
        names = [m.name for m in infra.runtime.middleware]
        assert "doubling" in names and names.index("validation") < names.index("doubling")  # order 50 < 100
        await infra.call("User", Action.CREATE, {"data": {"email": "a@example.com"}})
        assert await infra.call("user", "count", {}) == 2


def test_hook_register_commands() -> None:
    class Commands:
        name = "commands"

        @hookimpl
        def register_commands(self, cli: typer.Typer) -> None:
            cli.command("shout")(lambda word: typer.echo(word.upper()))

    from prisma_infra.cli.app import build_app

    result = CliRunner().invoke(build_app(manager(Commands())), ["shout", "hi"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "HI"


def test_hook_register_routes() -> None:
    async def endpoint(request: Any) -> Any:
        return None

    pm = manager(Registers("register_routes", "/hello", endpoint))
    routes = pm.collect("register_routes")
    assert routes["/hello"].factory is endpoint


def test_hook_register_dashboard_panels() -> None:
    panel = {"title": "Orders", "data": lambda: [1, 2]}
    pm = manager(Registers("register_dashboard_panels", "orders", panel))
    assert pm.collect("register_dashboard_panels")["orders"].factory is panel


# -- event hooks -------------------------------------------------------------------------


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    @hookimpl
    async def startup(self, infrastructure: Infrastructure) -> None:
        self.events.append(("startup", infrastructure.engine.started))  # type: ignore[attr-defined]

    @hookimpl
    def shutdown(self, infrastructure: Infrastructure) -> None:
        self.events.append(("shutdown", infrastructure.engine.closed))  # type: ignore[attr-defined]

    @hookimpl
    def configuration_changed(self, config: InfraConfig, previous: InfraConfig | None) -> None:
        self.events.append(("configuration_changed", (config.database.engine, previous)))

    @hookimpl
    async def operation_completed(self, operation: Any, result: Any, error: BaseException | None) -> None:
        self.events.append(("operation_completed", (operation.action, result, type(error).__name__ if error else None)))

    @hookimpl
    def alert_raised(self, alert: Any) -> None:
        self.events.append(("alert_raised", alert["name"]))


async def test_hook_startup() -> None:
    recorder = Recorder()
    async with Infrastructure(config(), plugins=[DoubleEnginePlugin(), recorder]):
        assert ("startup", True) in recorder.events


async def test_hook_shutdown() -> None:
    recorder = Recorder()
    async with Infrastructure(config(), plugins=[DoubleEnginePlugin(), recorder]):
        pass
    assert recorder.events[-1] == ("shutdown", False)  # before the engine is closed


async def test_hook_configuration_changed() -> None:
    recorder = Recorder()
    async with Infrastructure(config(), plugins=[DoubleEnginePlugin(), recorder]):
        assert ("configuration_changed", ("memory-double", None)) in recorder.events


async def test_hook_operation_completed() -> None:
    recorder = Recorder()
    async with Infrastructure(config(), plugins=[DoubleEnginePlugin(), recorder]) as infra:
        await infra.call("User", "count", {})
        with pytest.raises(Exception, match=r"No (User )?record"):
            await infra.call("User", "delete", {"where": {"id": 99}})
    completed = [value for name, value in recorder.events if name == "operation_completed"]
    assert completed == [(Action.COUNT, 0, None), (Action.DELETE, None, "RecordNotFoundError")]


async def test_hook_alert_raised() -> None:
    recorder = Recorder()
    async with Infrastructure(config(), plugins=[DoubleEnginePlugin(), recorder]) as infra:
        await infra.raise_alert({"name": "disk", "severity": "warning", "message": "low"})
    assert ("alert_raised", "disk") in recorder.events
