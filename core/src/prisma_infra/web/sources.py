"""Dashboard sources the web side builds for features that do not publish one themselves.

The cache publishes its manager under `prisma_infra.cache.service.CACHE` but no
`prisma_infra.ports.dashboard.DashboardSource`: the dashboard adapts the manager's
``stats()`` (through the `CacheStats` protocol) into the ``cache`` section. A source
the cache publishes itself (named ``cache``) replaces this one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from prisma_infra.cache.service import CACHE
from prisma_infra.config.masking import mask_url
from prisma_infra.pii.text import mask_text

if TYPE_CHECKING:
    from prisma_infra.ports.dashboard import DashboardSource
    from prisma_infra.runtime import Runtime

__all__ = ["CacheDashboard", "CacheStats", "adapted_sources"]


class CacheStats(Protocol):
    """The cache manager as the dashboard reads it."""

    def stats(self) -> Mapping[str, Any]: ...


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


def adapted_sources(runtime: Runtime, published: Collection[str]) -> list[DashboardSource]:
    """The web side's sources for what ``runtime`` runs without a source of its own (by name in ``published``)."""
    manager: CacheStats | None = runtime.services.get(CACHE)
    if manager is not None and "cache" not in published:
        return [CacheDashboard(manager)]
    return []
