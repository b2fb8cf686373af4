"""Discovers, loads and isolates plugins; collects what they register.

Each plugin loads on its own: one that fails to import, to register, or that
implements a misspelled hook is reported by name and skipped (fatal when
``strict``), and the others load. Providers are collected by calling each
plugin's registration hook with a ``register`` callable bound to that plugin,
so a clash names both plugins.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pluggy

from prisma_infra import hookspecs
from prisma_infra.errors import PluginError

__all__ = [
    "DEFAULT_PLUGINS",
    "DISABLE_AUTOLOAD_ENV",
    "ENTRY_POINT_GROUP",
    "LOAD_PLUGINS_ENV",
    "LoadError",
    "PluginInfo",
    "PluginManager",
    "Registration",
    "await_me_maybe",
]

log = logging.getLogger("prisma_infra.plugins")

ENTRY_POINT_GROUP = "prisma_infra"
LOAD_PLUGINS_ENV = "PRISMA_INFRA_LOAD_PLUGINS"
DISABLE_AUTOLOAD_ENV = "PRISMA_INFRA_DISABLE_PLUGIN_AUTOLOAD"

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
            self.pm.register(obj, name=name)
        except Exception as exc:
            return self._fail(name, dist, f"{type(exc).__name__}: {exc}", exc)
        try:
            # Names the plugin whose hook has no spec (a typo), instead of a silent no-op.
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            return self._fail(name, dist, str(exc), exc)
        version = None
        if dist:
            try:
                version = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                version = None
        hooks = sorted(impl_name for impl_name in self._hook_names(obj))
        self._info[name] = PluginInfo(name=name, dist=dist, version=version, hooks=hooks, builtin=builtin)
        return True

    def _hook_names(self, plugin: object) -> list[str]:
        return [caller.name for caller in self.pm.get_hookcallers(plugin) or []]

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
        **kwargs: Any,
    ) -> dict[str, Registration]:
        """Call registration hook ``hook_name`` plugin by plugin and gather what is registered.

        :param check: returns True when a registered object has the right type.
        :param expected: what ``check`` expects, for the error message.
        :raises PluginError: on a duplicate name (naming both plugins) or a wrong type.
        """
        caller = getattr(self.pm.hook, hook_name)
        found: dict[str, Registration] = {}
        # pluggy lists implementations last-registered first; reverse so built-ins come first.
        for impl in reversed(caller.get_hookimpls()):
            plugin_name = impl.plugin_name
            if plugin_name in exclude:
                continue

            def register(name: str, factory: Any, _plugin: str = plugin_name) -> None:
                if not isinstance(name, str) or not name:
                    raise PluginError(
                        f"Plugin {_plugin!r} registered a {hook_name} entry without a name", plugin=_plugin
                    )
                if check is not None and not check(factory):
                    raise PluginError(
                        f"Plugin {_plugin!r} registered {name!r} through {hook_name}, "
                        f"but it is {factory!r}, not {expected}",
                        plugin=_plugin,
                    )
                if name in found:
                    other = found[name].plugin
                    raise PluginError(
                        f"{hook_name}: {name!r} is registered by both plugin {other!r} and plugin {_plugin!r}",
                        plugin=_plugin,
                    )
                found[name] = Registration(name=name, factory=factory, plugin=_plugin)

            args = {"register": register, **kwargs}
            impl.function(**{arg: args[arg] for arg in impl.argnames})
        return found

    # -- events ----------------------------------------------------------------------------

    def has_implementations(self, hook_name: str) -> bool:
        return bool(getattr(self.pm.hook, hook_name).get_hookimpls())

    async def notify(self, hook_name: str, *, raise_errors: bool = False, **kwargs: Any) -> list[Any]:
        """Call an event hook; await each result one by one; log a failing observer by name."""
        caller = getattr(self.pm.hook, hook_name)
        results: list[Any] = []
        for impl in reversed(caller.get_hookimpls()):
            try:
                value = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                results.append(await await_me_maybe(value))
            except Exception as exc:
                if raise_errors:
                    raise PluginError(
                        f"Plugin {impl.plugin_name!r} failed in {hook_name}: {exc}", plugin=impl.plugin_name
                    ) from exc
                log.exception("plugin %r failed in %s", impl.plugin_name, hook_name)
        return results

    def call_sync(self, hook_name: str, **kwargs: Any) -> None:
        """Call a hook whose implementations are synchronous (e.g. ``register_commands``)."""
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except Exception as exc:
                if self.strict:
                    raise PluginError(
                        f"Plugin {impl.plugin_name!r} failed in {hook_name}: {exc}", plugin=impl.plugin_name
                    ) from exc
                self.errors.append(LoadError(plugin=impl.plugin_name, reason=f"{hook_name}: {exc}"))
                log.warning("plugin %r failed in %s: %s", impl.plugin_name, hook_name, exc)
