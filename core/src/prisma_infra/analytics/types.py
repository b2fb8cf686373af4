"""Aliases and small value types shared by the analytics modules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from prisma_infra.errors import ValidationError

__all__ = [
    "INTERVALS",
    "AnalyticsQueryError",
    "GroupKey",
    "Interval",
    "MetricValues",
    "Number",
    "Point",
    "Where",
]

#: Bucket widths, smallest first.
Interval: TypeAlias = Literal["hour", "day", "week", "month", "quarter", "year"]
INTERVALS: tuple[Interval, ...] = ("hour", "day", "week", "month", "quarter", "year")

#: What a metric yields for one bucket (``None``: no value, e.g. an average over no rows; text: min/max of a String).
Number: TypeAlias = int | float | Decimal | datetime | str | None
#: Metric name → value, for one bucket of one group.
MetricValues: TypeAlias = dict[str, Number]
#: One bucket: its start and the metric values.
Point: TypeAlias = tuple[datetime | None, MetricValues]
#: The values of the ``group_by`` fields, in their order (``()`` when not grouped).
GroupKey: TypeAlias = tuple[Any, ...]
Where: TypeAlias = Mapping[str, Any]


class AnalyticsQueryError(ValidationError):
    """An analytics query that cannot run as asked (unknown metric, unsupported filter, ...)."""
