"""Hot reload: what changed between two configurations, and a watcher for settings files.

A change is applied by `Infrastructure.apply_config` as one swap: the new runtime
is built and started first; only then does it replace the old one, which
finishes what is in flight and closes. An invalid file or a provider that fails
to start leaves the running configuration untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from prisma_infra.config.model import InfraConfig
from prisma_infra.errors import PrismaInfraError

if TYPE_CHECKING:
    from prisma_infra.config.loader import LoadedConfig

__all__ = ["ConfigWatcher", "Reloadable", "config_changes", "describe_swap"]

log = logging.getLogger("prisma_infra.reload")

#: Section → what a change there rebuilds (for ``config diff`` and log lines).
_SWAPS = {
    "database": "the engine (new connection pool; in-flight operations finish on the old one)",
    "cache": "the cache manager and its stores",
    "audit": "the audit trail and its sinks",
    "monitoring": "the metrics middleware and exporters",
    "analytics": "KPI schedules and alert rules",
    "plugins": "the plugin set (newly installed plugins are discovered)",
    "pipeline": "the middleware order",
    "models": "per-model settings (cache, audit, policies, PII)",
}


class Reloadable(Protocol):
    """What the watcher drives: the settings it watches and the reload that re-reads them."""

    @property
    def loaded(self) -> LoadedConfig | None:
        """The settings files loaded (``None``: not loaded from files)."""
        ...

    async def reload(self) -> dict[str, Any]:
        """Re-read the settings files and apply them; raises `PrismaInfraError` on invalid settings."""
        ...


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping) and data:
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): data}


def config_changes(old: InfraConfig | None, new: InfraConfig) -> dict[str, Any]:
    """Dotted key paths whose value differs, mapped to the new value (``None`` when removed).

    Values are compared as Python objects, where a ``SecretStr`` equals another
    only with the same secret (the JSON dump masks them all alike, which hid a
    rotated token); the values returned, logged and passed to hooks are the
    masked JSON ones, so a secret never leaves the configuration.
    """
    before = _flatten(old.model_dump()) if old is not None else {}
    after = _flatten(new.model_dump())
    shown = _flatten(new.model_dump(mode="json"))
    return {key: shown.get(key) for key in sorted(before.keys() | after.keys()) if before.get(key) != after.get(key)}


def describe_swap(changes: Mapping[str, Any]) -> list[str]:
    """Human-readable list of what applying ``changes`` rebuilds."""
    sections = sorted({key.split(".", 1)[0] for key in changes})
    return [f"{section}: {_SWAPS.get(section, 'settings only')}" for section in sections]


class ConfigWatcher:
    """Watches the settings files (and ``.secrets.*`` beside them) and reloads on change.

    Uses watchfiles (inotify), or polling where file-system events do not arrive
    (containers with bind mounts): ``polling=True``.
    """

    def __init__(
        self,
        infrastructure: Reloadable,
        *,
        debounce_ms: int = 200,
        polling: bool = False,
        poll_delay_ms: int = 250,
    ) -> None:
        self.infrastructure = infrastructure
        self.debounce_ms = debounce_ms
        self.polling = polling
        self.poll_delay_ms = poll_delay_ms
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        #: Outcome of each reload the watcher triggered: changes applied, or the error.
        self.history: list[dict[str, Any] | PrismaInfraError] = []
        self.reloaded = asyncio.Condition()

    def _paths(self) -> list[Path]:
        loaded = self.infrastructure.loaded
        files = list(loaded.settings_files or loaded.files) if loaded is not None else []
        # Folders, so that a secrets file created later, or an editor's rename-on-save, is seen.
        return sorted({path.resolve().parent for path in files})

    def _relevant(self, path: str) -> bool:
        loaded = self.infrastructure.loaded
        if loaded is None:
            return False
        name = Path(path).name
        watched = {p.resolve() for p in (*loaded.files, *loaded.settings_files)}
        return Path(path).resolve() in watched or name.startswith(".secrets.") or name.startswith("settings.")

    async def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            ready = asyncio.Event()
            self._task = asyncio.create_task(self._run(ready), name="prisma-infra-config-watcher")
            await ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            task, self._task = self._task, None
            await task

    async def _run(self, ready: asyncio.Event) -> None:
        paths = self._paths()
        if not paths:
            ready.set()
            return
        if self.polling:
            await self._poll(paths, ready)
        else:
            await self._watch(paths, ready)
        ready.set()  # stopped before the watch was in place

    async def _watch(self, paths: list[Path], ready: asyncio.Event) -> None:
        from watchfiles import awatch

        watcher = awatch(
            *paths, debounce=self.debounce_ms, stop_event=self._stop, yield_on_timeout=True, rust_timeout=100
        )
        async for changes in watcher:
            # The first (empty, on timeout) yield means the watch is in place: only
            # then may start() return, or a save made right after could be missed.
            ready.set()
            if any(self._relevant(path) for _, path in changes):
                await self._reload()

    def _snapshot(self, folders: list[Path]) -> dict[str, tuple[int, int, int]]:
        found: dict[str, tuple[int, int, int]] = {}
        for folder in folders:
            for path in folder.iterdir():
                if self._relevant(str(path)):
                    with contextlib.suppress(OSError):
                        stat = path.stat()
                        found[str(path)] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        return found

    async def _poll(self, folders: list[Path], ready: asyncio.Event) -> None:
        # Our own stat() poller: watchfiles' polling mode misses saves made in quick
        # succession, and bind-mounted files only need a few stat calls per interval.
        previous = self._snapshot(folders)
        ready.set()
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll_delay_ms / 1000)
            if self._stop.is_set():
                return
            current = self._snapshot(folders)
            if current != previous:
                await asyncio.sleep(self.debounce_ms / 1000)  # let a multi-write save finish
                previous = self._snapshot(folders)
                await self._reload()

    async def _reload(self) -> None:
        try:
            outcome: dict[str, Any] | PrismaInfraError = await self.infrastructure.reload()
        except PrismaInfraError as error:
            outcome = error  # already logged and alerted by reload()
        except Exception as error:  # never let the watcher die
            log.exception("configuration reload failed")
            outcome = PrismaInfraError(f"configuration reload failed: {error}")
        async with self.reloaded:
            self.history.append(outcome)
            self.reloaded.notify_all()
