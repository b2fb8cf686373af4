"""Discovers, loads and isolates plugins; collects what they register; calls hooks through pluggy.

Each plugin loads on its own: one that fails to import, to register, or that
implements a misspelled hook is reported by name and skipped (fatal when
``strict``), and the others load. Every hook call is one ``pm.hook.<name>(...)``
call (`prisma_infra.hook_calls` keeps a failure to its plugin and binds
``register`` to each plugin, so a clash names both plugins); ``wrapper=True``
implementations and ``add_hookcall_monitoring`` therefore work. Tracing
(``PRISMA_INFRA_TRACE_PLUGINS=1`` or ``plugins.trace``) logs every call with the
plugins it reached and its duration.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy

from prisma_infra import hookspecs
from prisma_infra.errors import PluginError
from prisma_infra.hook_calls import GuardedAwaitable, OnError, Registrar, guarded_plugin, hook_call

__all__ = [
    "DEFAULT_PLUGINS",
    "DISABLE_AUTOLOAD_ENV",
    "ENTRY_POINT_GROUP",
    "LOAD_PLUGINS_ENV",
    "TRACE_PLUGINS_ENV",
    "LoadError",
    "PluginInfo",
    "PluginManager",
    "Registration",
    "await_me_maybe",
]

log = logging.getLogger("prisma_infra.plugins")
trace_log = logging.getLogger("prisma_infra.plugins.trace")

ENTRY_POINT_GROUP = "prisma_infra"
LOAD_PLUGINS_ENV = "PRISMA_INFRA_LOAD_PLUGINS"
DISABLE_AUTOLOAD_ENV = "PRISMA_INFRA_DISABLE_PLUGIN_AUTOLOAD"
TRACE_PLUGINS_ENV = "PRISMA_INFRA_TRACE_PLUGINS"

#: Built-in behaviour, written as ordinary plugins and registered like any other.
DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("core", "prisma_infra.builtin.core_plugin"),
    ("policies", "prisma_infra.builtin.policy_plugin"),
    ("cache", "prisma_infra.builtin.cache_plugin"),
    ("monitoring", "prisma_infra.builtin.monitoring_plugin"),
    ("pii", "prisma_infra.builtin.pii_plugin"),
    ("audit", "prisma_infra.builtin.audit_plugin"),
    ("analytics", "prisma_infra.builtin.analytics_plugin"),
)


async def await_me_maybe(value: Any) -> Any:
    """The one place where sync and async hook results are reconciled."""
    if inspect.isawaitable(value):
        return await value
    return value


@dataclass(frozen=True, slots=True)
class LoadError:
    """A plugin that could not be loaded, and why."""

    plugin: str
    reason: str
    dist: str | None = None


@dataclass(slots=True)
class PluginInfo:
    """What ``prisma-infra plugins`` shows for one loaded plugin."""

    name: str
    dist: str | None
    version: str | None
    hooks: list[str] = field(default_factory=list)
    builtin: bool = False


@dataclass(frozen=True, slots=True)
class Registration:
    """A provider registered through a hook, with the plugin that registered it."""

    name: str
    factory: Any
    plugin: str


def _env_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


class PluginManager:
    """A pluggy manager with isolated loading, provider collection and event dispatch."""

    def __init__(
        self,
        *,
        strict: bool = False,
        load: Iterable[str] | None = None,
        disable: Iterable[str] = (),
        autoload: bool | None = None,
        environ: Mapping[str, str] | None = None,
        trace: bool = False,
    ) -> None:
        environ = os.environ if environ is None else environ
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.strict = strict
        env_allow = _env_list(environ.get(LOAD_PLUGINS_ENV))
        self.allowlist: set[str] | None = set(load) if load is not None else None
        if env_allow is not None:
            self.allowlist = set(env_allow)
        self.disabled = set(disable)
        if autoload is None:
            autoload = not environ.get(DISABLE_AUTOLOAD_ENV)
        self.autoload = autoload
        self.errors: list[LoadError] = []
        self._info: dict[str, PluginInfo] = {}
        #: Plugin name -> the object the plugin is (pluggy holds a guarded proxy of it).
        self._objects: dict[str, object] = {}
        self._untrace: Callable[[], None] | None = None
        #: ``PRISMA_INFRA_TRACE_PLUGINS`` was set: tracing stays on whatever the settings say.
        self.trace_env = environ.get(TRACE_PLUGINS_ENV, "") not in ("", "0")
        self.set_tracing(trace or self.trace_env)

    # -- loading ---------------------------------------------------------------------------

    def load_all(self) -> None:
        """Register the built-in plugins, then discover installed ones (unless autoload is off)."""
        for name, module_name in DEFAULT_PLUGINS:
            if name not in self._info:
                self._load(name, functools.partial(importlib.import_module, module_name), dist=None, builtin=True)
        if self.autoload:
            self.discover()

    def discover(self) -> list[str]:
        """Load entry-point plugins not loaded yet; returns the names of newly loaded ones.

        Safe to call again after ``pip install``: already-loaded plugins are skipped.
        """
        importlib.invalidate_caches()
        loaded: list[str] = []
        failed = {e.plugin for e in self.errors}
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in self._info or ep.name in failed:
                continue
            if self.allowlist is not None and ep.name not in self.allowlist:
                continue
            if ep.name in self.disabled:
                continue
            dist = ep.dist.metadata["Name"] if ep.dist is not None else None
            if self._load(ep.name, ep.load, dist=dist, builtin=False):
                loaded.append(ep.name)
        return loaded

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register an already imported plugin object (module, class or instance)."""
        plugin_name = name or getattr(plugin, "name", None) or getattr(plugin, "__name__", None) or repr(plugin)
        self._load(str(plugin_name), lambda: plugin, dist=None, builtin=False)
        return str(plugin_name)

    def _load(self, name: str, loader: Callable[[], object], *, dist: str | None, builtin: bool) -> bool:
        try:
            obj = loader()
            if inspect.isclass(obj):
                obj = obj()
            if any(known is obj for known in self._objects.values()):
                raise ValueError(f"plugin already registered under a different name: {name}={obj!r}")
            self.pm.register(guarded_plugin(self.pm, obj, name), name=name)
        except Exception as exc:
            return self._fail(name, dist, f"{type(exc).__name__}: {exc}", exc)
        try:
            # Names the plugin whose hook has no spec (a typo), instead of a silent no-op.
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            return self._fail(name, dist, str(exc), exc)
        self._objects[name] = obj
        version = None
        if dist:
            try:
                version = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                version = None
        hooks = sorted(self._hook_names(name))
        self._info[name] = PluginInfo(name=name, dist=dist, version=version, hooks=hooks, builtin=builtin)
        for old in sorted(set(hooks) & hookspecs.DEPRECATED_HOOKS.keys()):
            warnings.warn(
                f"plugin {name!r} implements {old}, which is deprecated: rename it to "
                f"{hookspecs.DEPRECATED_HOOKS[old]} (the old name stops working in the next release)",
                DeprecationWarning,
                stacklevel=2,
            )
        return True

    def _hook_names(self, name: str) -> list[str]:
        return [caller.name for caller in self.pm.get_hookcallers(self.pm.get_plugin(name)) or []]

    def _fail(self, name: str, dist: str | None, reason: str, exc: BaseException) -> bool:
        error = LoadError(plugin=name, reason=reason, dist=dist)
        if self.strict:
            raise PluginError(f"Plugin {name!r} failed to load: {reason}", plugin=name) from exc
        self.errors.append(error)
        log.warning("plugin %r failed to load and was skipped: %s", name, reason)
        return False

    def unregister(self, name: str) -> None:
        """Remove a plugin (used by tests and by hot reload when a plugin is disabled)."""
        self.pm.unregister(name=name)
        self._info.pop(name, None)
        self._objects.pop(name, None)

    def get_plugin(self, name: str) -> object | None:
        """The plugin object registered under ``name`` (not pluggy's guarded proxy of it)."""
        return self._objects.get(name)

    # -- introspection ---------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """Loaded plugins, built-ins first."""
        return sorted(self._info.values(), key=lambda p: (not p.builtin, p.name))

    def is_loaded(self, name: str) -> bool:
        return name in self._info

    # -- provider collection ---------------------------------------------------------------

    def collect(
        self,
        hook_name: str,
        *,
        check: Callable[[Any], bool] | None = None,
        expected: str = "",
        exclude: set[str] | frozenset[str] = frozenset(),
        aliases: Sequence[str] = (),
        **kwargs: Any,
    ) -> dict[str, Registration]:
        """Call registration hook ``hook_name`` (then its deprecated ``aliases``) and gather what is registered.

        Each implementation's ``register`` is bound to its plugin; plugins in ``exclude`` register nothing.

        :param check: returns True when a registered object has the right type.
        :param expected: what ``check`` expects, for the error message.
        :raises PluginError: on a duplicate name (naming both plugins) or a wrong type.
        """
        found: dict[str, Registration] = {}

        def bind(plugin: str) -> Callable[[str, object], None]:
            def register(name: str, factory: Any) -> None:
                if not isinstance(name, str) or not name:
                    raise PluginError(
                        f"Plugin {plugin!r} registered a {hook_name} entry without a name", plugin=plugin
                    )
                if check is not None and not check(factory):
                    raise PluginError(
                        f"Plugin {plugin!r} registered {name!r} through {hook_name}, "
                        f"but it is {factory!r}, not {expected}",
                        plugin=plugin,
                    )
                if name in found:
                    other = found[name].plugin
                    raise PluginError(
                        f"{hook_name}: {name!r} is registered by both plugin {other!r} and plugin {plugin!r}",
                        plugin=plugin,
                    )
                found[name] = Registration(name=name, factory=factory, plugin=plugin)

            return register

        registrar = Registrar(bind)
        excluded = [self.pm.get_plugin(name) for name in exclude if self.pm.has_plugin(name)]
        with hook_call(_reraise):  # a failing registration fails the configuration
            for hook in (hook_name, *aliases):
                self.pm.subset_hook_caller(hook, excluded)(register=registrar, **kwargs)
        return found

    # -- events ----------------------------------------------------------------------------

    def has_implementations(self, hook_name: str) -> bool:
        return bool(getattr(self.pm.hook, hook_name).get_hookimpls())

    async def notify(self, hook_name: str, *, raise_errors: bool = False, **kwargs: Any) -> list[Any]:
        """Call an event hook, then await each result in call order; log a failing observer by name.

        :param raise_errors: raise a `PluginError` naming the first failing plugin instead (the
            observers after it are not called).
        :return: the implementations' results (awaited), ``None`` results left out as pluggy does.
        """
        on_error = _raise if raise_errors else _log_failure
        with hook_call(on_error):
            called = getattr(self.pm.hook, hook_name)(**kwargs)
            results = [
                await (value if isinstance(value, GuardedAwaitable) else await_me_maybe(value)) for value in called
            ]
        return [value for value in results if value is not None]

    def call_sync(self, hook_name: str, **kwargs: Any) -> None:
        """Call a hook whose implementations are synchronous (e.g. ``register_commands``).

        A failing implementation is recorded in `errors` and skipped (raised when ``strict``).
        """
        on_error: OnError = _raise if self.strict else self._record_failure
        with hook_call(on_error):
            getattr(self.pm.hook, hook_name)(**kwargs)

    def _record_failure(self, plugin: str, hook: str, exc: Exception) -> None:
        self.errors.append(LoadError(plugin=plugin, reason=f"{hook}: {exc}"))
        log.warning("plugin %r failed in %s: %s", plugin, hook, exc)

    # -- tracing ---------------------------------------------------------------------------

    def set_tracing(self, enabled: bool) -> None:
        """Log every hook call (plugins reached, duration, outcome) to ``prisma_infra.plugins.trace``."""
        if enabled and self._untrace is None:
            self._untrace = self.pm.add_hookcall_monitoring(*_tracer())
            if not trace_log.handlers and not logging.getLogger().handlers:
                trace_log.addHandler(logging.StreamHandler())  # visible without logging set up, like datasette
            trace_log.setLevel(logging.INFO)
        elif not enabled and self._untrace is not None:
            self._untrace()
            self._untrace = None

    @property
    def tracing(self) -> bool:
        return self._untrace is not None


def _reraise(plugin: str, hook: str, exc: Exception) -> None:
    raise exc


def _raise(plugin: str, hook: str, exc: Exception) -> None:
    raise PluginError(f"Plugin {plugin!r} failed in {hook}: {exc}", plugin=plugin) from exc


def _log_failure(plugin: str, hook: str, exc: Exception) -> None:
    log.error("plugin %r failed in %s", plugin, hook, exc_info=exc)


_Before = Callable[[str, Sequence[pluggy.HookImpl], Mapping[str, object]], None]
_After = Callable[[pluggy.Result[object], str, Sequence[pluggy.HookImpl], Mapping[str, object]], None]


def _tracer() -> tuple[_Before, _After]:
    """``before``/``after`` for `pluggy.PluginManager.add_hookcall_monitoring` (calls nest: a stack)."""
    started: list[float] = []

    def before(hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, object]) -> None:
        started.append(time.perf_counter())

    def after(
        outcome: pluggy.Result[object], hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, object]
    ) -> None:
        elapsed = (time.perf_counter() - started.pop()) * 1000
        plugins = ", ".join(impl.plugin_name for impl in reversed(impls)) or "none"
        failed = f" raised {type(outcome.exception).__name__}" if outcome.exception is not None else ""
        # Async implementations are timed up to their awaitable; the kernel awaits it afterwards.
        trace_log.info("hook %s [%s] %.3f ms%s", hook_name, plugins, elapsed, failed)

    return before, after
