"""What the dashboard shows, assembled once per refresh and shared by every browser watching.

The document is the `Monitor` snapshot plus:

* ``health``: the readiness checks (refreshed every 5 s at most);
* ``cache``: the cache manager's store states and invalidations, when caching is on;
* ``kpis`` and ``alerts``: read from the analytics engine published as
  ``runtime.extras["analytics"]`` — ``dashboard_kpis()`` and ``active_alerts()``
  (plain or async); ``None`` (the page shows an empty state) until it exists;
* ``panels``: the data of every plugin panel.

Nothing in it holds a value in clear: the monitor masks errors, tracebacks and
arguments when it records them (`prisma_infra.monitoring.masking`), panel errors
and cache store errors are masked here.

Analytics contract (what the page draws):

* ``dashboard_kpis()`` → ``[{"name", "unit"?, "value"?, "status"? ("ok" | "warning" |
  "critical"), "thresholds"? {"warning"?, "critical"?}, "points": [[time, value], ...]}]``,
  ``time`` in Unix seconds or ISO 8601;
* ``active_alerts()`` → ``[{"name", "severity", "message", "since"? (Unix seconds or ISO),
  "source"?}]``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from prisma_infra.config.masking import mask_url
from prisma_infra.errors import PrismaInfraError
from prisma_infra.monitoring.health import readiness
from prisma_infra.monitoring.middleware import monitor_for
from prisma_infra.pii.text import mask_text
from prisma_infra.plugin_manager import await_me_maybe
from prisma_infra.web.panels import Panel, panel_data

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure

__all__ = ["ANALYTICS_KEY", "DashboardData", "dumps"]

log = logging.getLogger("prisma_infra.web")

#: Where the analytics engine publishes itself in ``runtime.extras``.
ANALYTICS_KEY = "analytics"
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

    def __init__(self, infrastructure: Infrastructure, panels: Mapping[str, tuple[str, Panel]] | None = None) -> None:
        self.infrastructure = infrastructure
        self.panels: dict[str, tuple[str, Panel]] = dict(panels or {})
        self._lock = asyncio.Lock()
        self._built_at = 0.0
        self._document: bytes = b""
        self._health: dict[str, Any] | None = None
        self._health_at = 0.0

    @property
    def interval(self) -> float:
        return float(self.infrastructure.config.monitoring.dashboard_interval)

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
        infrastructure = self.infrastructure
        document = monitor_for(infrastructure).snapshot()
        try:
            runtime = infrastructure.runtime
        except PrismaInfraError:
            document.update(started=False, health=None, cache=None, kpis=None, alerts=None, panels=[])
            return document
        timeout = runtime.config.monitoring.readiness_timeout
        document["started"] = True
        document["health"] = await self._readiness()
        document["cache"] = _cache_summary(runtime.extras.get("cache_manager"))
        analytics = runtime.extras.get(ANALYTICS_KEY)
        document["kpis"] = await _ask(analytics, "dashboard_kpis", timeout)
        document["alerts"] = await _ask(analytics, "active_alerts", timeout)
        document["exporters"] = sorted(runtime.extras.get("metrics_exporters", {}))
        document["panels"] = await panel_data(infrastructure, self.panels, timeout)
        return document

    async def _readiness(self) -> dict[str, Any]:
        if self._health is None or time.monotonic() - self._health_at >= _HEALTH_EVERY:
            ready, details = await readiness(self.infrastructure)
            self._health = {"ready": ready, **details}
            self._health_at = time.monotonic()
        return self._health


async def _ask(analytics: Any, method: str, timeout: float) -> list[Any] | None:
    call = getattr(analytics, method, None) if analytics is not None else None
    if not callable(call):
        return None
    try:
        async with asyncio.timeout(timeout):
            value = await await_me_maybe(call())
    except (Exception, TimeoutError):
        log.exception("analytics %s() failed; the dashboard shows it as unavailable", method)
        return None
    return list(value or [])


def _masked(text: Any) -> Any:
    """A store's last error as the page may show it (a URL's password or a key's value may be in it)."""
    return mask_url(mask_text(text)) if isinstance(text, str) else text


def _cache_summary(manager: Any) -> dict[str, Any] | None:
    stats = getattr(manager, "stats", None)
    if not callable(stats):
        return None
    try:
        found = stats()
    except Exception:
        return None
    stores = {
        name: {"state": info.get("state"), "shared": info.get("shared"), "last_error": _masked(info.get("last_error"))}
        for name, info in (found.get("stores") or {}).items()
        if isinstance(info, Mapping)
    }
    return {"enabled": found.get("enabled"), "stores": stores, "invalidations": found.get("invalidations")}
