"""The analytics part of the live dashboard: the KPI charts and the alerts firing now.

Published by the analytics middleware as a `prisma_infra.ports.dashboard.DashboardSource`
when a `KpiService` runs (sections ``kpis`` and ``alerts``, shapes in that module).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prisma_infra.analytics.service import KpiService

__all__ = ["KpiDashboard"]


class KpiDashboard:
    """The dashboard sections of one `KpiService`."""

    name = "analytics"

    def __init__(self, service: KpiService) -> None:
        self.service = service

    async def dashboard_sections(self) -> Mapping[str, object]:
        return {"kpis": self.service.dashboard_kpis(), "alerts": self.service.active_alerts()}
