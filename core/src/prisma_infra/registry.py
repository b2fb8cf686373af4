"""The registry: what every plugin registers, by provider kind, and the engine it selects.

The kinds themselves (hook, base class, type check, install hints) are the one
table in `prisma_infra.provider_kinds`.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import ConfigurationError, closest_match
from prisma_infra.plugin_manager import PluginManager, Registration
from prisma_infra.provider_kinds import DEPRECATED_KINDS, PROVIDER_KINDS, install_hint
from prisma_infra.providers import Engine

__all__ = ["PROVIDER_HOOKS", "Registry", "collect_registry", "select_engine", "unknown_provider"]

#: Deprecated view of `PROVIDER_KINDS`: kind -> (registration hook, type check, what the check expects).
PROVIDER_HOOKS: dict[str, tuple[str, Callable[[Any], bool], str]] = {
    key: (kind.hook, kind.check, kind.expected) for key, kind in PROVIDER_KINDS.items()
}


class Registry(dict[str, dict[str, Registration]]):
    """Kind key -> provider name -> `Registration`; an old kind key still reads its renamed kind."""

    def __missing__(self, key: str) -> dict[str, Registration]:
        renamed = DEPRECATED_KINDS.get(key)
        if renamed is None:
            raise KeyError(key)
        warnings.warn(f"registry[{key!r}] is deprecated: use registry[{renamed!r}]", DeprecationWarning, stacklevel=2)
        return self[renamed]


def collect_registry(plugins: PluginManager, *, exclude: set[str] | frozenset[str] = frozenset()) -> Registry:
    """Everything every plugin registers, by kind; raises on clashes and wrong types.

    :param exclude: plugin names whose registrations are left out (disabled by configuration).
    """
    return Registry(
        {
            key: plugins.collect(
                kind.hook, check=kind.check, expected=kind.expected, exclude=exclude, aliases=kind.deprecated_hooks
            )
            for key, kind in PROVIDER_KINDS.items()
        }
    )


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
        raise unknown_provider("database.engine", name, engines, install_hint("engines", name))
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
