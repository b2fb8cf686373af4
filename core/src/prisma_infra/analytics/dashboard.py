"""The analytics part of the live dashboard: the KPI charts and the alerts firing now.

Published by the analytics middleware as a `prisma_infra.ports.dashboard.DashboardSource`
when a `KpiService` runs (sections ``kpis`` and ``alerts``, shapes in that module).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prisma_infra.analytics.service import KpiService

__all__ = ["KpiDashboard"]

log = logging.getLogger("prisma_infra.analytics")


class KpiDashboard:
    """The dashboard sections of one `KpiService`; one failing leaves the other shown (``None``)."""

    name = "analytics"

    def __init__(self, service: KpiService) -> None:
        self.service = service

    async def dashboard_sections(self) -> Mapping[str, object]:
        return {
            "kpis": _section(self.service.dashboard_kpis, "kpis"),
            "alerts": _section(self.service.active_alerts, "alerts"),
        }


def _section(read: Callable[[], list[dict[str, Any]]], name: str) -> list[dict[str, Any]] | None:
    try:
        return read()
    except Exception:
        log.exception("the dashboard's %s section failed; it shows as unavailable", name)
        return None
