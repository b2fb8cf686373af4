"""Deprecated: the analytics runner is `prisma_infra.analytics.runner.AnalyticsRunner` ("engine" is the database).

``AnalyticsEngine`` and ``Plan`` stay importable from here for one release.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prisma_infra.analytics._deprecated import deprecated_aliases
from prisma_infra.analytics.plan import AnalyticsPlan, default_date_field
from prisma_infra.analytics.runner import DEFAULT_MAX_ROWS, AnalyticsRunner

__all__ = ["DEFAULT_MAX_ROWS", "AnalyticsEngine", "Plan", "default_date_field"]

if TYPE_CHECKING:
    AnalyticsEngine = AnalyticsRunner
    Plan = AnalyticsPlan
else:
    __getattr__ = deprecated_aliases(
        __name__,
        {
            "AnalyticsEngine": (AnalyticsRunner, "prisma_infra.analytics.AnalyticsRunner"),
            "Plan": (AnalyticsPlan, "prisma_infra.analytics.AnalyticsPlan"),
        },
    )
