"""The registry: what every plugin registers, by provider kind, and the engine it selects."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import ConfigurationError, closest_match
from prisma_infra.pipeline import Middleware
from prisma_infra.plugin_manager import PluginManager, Registration
from prisma_infra.providers import AuditSink, CacheStore, Engine, MetricsExporter, PiiDetector, SearchProvider

__all__ = ["PROVIDER_HOOKS", "Registry", "collect_registry", "select_engine", "unknown_provider"]


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


def unknown_provider(setting: str, name: str, known: Mapping[str, Any], install_hint: str = "") -> ConfigurationError:
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
        raise unknown_provider("database.engine", name, engines, hint)
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
