"""The ``analytics`` middleware: builds the engine and the KPI/alert service for each runtime.

It does nothing per operation (no ``before``/``after``, so the pipeline skips
it); it exists for its lifecycle: ``start`` publishes
``runtime.extras["analytics_engine"]`` (queries) and, when KPIs, alert rules or
reports are configured, ``runtime.extras["analytics"]`` (the `AnalyticsService`
the dashboard reads) and starts its scheduler; ``close`` stops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from prisma_infra.analytics.engine import AnalyticsEngine
from prisma_infra.analytics.metrics import MetricRegistry, metric_from_registration
from prisma_infra.analytics.service import AnalyticsService, has_work
from prisma_infra.pipeline import Middleware

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.runtime import Runtime

__all__ = ["ANALYTICS_KEY", "ENGINE_KEY", "AnalyticsMiddleware"]

#: ``runtime.extras`` keys.
ENGINE_KEY = "analytics_engine"
ANALYTICS_KEY = "analytics"


class AnalyticsMiddleware(Middleware):
    name: ClassVar[str] = "analytics"
    order: ClassVar[int] = 1000

    def __init__(self, infrastructure: Infrastructure) -> None:
        self.infrastructure = infrastructure
        self.engine: AnalyticsEngine | None = None
        self.service: AnalyticsService | None = None

    async def start(self, runtime: Runtime) -> None:
        registry = MetricRegistry()
        for name, registration in runtime.registry.get("analytics_metrics", {}).items():
            registry.add(metric_from_registration(name, registration.factory, registration.plugin))
        config = runtime.config
        self.engine = AnalyticsEngine(self.infrastructure, registry, max_rows=config.analytics.max_result_rows)
        runtime.extras[ENGINE_KEY] = self.engine
        if has_work(config.analytics):
            self.service = AnalyticsService(self.infrastructure, self.engine, config)
            await self.service.start(runtime)
            runtime.extras[ANALYTICS_KEY] = self.service

    async def close(self) -> None:
        if self.service is not None:
            await self.service.close()
            self.service = None
