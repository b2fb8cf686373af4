"""The configuration swap behind ``infra.configure``, ``infra.reload`` and ``infra.apply_config``.

A change is applied as one unit: the new runtime (providers, middleware, the engine
when the database changed) is built and started first; the facade installs it only
then, and the old runtime finishes what is in flight and closes. Anything that
fails to build or start closes what was started and leaves the running
configuration untouched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prisma_infra.errors import PrismaInfraError
from prisma_infra.registry import collect_registry, select_engine
from prisma_infra.reload import config_changes, describe_swap
from prisma_infra.runtime import Runtime

if TYPE_CHECKING:
    from prisma_infra.config.loader import LoadedConfig
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.kernel import Kernel
    from prisma_infra.plugin_manager import PluginManager
    from prisma_infra.providers import Engine
    from prisma_infra.schema.model import Schema

__all__ = [
    "Swap",
    "first_runtime",
    "merged_config",
    "prepare_swap",
    "read_schema",
    "report_rejected",
    "reread_settings",
]

log = logging.getLogger("prisma_infra")


async def read_schema(engine: Engine) -> Schema:
    """The schema of the database behind ``engine``."""
    from prisma_infra.schema import Schema

    return Schema.from_datamodel(await engine.datamodel(), provider=engine.provider)


async def first_runtime(kernel: Kernel, config: InfraConfig, install_schema: Callable[[Schema], None]) -> Runtime:
    """The runtime ``kernel`` starts with. The schema its engine reads is installed first (the
    middleware read it when they start); the engine closes when anything fails."""
    registry = collect_registry(kernel.plugins)
    engine = select_engine(registry, config)
    await engine.start()
    try:
        install_schema(await read_schema(engine))
        runtime = Runtime.build(config, registry, engine, kernel, kernel.plugins)
        await runtime.start()
    except BaseException:
        await engine.close()
        raise
    return runtime


@dataclass(slots=True)
class Swap:
    """A started runtime ready to replace ``old``; the facade installs it, then calls `finish`."""

    old: Runtime
    runtime: Runtime
    schema: Schema | None
    changes: dict[str, Any]
    engine_changed: bool
    plugins: PluginManager

    async def finish(self) -> None:
        """After the install: unload disabled plugins, log what was rebuilt, retire the old runtime."""
        plugins = self.plugins
        for name in list(plugins.disabled):
            if plugins.is_loaded(name):
                plugins.unregister(name)
        for line in describe_swap(self.changes):
            log.info("configuration applied; rebuilt %s", line)
        await self.old.retire(close_engine=self.engine_changed)


async def prepare_swap(kernel: Kernel, config: InfraConfig, schema: Schema | None) -> Swap | None:
    """Build and start the runtime of ``config`` beside the current one (``None``: nothing changed)."""
    old = kernel.runtime
    changes = config_changes(old.config, config)
    if not changes:
        return None
    plugins = kernel.plugins
    plugins.allowlist = set(config.plugins.load) if config.plugins.load is not None else plugins.allowlist
    plugins.disabled = set(config.plugins.disable)
    plugins.strict = config.plugins.strict
    plugins.set_tracing(config.plugins.trace or plugins.trace_env)
    if plugins.autoload:
        plugins.discover()  # plugins pip-installed since start-up
    registry = collect_registry(plugins, exclude=plugins.disabled)
    engine_changed = config.database != old.config.database
    engine = select_engine(registry, config) if engine_changed else old.engine
    try:
        if engine_changed:
            await engine.start()
            schema = await read_schema(engine)
        new = Runtime.build(config, registry, engine, kernel, plugins)
        await new.start()
    except BaseException:
        if engine_changed:
            await engine.close()
        raise
    return Swap(old, new, schema, changes, engine_changed, plugins)


async def reread_settings(loaded: LoadedConfig, overrides: Mapping[str, Any] | None = None) -> LoadedConfig:
    """The settings files read again (off the event loop), with ``overrides`` on top of the earlier ones."""
    from prisma_infra.config.loader import reload_config
    from prisma_infra.config.sources import merge_layer

    if overrides is None:
        return await asyncio.to_thread(reload_config, loaded)
    merged: dict[str, Any] = {}
    merge_layer(merged, loaded.overrides, "overrides", {})
    merge_layer(merged, overrides, "overrides", {})
    return await asyncio.to_thread(reload_config, loaded, overrides=merged)


def merged_config(current: InfraConfig, overrides: Mapping[str, Any]) -> InfraConfig:
    """``current`` with ``overrides`` (a nested dict, as in a settings file) applied, validated."""
    from prisma_infra.config.loader import validate_config
    from prisma_infra.config.sources import merge_layer

    values = current.model_dump(mode="python")
    for key in ("database", "audit"):  # keep secrets as values, not their masked repr
        values[key] = getattr(current, key).model_dump()
    merge_layer(values, overrides, "overrides", {})
    return validate_config(values)


async def report_rejected(kernel: Kernel | None, error: PrismaInfraError) -> None:
    """Log each problem of settings that were not applied, and alert when ``kernel`` is running."""
    problems = getattr(error, "problems", None) or [str(error)]
    for problem in problems:
        log.error("configuration not applied: %s", problem)
    log.error("keeping the running configuration (%d problem(s))", len(problems))
    if kernel is not None:
        await kernel.raise_alert(
            {
                "name": "configuration_rejected",
                "severity": "warning",
                "source": "reload",
                "message": f"invalid configuration not applied: {error}",
                "problems": problems,
            }
        )
