"""The ``analytics`` middleware: builds the runner and the KPI/alert service for each runtime.

It does nothing per operation (no ``before``/``after``, so the pipeline skips
it); it exists for its lifecycle: ``start`` publishes the `AnalyticsRunner`
under `ANALYTICS` (queries) and, when KPIs, alert rules or reports are
configured, the `KpiService` under `KPIS` and its dashboard source, and starts
its scheduler; ``close`` stops it. The keys are in
`prisma_infra.analytics.service_keys`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from prisma_infra.analytics.dashboard import KpiDashboard
from prisma_infra.analytics.metrics import metric_from_registration
from prisma_infra.analytics.runner import AnalyticsRunner
from prisma_infra.analytics.service import KpiService, has_work
from prisma_infra.analytics.service_keys import ANALYTICS, KPIS
from prisma_infra.analytics.specs import MetricRegistry
from prisma_infra.pipeline import Middleware
from prisma_infra.ports.dashboard import DASHBOARD_SOURCES

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.runtime import Runtime

__all__ = ["AnalyticsMiddleware"]


class AnalyticsMiddleware(Middleware):
    name: ClassVar[str] = "analytics"
    order: ClassVar[int] = 1000

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.runner: AnalyticsRunner | None = None
        self.service: KpiService | None = None

    async def start(self, runtime: Runtime) -> None:
        registry = MetricRegistry()
        for name, registration in runtime.registry.get("analytics_metrics", {}).items():
            registry.add(metric_from_registration(name, registration.factory, registration.plugin))
        config = runtime.config
        self.runner = AnalyticsRunner(self.kernel, registry, max_rows=config.analytics.max_result_rows)
        runtime.services[ANALYTICS] = self.runner
        if has_work(config.analytics):
            self.service = KpiService(self.kernel, self.runner, config)
            await self.service.start(runtime)
            runtime.services[KPIS] = self.service
            runtime.services.add(DASHBOARD_SOURCES, KpiDashboard(self.service))

    async def close(self) -> None:
        if self.service is not None:
            await self.service.close()
            self.service = None
