"""`Plan`: an analytics query checked against the schema, with its periods and the path it takes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from prisma_infra.analytics.buckets import localize
from prisma_infra.analytics.dialects import Dialect
from prisma_infra.analytics.metrics import MetricSpec
from prisma_infra.analytics.query import AnalyticsQuery
from prisma_infra.analytics.sql import Aggregate, CompiledSql, compile_aggregate_query
from prisma_infra.analytics.types import Interval
from prisma_infra.schema.model import Field, Model, Schema

__all__ = ["Period", "Plan", "default_date_field", "is_time_of_day", "utc_instant"]

_DATE_NAMES = ("createdAt", "created_at", "createdOn", "created")
#: Native types of a DateTime that hold a time of day without a date (PostgreSQL, MySQL/MariaDB).
_TIME_OF_DAY = frozenset({"Time", "Timetz"})


def is_time_of_day(field: Field) -> bool:
    """A ``DateTime @db.Time`` (or ``@db.Timetz``): a time of day, which cannot date a row."""
    return field.native_type is not None and field.native_type[0] in _TIME_OF_DAY


def _dates(field: Field | None) -> bool:
    return field is not None and field.type == "DateTime" and not field.is_list and not is_time_of_day(field)


def default_date_field(model: Model) -> Field | None:
    """``createdAt``/``created_at`` when the model has it, else its first DateTime field (never a time of day)."""
    for name in _DATE_NAMES:
        f = model.get_field(name)
        if _dates(f):
            return f
    return next((f for f in model.scalar_fields if _dates(f)), None)


def utc_instant(wall: datetime | None, tz: tzinfo) -> datetime | None:
    """A wall-clock time in ``tz`` as an aware UTC instant (``None`` stays ``None``)."""
    return None if wall is None else localize(wall, tz).astimezone(UTC)


@dataclasses.dataclass(frozen=True)
class Period:
    """One range the database aggregates over (a bucketed range, or a whole period)."""

    key: datetime | None
    """Bucket key for a whole period (no interval); ``None`` for the bucketed query."""
    start: datetime | None
    end: datetime | None


@dataclasses.dataclass(frozen=True)
class Plan:
    """A checked query: fields, aggregates, periods and the path it takes."""

    query: AnalyticsQuery
    schema: Schema
    model: Model
    dialect: Dialect
    specs: tuple[MetricSpec, ...]
    aggregates: tuple[Aggregate, ...]
    group_fields: tuple[Field, ...]
    date_field: Field | None
    interval: Interval | None
    tz: tzinfo
    start_wall: datetime | None
    """First bucket shown (aligned to the interval), on the query's wall clock."""
    end_wall: datetime | None
    """End of the last bucket shown (exclusive)."""
    fetch_wall: datetime | None
    """First bucket fetched (``start_wall`` minus the lookback of series metrics)."""
    periods: tuple[Period, ...]
    use_prisma: bool
    max_rows: int

    policy_filter: Any = None
    """The access policies' row filter for the caller, AND-ed into raw SQL (the Prisma path gets it
    from the policies middleware)."""
    caller_where: Any = None
    """The query's filter as the policies let the caller run it (restricted fields dropped or refused)."""

    @property
    def where(self) -> dict[str, Any] | None:
        return dict(self.caller_where) if self.caller_where else None

    @property
    def sql_where(self) -> dict[str, Any] | None:
        if self.policy_filter is None:
            return self.where
        if self.where is None:
            return dict(self.policy_filter)
        return {"AND": [self.where, self.policy_filter]}

    def instant(self, wall: datetime | None) -> datetime | None:
        return utc_instant(wall, self.tz)

    def sql_for(
        self,
        period: Period,
        *,
        grouped: bool = True,
        bucketed: bool = True,
        aggregates: Sequence[Aggregate] | None = None,
    ) -> CompiledSql:
        return compile_aggregate_query(
            self.schema,
            self.model,
            self.dialect,
            self.aggregates if aggregates is None else aggregates,
            group_by=self.group_fields if grouped else (),
            date_field=self.date_field,
            interval=self.interval if bucketed else None,
            start=period.start,
            end=period.end,
            where=self.sql_where,
            tz=self.query.tz_name,
            limit=self.max_rows + 1 if grouped or bucketed else None,
        )

    def statements(self) -> list[CompiledSql]:
        """The raw SQL of the main queries (none on the Prisma path)."""
        if self.use_prisma:
            return []
        return [self.sql_for(p, bucketed=self.interval is not None) for p in self.periods]

    def prisma_where(self, period: Period) -> dict[str, Any] | None:
        parts: list[dict[str, Any]] = []
        if self.where:
            parts.append(self.where)
        if self.date_field is not None and (period.start is not None or period.end is not None):
            bounds: dict[str, Any] = {}
            if period.start is not None:
                bounds["gte"] = period.start
            if period.end is not None:
                bounds["lt"] = period.end
            parts.append({self.date_field.name: bounds})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"AND": parts}
