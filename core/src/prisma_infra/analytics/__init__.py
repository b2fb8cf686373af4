"""Analytics: time-bucketed aggregates pushed down to the database, KPIs, alerts and reports.

* ``infra.analytics("user")`` → `AnalyticsQuery` (immutable builder) →
  ``await ....generate()`` → `AnalyticsResult` (series per group, totals,
  ``to_rows``/``to_dict``/``to_csv``/``to_chart``).
* `AnalyticsPlan` (`prisma_infra.analytics.plan`): the query checked and planned —
  Prisma ``aggregate``/``groupBy`` without an interval, one raw SQL statement per
  period with one (`prisma_infra.analytics.sql`, `prisma_infra.analytics.dialects`).
* `AnalyticsRunner` (``infra.analytics_engine``): plans and runs queries.
* Metrics (`prisma_infra.analytics.metrics`): built-ins and the metric protocol
  that plugins implement through ``register_analytics_metrics``; how a query names
  them (`MetricRegistry`, `MetricSpec`): `prisma_infra.analytics.specs`.
* `KpiService` (``infra.kpis``): KPIs, alert rules and scheduled reports from
  ``[analytics]`` settings.
* Published under `ANALYTICS` and `KPIS` (`prisma_infra.analytics.service_keys`).

``AnalyticsEngine``, ``AnalyticsService`` and ``Plan`` are the deprecated names of
`AnalyticsRunner`, `KpiService` and `AnalyticsPlan` (removed in the next release).
"""

from typing import TYPE_CHECKING

from prisma_infra.analytics._deprecated import deprecated_aliases
from prisma_infra.analytics.kpi import Kpi, KpiState
from prisma_infra.analytics.metrics import AggregateMetric, Metric, SeriesMetric, SqlMetric
from prisma_infra.analytics.plan import AnalyticsPlan, default_date_field
from prisma_infra.analytics.query import AnalyticsQuery
from prisma_infra.analytics.result import AnalyticsResult
from prisma_infra.analytics.runner import AnalyticsRunner
from prisma_infra.analytics.series import anomaly, slope
from prisma_infra.analytics.service import KpiService
from prisma_infra.analytics.service_keys import ANALYTICS, KPIS
from prisma_infra.analytics.specs import MetricRegistry, MetricSpec
from prisma_infra.analytics.sql import CompiledSql
from prisma_infra.analytics.types import INTERVALS, AnalyticsQueryError, Interval

__all__ = [
    "ANALYTICS",
    "INTERVALS",
    "KPIS",
    "AggregateMetric",
    "AnalyticsEngine",
    "AnalyticsPlan",
    "AnalyticsQuery",
    "AnalyticsQueryError",
    "AnalyticsResult",
    "AnalyticsRunner",
    "AnalyticsService",
    "CompiledSql",
    "Interval",
    "Kpi",
    "KpiService",
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

if TYPE_CHECKING:
    AnalyticsEngine = AnalyticsRunner
    AnalyticsService = KpiService
    Plan = AnalyticsPlan
else:
    __getattr__ = deprecated_aliases(
        __name__,
        {
            "AnalyticsEngine": (AnalyticsRunner, "prisma_infra.analytics.AnalyticsRunner"),
            "AnalyticsService": (KpiService, "prisma_infra.analytics.KpiService"),
            "Plan": (AnalyticsPlan, "prisma_infra.analytics.AnalyticsPlan"),
        },
    )
