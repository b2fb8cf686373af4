"""What the dashboard shows, assembled once per refresh and shared by every browser watching.

The document is the `Monitor` snapshot — of every live process of the deployment when
monitoring publishes its `prisma_infra.ports.dashboard.DEPLOYMENT` view (merged through
the shared cache store; ``processes`` lists them) — plus:

* ``health``: the readiness checks (refreshed every 5 s at most);
* the sections of every `prisma_infra.ports.dashboard.DashboardSource` the runtime's
  features publish under ``DASHBOARD_SOURCES``: ``cache`` (the cache), ``kpis`` and
  ``alerts`` (analytics), ``exporters`` (monitoring), each ``None`` (the page shows an
  empty state) until its feature publishes it; a section the page has no widget for
  is drawn as a panel;
* ``panels``: the data of every plugin panel.

Section shapes are in `prisma_infra.ports.dashboard`. Nothing in the document holds a
value in clear: the monitor masks errors, tracebacks and arguments when it records
them (`prisma_infra.monitoring.masking`), sources mask what they return, panel
errors are masked here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from prisma_infra.errors import PrismaInfraError
from prisma_infra.monitoring.health import readiness
from prisma_infra.monitoring.middleware import monitor_for
from prisma_infra.ports.dashboard import DASHBOARD_SECTIONS, DASHBOARD_SOURCES, DEPLOYMENT, DashboardSource
from prisma_infra.web.panels import Panel, panel_data
from prisma_infra.web.sources import adapted_sources

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel

__all__ = ["DashboardData", "dumps"]

log = logging.getLogger("prisma_infra.web")

_HEALTH_EVERY = 5.0


def dumps(value: Any) -> bytes:
    """JSON for the browser: orjson, with ``str()`` for what it cannot encode (Decimal, sets...)."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


class DashboardData:
    """Builds the dashboard document at most once per ``max_age`` seconds."""

    def __init__(self, kernel: Kernel, panels: Mapping[str, tuple[str, Panel]] | None = None) -> None:
        self.kernel = kernel
        self.panels: dict[str, tuple[str, Panel]] = dict(panels or {})
        self._lock = asyncio.Lock()
        self._built_at = 0.0
        self._document: bytes = b""
        self._health: dict[str, Any] | None = None
        self._health_at = 0.0

    @property
    def interval(self) -> float:
        return float(self.kernel.config.monitoring.dashboard_interval)

    async def json(self) -> bytes:
        """The current document as JSON bytes (shared by concurrent callers)."""
        max_age = self.interval / 2
        if time.monotonic() - self._built_at < max_age and self._document:
            return self._document
        async with self._lock:
            if time.monotonic() - self._built_at >= max_age or not self._document:
                self._document = dumps(await self.build())
                self._built_at = time.monotonic()
            return self._document

    async def build(self) -> dict[str, Any]:
        kernel = self.kernel
        try:
            runtime = kernel.runtime
        except PrismaInfraError:
            document = monitor_for(kernel).snapshot()
            document.update(started=False, health=None, cache=None, kpis=None, alerts=None, panels=[])
            return document
        # The whole deployment's numbers when monitoring publishes its view, else this process's.
        deployment = runtime.services.get(DEPLOYMENT)
        document = await deployment.document() if deployment is not None else monitor_for(kernel).snapshot()
        timeout = runtime.config.monitoring.readiness_timeout
        document.update(dict.fromkeys(DASHBOARD_SECTIONS), exporters=[], started=True)
        document["health"] = await self._readiness()
        sources = list(runtime.services.all(DASHBOARD_SOURCES))
        sources += adapted_sources(runtime, {source.name for source in sources})
        sections, panels = await asyncio.gather(_sections(sources, timeout), panel_data(kernel, self.panels, timeout))
        for source, section, data in sections:
            if section in DASHBOARD_SECTIONS:
                document[section] = data
            else:
                panels.append(
                    {
                        "name": section,
                        "plugin": source,
                        "title": section.replace("_", " ").title(),
                        "description": "",
                        "data": data,
                    }
                )
        document["panels"] = panels
        return document

    async def _readiness(self) -> dict[str, Any]:
        if self._health is None or time.monotonic() - self._health_at >= _HEALTH_EVERY:
            ready, details = await readiness(self.kernel)
            self._health = {"ready": ready, **details}
            self._health_at = time.monotonic()
        return self._health


async def _sections(sources: Sequence[DashboardSource], timeout: float) -> list[tuple[str, str, object]]:
    """``(source, section, data)`` of every source, in publication order; a failed source adds none."""

    async def one(source: DashboardSource) -> list[tuple[str, str, object]]:
        try:
            async with asyncio.timeout(timeout):
                found = await source.dashboard_sections()
            return [(source.name, str(section), data) for section, data in found.items()]
        except (Exception, TimeoutError):
            log.exception("dashboard source %r failed; the dashboard shows its sections as unavailable", source.name)
            return []

    found = await asyncio.gather(*(one(source) for source in sources))
    return [entry for entries in found for entry in entries]
