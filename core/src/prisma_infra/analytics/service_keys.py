"""What the analytics feature publishes in ``runtime.services`` (``kernel.services``).

* `ANALYTICS`: the `AnalyticsRunner` of the runtime (``infra.analytics_engine``,
  ``infra.analytics(model)``), whenever the analytics middleware runs;
* `KPIS`: the `KpiService` (``infra.kpis``), when KPIs, alert rules or reports are configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prisma_infra.stash import ServiceKey

if TYPE_CHECKING:
    from prisma_infra.analytics.runner import AnalyticsRunner
    from prisma_infra.analytics.service import KpiService

__all__ = ["ANALYTICS", "KPIS"]

ANALYTICS: ServiceKey[AnalyticsRunner] = ServiceKey(
    "analytics", missing="Analytics is not available: the 'analytics' plugin or middleware is disabled"
)
KPIS: ServiceKey[KpiService] = ServiceKey(
    "kpis",
    missing="No KPIs, alert rules or reports are configured (analytics.kpis, analytics.alerts, analytics.reports)",
)
