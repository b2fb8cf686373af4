"""Hooks are called through pluggy: wrappers, monitoring, tracing, ordering, and per-plugin isolation."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Generator, Sequence
from typing import Any

import pluggy
import pytest
from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import PluginError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.kernel import Kernel
from prisma_infra.plugin_manager import TRACE_PLUGINS_ENV, PluginManager
from prisma_infra.providers import CacheStore
from prisma_infra.registry import collect_registry

from core.tests.doubles import DoubleEnginePlugin

Register = Callable[[str, Any], None]


def bare(*plugins: object, **options: Any) -> PluginManager:
    """A manager with only ``plugins`` (no built-ins), registered in order."""
    pm = PluginManager(autoload=False, environ=options.pop("environ", {}), **options)
    for plugin in plugins:
        pm.register(plugin)
    return pm


class Says:
    """``alert_raised`` observer appending its name to a shared log (sync or async, optionally failing)."""

    def __init__(self, name: str, log: list[str], *, is_async: bool = False, fails: bool = False) -> None:
        self.name = name

        def record() -> str:
            log.append(name)
            if fails:
                raise RuntimeError(f"{name} broke")
            return name

        async def alert_async(alert: Any) -> str:
            return record()

        def alert_sync(alert: Any) -> str:
            return record()

        self.alert_raised = hookimpl(alert_async if is_async else alert_sync)


class Store(CacheStore):
    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [None for _ in keys]

    async def set_many(self, items: Any, ttl: float | None) -> None:
        return None

    async def delete_many(self, keys: Sequence[str]) -> None:
        return None

    async def incr(self, key: str) -> int:
        return 1

    async def clear(self) -> None:
        return None


# -- wrappers ----------------------------------------------------------------------------


class Wrapper:
    """``wrapper=True`` implementations recording what they saw and altering results."""

    name = "wrapper"

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    @hookimpl(wrapper=True)
    def alert_raised(self, alert: Any) -> Generator[None, list[Any], list[Any]]:
        self.seen.append(("before", alert["name"]))
        results = yield
        self.seen.append(("after", list(results)))
        return [*results, "from-wrapper"]

    @hookimpl(wrapper=True)
    def startup(self, infrastructure: Kernel) -> Generator[None, list[Any], list[Any]]:
        self.seen.append(("startup-before", infrastructure.runtime.engine.name))
        results = yield
        self.seen.append(("startup-after", len(results)))
        return results

    @hookimpl(wrapper=True)
    def operation_completed(self, operation: Any, error: BaseException | None) -> Generator[None, Any, Any]:
        results = yield
        self.seen.append(("completed", (operation.model, operation.action.value, error, results)))
        return results

    @hookimpl(wrapper=True)
    def register_cache_stores(self, register: Register) -> Generator[None, list[Any], list[Any]]:
        register("wrapped-store", Store)  # bound to this plugin, like any implementation's register
        results = yield
        self.seen.append(("registered", results))
        return results


async def test_a_wrapper_wraps_an_event_call_once_and_may_replace_its_results() -> None:
    log: list[str] = []
    wrapper = Wrapper()
    pm = bare(Says("sync", log), Says("async", log, is_async=True), wrapper)
    results = await pm.notify("alert_raised", alert={"name": "disk"})
    assert wrapper.seen[0] == ("before", "disk")
    after = wrapper.seen[1][1]
    # Last registered first; an async implementation's result is its awaitable, awaited after the call.
    assert hasattr(after[0], "__await__") and after[1] == "sync"
    assert results == ["async", "sync", "from-wrapper"]


async def test_a_wrapper_wraps_startup_operation_completed_and_registration() -> None:
    wrapper = Wrapper()
    cfg = InfraConfig.model_validate(
        {"database": {"engine": "memory-double"}, "cache": {"enabled": False}, "pipeline": {"disable": ["pii"]}}
    )
    async with Infrastructure(cfg, plugins=[DoubleEnginePlugin(), wrapper]) as infra:
        assert ("startup-before", infra.runtime.engine.name) in wrapper.seen
        assert any(event == "startup-after" for event, _ in wrapper.seen)
        await infra.call("User", "count", {})
        assert infra.runtime.registry["cache_stores"]["wrapped-store"].plugin == "wrapper"
    assert ("completed", ("User", "count", None, [])) in wrapper.seen
    assert ("registered", []) in wrapper.seen


def test_a_wrapper_sees_a_failing_registration() -> None:
    class Clashing:
        name = "clashing"

        @hookimpl
        def register_cache_stores(self, register: Register) -> None:
            register("wrapped-store", Store)

    wrapper = Wrapper()
    clash = "'wrapped-store' is registered by both plugin 'wrapper' and plugin 'clashing'"
    with pytest.raises(PluginError, match=clash):
        collect_registry(bare(Clashing(), wrapper))
    assert not any(event == "registered" for event, _ in wrapper.seen), "the wrapper's teardown got the exception"


# -- isolation ---------------------------------------------------------------------------


async def test_a_failing_observer_is_logged_by_name_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    log: list[str] = []
    pm = bare(
        Says("first", log),
        Says("sync-broken", log, fails=True),
        Says("async-broken", log, is_async=True, fails=True),
        Says("last", log, is_async=True),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no coroutine left un-awaited
        results = await pm.notify("alert_raised", alert={"name": "x"})
    assert sorted(log) == ["async-broken", "first", "last", "sync-broken"]
    assert sorted(results) == ["first", "last"]
    failures = [r for r in caplog.records if r.name == "prisma_infra.plugins"]
    assert sorted(r.getMessage() for r in failures) == [
        "plugin 'async-broken' failed in alert_raised",
        "plugin 'sync-broken' failed in alert_raised",
    ]
    assert all(r.exc_info for r in failures)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_raise_errors_names_the_plugin_and_stops_there(is_async: bool) -> None:
    log: list[str] = []
    # Registered last = called first: "broken" runs before "after".
    pm = bare(Says("after", log, is_async=True), Says("broken", log, is_async=is_async, fails=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the observer never reached is closed, not left un-awaited
        with pytest.raises(PluginError, match="Plugin 'broken' failed in alert_raised: broken broke") as caught:
            await pm.notify("alert_raised", raise_errors=True, alert={"name": "x"})
    assert caught.value.plugin == "broken"
    assert log == ["broken"]


def test_call_sync_records_a_failing_plugin_and_strict_raises() -> None:
    class Broken:
        name = "broken-commands"

        @hookimpl
        def register_commands(self, cli: Any) -> None:
            raise RuntimeError("nope")

    class Fine:
        name = "fine-commands"
        called = False

        @hookimpl
        def register_commands(self, cli: Any) -> None:
            Fine.called = True

    pm = bare(Fine(), Broken())
    pm.call_sync("register_commands", cli=None)
    assert Fine.called and [(e.plugin, e.reason) for e in pm.errors] == [("broken-commands", "register_commands: nope")]
    with pytest.raises(PluginError, match="Plugin 'broken-commands' failed in register_commands"):
        bare(Broken(), strict=True).call_sync("register_commands", cli=None)


def test_a_disabled_plugin_registers_nothing_and_is_not_called() -> None:
    calls: list[str] = []

    class Off:
        name = "off"

        @hookimpl
        def register_cache_stores(self, register: Register) -> None:
            calls.append("off")
            register("off-store", Store)

    registry = collect_registry(bare(Off()), exclude={"off"})
    assert registry["cache_stores"] == {} and calls == []


def test_a_direct_pluggy_call_behaves_like_pluggy() -> None:
    pm = bare(Says("broken", [], fails=True))
    with pytest.raises(RuntimeError, match="broken broke"):
        pm.pm.hook.alert_raised(alert={})
    assert isinstance(pm.get_plugin("broken"), Says)


# -- ordering ----------------------------------------------------------------------------


def _ordered(name: str, log: list[str], **opts: bool) -> object:
    class Ordered:
        pass

    plugin = Ordered()
    plugin.name = name  # type: ignore[attr-defined]

    def alert_raised(alert: Any) -> None:
        log.append(name)

    plugin.alert_raised = hookimpl(**opts)(alert_raised)  # type: ignore[attr-defined]
    return plugin


async def test_order_is_last_registered_first_with_tryfirst_and_trylast() -> None:
    log: list[str] = []
    pm = bare(
        _ordered("first-registered", log),
        _ordered("trylast", log, trylast=True),
        _ordered("tryfirst", log, tryfirst=True),
        _ordered("last-registered", log),
    )
    await pm.notify("alert_raised", alert={})
    assert log == ["tryfirst", "last-registered", "first-registered", "trylast"]


def test_installed_plugins_run_before_the_built_ins() -> None:
    order: list[str] = []

    class Installed:
        name = "installed"

        @hookimpl
        def register_middleware(self, register: Register) -> None:
            order.append("installed")

    pm = PluginManager(autoload=False, environ={})
    pm.load_all()
    pm.register(Installed())
    called = [impl.plugin_name for impl in reversed(pm.pm.hook.register_middleware.get_hookimpls())]
    assert called[0] == "installed" and "core" in called[1:]  # built-ins are trylast
    collect_registry(pm)
    assert order == ["installed"]


# -- monitoring and tracing --------------------------------------------------------------


async def test_add_hookcall_monitoring_sees_every_call_with_plugin_names() -> None:
    seen: list[tuple[str, list[str], bool]] = []

    def before(hook: str, impls: Sequence[pluggy.HookImpl], kwargs: Any) -> None:
        seen.append((hook, [i.plugin_name for i in impls], False))

    def after(outcome: pluggy.Result[Any], hook: str, impls: Sequence[pluggy.HookImpl], kwargs: Any) -> None:
        seen.append((hook, [i.plugin_name for i in impls], outcome.exception is None))

    pm = bare(Says("observer", []))
    undo = pm.pm.add_hookcall_monitoring(before, after)
    await pm.notify("alert_raised", alert={})
    collect_registry(pm)
    undo()
    assert seen[:2] == [("alert_raised", ["observer"], False), ("alert_raised", ["observer"], True)]
    assert {hook for hook, _, _ in seen} >= {"register_cache_stores", "register_cache_backends", "register_engines"}


async def test_the_trace_switch_logs_every_call(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="prisma_infra.plugins.trace")
    pm = bare(Says("one", []), Says("two", [], is_async=True), environ={TRACE_PLUGINS_ENV: "1"})
    assert pm.tracing
    await pm.notify("alert_raised", alert={})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "prisma_infra.plugins.trace"]
    assert line.startswith("hook alert_raised [two, one] ") and line.endswith(" ms")
    pm.set_tracing(False)
    await pm.notify("alert_raised", alert={})
    assert len([r for r in caplog.records if r.name == "prisma_infra.plugins.trace"]) == 1
    assert not bare(environ={TRACE_PLUGINS_ENV: "0"}).tracing


async def test_the_plugins_trace_setting_turns_tracing_on(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="prisma_infra.plugins.trace")
    cfg = InfraConfig.model_validate(
        {"database": {"engine": "memory-double"}, "cache": {"enabled": False}, "plugins": {"trace": True}}
    )
    async with Infrastructure(cfg, plugins=[DoubleEnginePlugin()]) as infra:
        assert infra.plugins.tracing
        await infra.configure({"plugins": {"trace": False}})
        assert not infra.plugins.tracing
        await infra.configure({"plugins": {"trace": True}})
        assert infra.plugins.tracing
    lines = [r.getMessage() for r in caplog.records if r.name == "prisma_infra.plugins.trace"]
    assert any(line.startswith("hook register_engines [") for line in lines)
    assert any(line.startswith("hook startup [") for line in lines)


async def test_an_old_style_hookwrapper_still_wraps() -> None:
    seen: list[Any] = []

    class OldStyle:
        name = "old-style"

        @hookimpl(hookwrapper=True)
        def alert_raised(self, alert: Any) -> Generator[None, Any, None]:
            outcome = yield
            seen.append(outcome.get_result())

    await bare(Says("one", []), OldStyle()).notify("alert_raised", alert={})
    assert seen == [["one"]]
