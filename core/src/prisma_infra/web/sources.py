"""Dashboard sources read from objects that do not publish one themselves.

While the cache and analytics features do not publish their own
`prisma_infra.ports.dashboard.DashboardSource`, the dashboard adapts what they
publish (the cache manager under ``CACHE``: its ``stats()``; the analytics service:
``dashboard_kpis()``/``active_alerts()``) through the protocols declared here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from prisma_infra.cache.service import CACHE
from prisma_infra.config.masking import mask_url
from prisma_infra.pii.text import mask_text
from prisma_infra.plugin_manager import await_me_maybe

if TYPE_CHECKING:
    from prisma_infra.ports.dashboard import DashboardSource
    from prisma_infra.runtime import Runtime

__all__ = ["AnalyticsDashboard", "AnalyticsView", "CacheDashboard", "CacheStats", "legacy_sources"]

log = logging.getLogger("prisma_infra.web")

Rows = list[dict[str, Any]]


class CacheStats(Protocol):
    """The cache manager as the dashboard reads it."""

    def stats(self) -> Mapping[str, Any]: ...


class AnalyticsView(Protocol):
    """The analytics service as the dashboard reads it (each method plain or async)."""

    def dashboard_kpis(self) -> Rows | Awaitable[Rows]: ...

    def active_alerts(self) -> Rows | Awaitable[Rows]: ...


def _masked(text: Any) -> Any:
    """A store's last error as the page may show it (a URL's password or a key's value may be in it)."""
    return mask_url(mask_text(text)) if isinstance(text, str) else text


class CacheDashboard:
    """The ``cache`` section: every store's state and last error (masked), and the invalidations."""

    name = "cache"

    def __init__(self, manager: CacheStats) -> None:
        self.manager = manager

    async def dashboard_sections(self) -> Mapping[str, object]:
        found = self.manager.stats()
        stores = {
            name: {
                "state": info.get("state"),
                "shared": info.get("shared"),
                "last_error": _masked(info.get("last_error")),
            }
            for name, info in (found.get("stores") or {}).items()
            if isinstance(info, Mapping)
        }
        summary = {"enabled": found.get("enabled"), "stores": stores, "invalidations": found.get("invalidations")}
        return {"cache": summary}


class AnalyticsDashboard:
    """The ``kpis`` and ``alerts`` sections; one failing leaves the other shown."""

    name = "analytics"

    def __init__(self, analytics: AnalyticsView) -> None:
        self.analytics = analytics

    async def dashboard_sections(self) -> Mapping[str, object]:
        return {
            "kpis": await _rows(self.analytics.dashboard_kpis, "dashboard_kpis"),
            "alerts": await _rows(self.analytics.active_alerts, "active_alerts"),
        }


async def _rows(method: Callable[[], Rows | Awaitable[Rows]], name: str) -> Rows | None:
    try:
        return list(await await_me_maybe(method()) or [])
    except Exception:
        log.exception("analytics %s() failed; the dashboard shows it as unavailable", name)
        return None


def legacy_sources(runtime: Runtime, published: set[str]) -> list[DashboardSource]:
    """Sources for what the cache and analytics publish in ``runtime.extras`` while they do not
    publish a source of their own (named ``cache`` / ``analytics`` in ``published``)."""
    sources: list[DashboardSource] = []
    manager: CacheStats | None = runtime.services.get(CACHE)
    if manager is not None and "cache" not in published:
        sources.append(CacheDashboard(manager))
    analytics: AnalyticsView | None = runtime.extras.get("analytics")
    if analytics is not None and "analytics" not in published:
        sources.append(AnalyticsDashboard(analytics))
    return sources
