"""Analytics: time-bucketed aggregates pushed down to the database, KPIs, alerts and reports.

* ``infra.analytics("user")`` → `AnalyticsQuery` (immutable builder) →
  ``await ....generate()`` → `AnalyticsResult` (series per group, totals,
  ``to_rows``/``to_dict``/``to_csv``/``to_chart``).
* `AnalyticsEngine` (``infra.analytics_engine``) plans queries: Prisma
  ``aggregate``/``groupBy`` without an interval, one raw SQL statement per
  provider with one (`prisma_infra.analytics.sql`, `prisma_infra.analytics.dialects`).
* Metrics (`prisma_infra.analytics.metrics`): built-ins and the metric protocol
  that plugins implement through ``register_analytics_metrics``.
* `AnalyticsService` (``infra.kpis``, ``runtime.extras["analytics"]``): KPIs,
  alert rules and scheduled reports from ``[analytics]`` settings.
"""

from prisma_infra.analytics.engine import AnalyticsEngine
from prisma_infra.analytics.kpi import Kpi, KpiState
from prisma_infra.analytics.metrics import (
    AggregateMetric,
    Metric,
    MetricRegistry,
    MetricSpec,
    SeriesMetric,
    SqlMetric,
)
from prisma_infra.analytics.plan import Plan, default_date_field
from prisma_infra.analytics.query import AnalyticsQuery
from prisma_infra.analytics.result import AnalyticsResult
from prisma_infra.analytics.series import anomaly, slope
from prisma_infra.analytics.service import AnalyticsService
from prisma_infra.analytics.sql import CompiledSql
from prisma_infra.analytics.types import INTERVALS, AnalyticsQueryError, Interval

__all__ = [
    "INTERVALS",
    "AggregateMetric",
    "AnalyticsEngine",
    "AnalyticsQuery",
    "AnalyticsQueryError",
    "AnalyticsResult",
    "AnalyticsService",
    "CompiledSql",
    "Interval",
    "Kpi",
    "KpiState",
    "Metric",
    "MetricRegistry",
    "MetricSpec",
    "Plan",
    "SeriesMetric",
    "SqlMetric",
    "anomaly",
    "default_date_field",
    "slope",
]
