"""Start a real `Infrastructure` with a given plugin, on the SDK's `MemoryEngine`.

The infrastructure is the kernel's own, with its built-in plugins: the
pipeline, cache manager, audit writer, monitor and PII manager all run, so a
test sees a plugin used the way an application uses it. Only the database is
a double (`MemoryEngine` serving the kit schema), unless the configuration
names another engine.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.metadata
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import ENTRY_POINT_GROUP, PluginManager

from prisma_infra_sdk.testing.engine import ENGINE_NAME, MemoryEnginePlugin

__all__ = ["build_infrastructure", "merge_config", "running_infrastructure"]

#: A plugin object (module, class, instance), an installed plugin's entry-point name, or several of these.
PluginSpec = object | str | Sequence[object | str] | None


def merge_config(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` merged into ``base`` section by section (nested mappings merge, other values replace)."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_config(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _plugins(spec: PluginSpec) -> list[object | str]:
    if spec is None:
        return []
    if isinstance(spec, str) or not isinstance(spec, Sequence):
        return [spec]
    return list(spec)


def build_infrastructure(
    plugin: PluginSpec = None,
    config: Mapping[str, Any] | None = None,
    *,
    base_dir: str | None = None,
) -> tuple[Infrastructure, MemoryEnginePlugin]:
    """An `Infrastructure` (not started) with the built-ins, ``plugin`` and the memory engine.

    :param plugin: what to register besides the built-in plugins: a plugin object
        (module, class or instance, as an entry point would load it), the entry-point
        name of an installed plugin (loaded from its dist, as in production), or a list.
        Other installed plugins are not loaded.
    :param config: settings merged over the defaults; ``database`` defaults to the memory engine.
    :param base_dir: folder relative paths resolve from (audit files, buffers).
    """
    names = [p for p in _plugins(plugin) if isinstance(p, str)]
    objects = [p for p in _plugins(plugin) if not isinstance(p, str)]
    manager = PluginManager(strict=True, load=names, autoload=bool(names), environ={})
    manager.load_all()
    missing = [n for n in names if not manager.is_loaded(n)]
    if missing:
        installed = sorted(ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
        raise LookupError(
            f"no installed plugin named {', '.join(map(repr, missing))} in the {ENTRY_POINT_GROUP!r} "
            f"entry-point group (installed: {', '.join(installed) or 'none'})"
        )
    engine = MemoryEnginePlugin()
    manager.register(engine)
    for item in objects:
        manager.register(item)
    defaults: dict[str, Any] = {"database": {"engine": ENGINE_NAME}}
    if base_dir is not None:
        defaults["base_dir"] = base_dir
    return Infrastructure(merge_config(defaults, config or {}), plugin_manager=manager), engine


@contextlib.asynccontextmanager
async def running_infrastructure(
    plugin: PluginSpec = None, config: Mapping[str, Any] | None = None, *, base_dir: str | None = None
) -> AsyncIterator[Infrastructure]:
    """``async with running_infrastructure(my_plugin, {"cache": {"tiers": ["mine"]}}) as infra:``.

    Starts the infrastructure (see `build_infrastructure`) and closes it on exit.
    Without ``base_dir`` (or ``base_dir`` in ``config``), relative paths resolve in a
    temporary folder removed on exit, so nothing is written to the working directory.
    """
    with contextlib.ExitStack() as stack:
        if base_dir is None and "base_dir" not in (config or {}):
            base_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="prisma-infra-sdk-"))
        infra, _ = build_infrastructure(plugin, config, base_dir=base_dir)
        await infra.start()
        try:
            yield infra
        finally:
            await infra.close()
