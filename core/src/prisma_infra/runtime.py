"""`Runtime`: the providers built for one configuration, swapped in as one unit.

An operation takes the runtime current when it starts and finishes on it, so a
reload never changes providers under an operation in flight.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import ConfigurationError, PluginError, closest_match
from prisma_infra.pipeline import Handler, Middleware, compose, order_middleware
from prisma_infra.plugin_manager import PluginManager, Registration
from prisma_infra.providers import AuditSink, CacheStore, Engine, MetricsExporter, PiiDetector, SearchProvider

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure

log = logging.getLogger("prisma_infra.runtime")

__all__ = ["PROVIDER_HOOKS", "Registry", "Runtime", "build_middleware", "collect_registry", "select_engine"]


def _factory_of(base: type) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if inspect.isclass(value):
            return issubclass(value, base)
        return callable(value)

    return check


def _instance_of(base: type) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, base)


#: kind -> (registration hook, type check, what the check expects)
PROVIDER_HOOKS: dict[str, tuple[str, Callable[[Any], bool], str]] = {
    "engines": ("register_engines", _factory_of(Engine), "an Engine subclass or factory"),
    "cache_backends": ("register_cache_backends", _factory_of(CacheStore), "a CacheStore subclass or factory"),
    "search_providers": ("register_search_providers", _factory_of(SearchProvider), "a SearchProvider factory"),
    "audit_sinks": ("register_audit_sinks", _factory_of(AuditSink), "an AuditSink subclass or factory"),
    "metrics_exporters": ("register_metrics_exporters", _factory_of(MetricsExporter), "a MetricsExporter factory"),
    "pii_detectors": ("register_pii_detectors", _instance_of(PiiDetector), "a PiiDetector instance"),
    "middleware": ("register_middleware", _factory_of(Middleware), "a Middleware subclass or factory"),
    "analytics_metrics": ("register_analytics_metrics", lambda v: v is not None, "a metric definition"),
}

Registry = dict[str, dict[str, Registration]]


def collect_registry(plugins: PluginManager, *, exclude: set[str] | frozenset[str] = frozenset()) -> Registry:
    """Everything every plugin registers, by kind; raises on clashes and wrong types.

    :param exclude: plugin names whose registrations are left out (disabled by configuration).
    """
    return {
        kind: plugins.collect(hook, check=check, expected=expected, exclude=exclude)
        for kind, (hook, check, expected) in PROVIDER_HOOKS.items()
    }


def _unknown(setting: str, name: str, known: Mapping[str, Any], install_hint: str = "") -> ConfigurationError:
    match = closest_match(name, known)
    hint = f" Did you mean {match!r}?" if match else ""
    available = ", ".join(sorted(known)) or "none"
    return ConfigurationError(
        f"{setting}: {name!r} is not registered by any plugin (available: {available}).{hint}{install_hint}",
        problems=[f"{setting}: unknown provider {name!r}"],
    )


def select_engine(registry: Registry, config: InfraConfig) -> Engine:
    name = config.database.engine
    engines = registry["engines"]
    if name not in engines:
        hint = " Install it with: pip install prisma-infra-prisma" if name == "prisma" else ""
        raise _unknown("database.engine", name, engines, hint)
    database = config.database
    schema_path = Path(database.schema_path)
    if not schema_path.is_absolute():
        # Relative to the settings file's folder, not to wherever the process was started.
        database = database.model_copy(update={"schema_path": str(Path(config.base_dir) / schema_path)})
    factory = engines[name].factory
    # An engine that reads files beside the settings (.env, prisma.config.ts) is told their folder.
    engine: Engine = factory(database, base_dir=config.base_dir) if _takes_base_dir(factory) else factory(database)
    return engine


def _takes_base_dir(factory: Callable[..., Any]) -> bool:
    try:
        return "base_dir" in inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C callable
        return False


def build_middleware(registry: Registry, config: InfraConfig, infrastructure: Infrastructure) -> list[Middleware]:
    available = registry["middleware"]
    for name in (*config.pipeline.order, *config.pipeline.disable):
        if name not in available:
            raise _unknown("pipeline.order", name, available)
    built = [reg.factory(infrastructure) for name, reg in available.items() if name not in config.pipeline.disable]
    return order_middleware(built, config.pipeline.order)


@dataclass(slots=True)
class Runtime:
    """One configuration's providers and the composed pipeline."""

    config: InfraConfig
    registry: Registry
    engine: Engine
    middleware: list[Middleware]
    handler: Handler
    notify_completed: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    #: Operations and open transactions using this runtime; a retired runtime closes at zero.
    users: int = 0
    retired: bool = False
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    def hold(self) -> None:
        self.users += 1

    def release(self) -> None:
        self.users -= 1
        if self.users == 0 and self.retired:
            self._idle.set()

    async def retire(self, *, close_engine: bool, grace: float = 30.0) -> None:
        """Stop taking work; wait (up to ``grace`` seconds) for what is in flight, then close."""
        self.retired = True
        if self.users > 0:
            try:
                await asyncio.wait_for(self._idle.wait(), grace)
            except TimeoutError:
                log.warning("closing the previous configuration with %d operation(s) still in flight", self.users)
        await self.close(engine=close_engine)

    @classmethod
    def build(
        cls,
        config: InfraConfig,
        registry: Registry,
        engine: Engine,
        infrastructure: Infrastructure,
        plugins: PluginManager,
    ) -> Runtime:
        middleware = build_middleware(registry, config, infrastructure)
        return cls(
            config=config,
            registry=registry,
            engine=engine,
            middleware=middleware,
            handler=compose(middleware, engine.execute),
            notify_completed=plugins.has_implementations("operation_completed"),
        )

    async def start(self) -> None:
        """Start every middleware; on failure close the ones already started and re-raise."""
        started: list[Middleware] = []
        try:
            for middleware in self.middleware:
                try:
                    await middleware.start(self)
                except (ConfigurationError, PluginError):
                    raise
                except Exception as exc:
                    registration = self.registry["middleware"].get(middleware.name)
                    plugin = registration.plugin if registration else "unknown"
                    raise PluginError(
                        f"Middleware {middleware.name!r} of plugin {plugin!r} failed to start: "
                        f"{type(exc).__name__}: {exc}",
                        plugin=plugin,
                    ) from exc
                started.append(middleware)
            # Composed again now that every middleware knows its configuration: one with nothing to
            # do under it (no audit sink, cache disabled) leaves itself out of the chain.
            self.handler = compose(self.middleware, self.engine.execute)
        except BaseException:
            for middleware in reversed(started):
                await middleware.close()
            raise

    async def close(self, *, engine: bool = True) -> None:
        """Close middleware (innermost first), then the engine unless it is shared with a successor."""
        for middleware in reversed(self.middleware):
            await middleware.close()
        if engine:
            await self.engine.close()
