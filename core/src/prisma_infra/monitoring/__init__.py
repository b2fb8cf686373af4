"""Monitoring: every operation measured, query analysis, health checks.

* `MetricsMiddleware` (registered as ``metrics`` by the built-in ``monitoring``
  plugin, outermost) times every operation and feeds the `Monitor` and the
  configured metrics exporters.
* `Monitor` keeps time series, totals, recent errors, slow operations and
  findings for the dashboard; ``infra.monitor``, or ``kernel.services.get(MONITOR)``
  in a feature (`prisma_infra.monitoring.service`).
* `NPlusOneDetector` and `suggest_index` analyse queries.
* `liveness` and `readiness` answer ``/healthz`` and ``/readyz``.
"""

from prisma_infra.monitoring.analysis import (
    Detection,
    Finding,
    IndexAdvice,
    NPlusOneDetector,
    n_plus_one_suggestion,
    suggest_index,
)
from prisma_infra.monitoring.health import configured_stores, liveness, readiness
from prisma_infra.monitoring.masking import mask_args
from prisma_infra.monitoring.middleware import CACHE_STATE_KEY, MetricsMiddleware, monitor_for, rows_of
from prisma_infra.monitoring.monitor import CACHE_RESULTS, Monitor
from prisma_infra.monitoring.series import TimeSeries, percentile
from prisma_infra.monitoring.service import METRICS_EXPORTERS, MONITOR, CacheObserver

__all__ = [
    "CACHE_RESULTS",
    "CACHE_STATE_KEY",
    "METRICS_EXPORTERS",
    "MONITOR",
    "CacheObserver",
    "Detection",
    "Finding",
    "IndexAdvice",
    "MetricsMiddleware",
    "Monitor",
    "NPlusOneDetector",
    "TimeSeries",
    "configured_stores",
    "liveness",
    "mask_args",
    "monitor_for",
    "n_plus_one_suggestion",
    "percentile",
    "readiness",
    "rows_of",
    "suggest_index",
]
