"""`AnalyticsPlan`: an analytics query checked against the schema, with its periods and the path it takes.

`plan_query` builds it: it parses the metrics, checks every field, filter and
time zone against the schema and the provider, chooses the path (Prisma's
``aggregate``/``groupBy``, or one raw SQL statement per period), computes the
periods (the buckets series metrics need before the range included) and applies
the caller's access policies through the read-access port. Running a plan is
`prisma_infra.analytics.runner`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from prisma_infra.analytics._deprecated import deprecated_aliases
from prisma_infra.analytics.buckets import add, as_wall, localize, truncate, zone
from prisma_infra.analytics.dialects import Dialect, dialect_for
from prisma_infra.analytics.metrics import AggregateMetric, SeriesMetric
from prisma_infra.analytics.query import AnalyticsQuery
from prisma_infra.analytics.specs import MetricRegistry, MetricSpec
from prisma_infra.analytics.sql import (
    Aggregate,
    CompiledSql,
    SqlWriter,
    compile_aggregate_query,
    compile_where,
    scalar_field,
)
from prisma_infra.analytics.types import AnalyticsQueryError, Interval
from prisma_infra.schema.model import Field, Model, Schema

__all__ = [
    "AnalyticsPlan",
    "Period",
    "Restrict",
    "default_date_field",
    "is_time_of_day",
    "plan_query",
    "utc_instant",
]

#: The caller's access policies on a query: ``(model, where, used fields) -> (row filter, where as
#: allowed)`` (`prisma_infra.ports.row_filters.ReadAccess.aggregate_scope`).
Restrict = Callable[
    [Model, Mapping[str, Any] | None, Sequence[tuple[Field, str]]],
    tuple[Mapping[str, Any] | None, Mapping[str, Any] | None],
]

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
class AnalyticsPlan:
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


def _unrestricted(
    model: Model, where: Mapping[str, Any] | None, used: Sequence[tuple[Field, str]]
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    return None, where


def plan_query(
    query: AnalyticsQuery,
    *,
    schema: Schema,
    provider: str,
    registry: MetricRegistry,
    max_rows: int,
    now: datetime,
    restrict: Restrict = _unrestricted,
) -> AnalyticsPlan:
    """Check ``query`` and plan it; ``now`` ends open date ranges.

    :raises AnalyticsQueryError: the query cannot run as asked (unknown field, metric, time zone...).
    :raises AccessDeniedError: ``restrict`` refuses the caller the model or a field it uses.
    """
    model = schema.model(query.model)
    dialect = dialect_for(schema.provider or provider)
    specs = tuple(registry.parse(m) for m in query.metric_args)
    keys = [s.key for s in specs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise AnalyticsQueryError(f"Metric keys repeat: {duplicates}; name them apart with {{..., 'as': ...}}")
    aggregates: dict[str, Aggregate] = {}
    for spec in specs:
        base = spec.base if spec.base is not None else spec
        if base.canonical not in aggregates:
            aggregates[base.canonical] = _aggregate(model, base)
    group_fields = tuple(scalar_field(model, name, "group_by") for name in query.group_fields)
    date_field = _date_field(model, query)
    interval = query.bucket
    tz_name = query.tz_name
    if tz_name is not None and tz_name.upper() != "UTC" and dialect.provider != "postgresql":
        raise AnalyticsQueryError(
            f"Time-zone buckets (tz={tz_name!r}) are supported on PostgreSQL only, not on {dialect.provider}: "
            "buckets are in UTC"
        )
    tz = zone(tz_name)
    # Check the filter now (same subset on both paths), whatever path runs.
    compile_where(schema, model, query.where_filter, SqlWriter(dialect))
    series_specs = [s for s in specs if isinstance(s.metric, SeriesMetric)]
    lookback = max(
        (s.metric.lookback(s.window or 1) for s in series_specs if isinstance(s.metric, SeriesMetric)), default=0
    )
    start_wall = as_wall(query.start, tz) if query.start is not None else None
    end_wall = as_wall(query.end, tz) if query.end is not None else None
    periods: list[Period]
    if interval is not None:
        if start_wall is not None:
            start_wall = truncate(start_wall, interval)
        if end_wall is not None:
            aligned = truncate(end_wall, interval)
            end_wall = aligned if aligned == end_wall else add(aligned, interval)
        fetch_wall = add(start_wall, interval, -lookback) if start_wall is not None else None
        if start_wall is not None and end_wall is None:
            end_wall = add(truncate(as_wall(now, tz), interval), interval)
        end = utc_instant(end_wall, tz) if query.end is not None else None
        periods = [Period(None, utc_instant(fetch_wall, tz), end)]
    else:
        fetch_wall = start_wall
        for spec in series_specs:
            assert isinstance(spec.metric, SeriesMetric)
            if spec.metric.lookback(spec.window or 1) > 1 or spec.kind in ("moving_avg", "cumulative"):
                raise AnalyticsQueryError(f"Metric {spec.key!r} needs an interval: add .interval('day'|...)")
        if series_specs:
            if query.start is None:
                raise AnalyticsQueryError(
                    f"{series_specs[0].key!r} without an interval compares the date range with the one "
                    "before it: give a start (date_range(start=...) or since('30d'))"
                )
            start = query.start
            end = query.end or now
            previous = start - (end - start)
            assert start_wall is not None
            fetch_wall = as_wall(previous, tz)
            end_wall = as_wall(end, tz)
            periods = [Period(fetch_wall, previous, start), Period(start_wall, start, end)]
        else:
            periods = [Period(start_wall, query.start, query.end)]
    use_prisma = interval is None and all(a.metric.prisma is not None for a in aggregates.values())
    used = [(f, "analytics group_by") for f in group_fields]
    used += [(a.field, f"analytics metric {a.key!r}") for a in aggregates.values() if a.field is not None]
    if date_field is not None and (interval is not None or query.start is not None or query.end is not None):
        used.append((date_field, "analytics date_field"))
    row_filter, caller_where = restrict(model, query.where_filter, used)
    # The Prisma path runs through the policies middleware, which adds the row filter there.
    policy_filter = None if use_prisma else row_filter
    if policy_filter is not None:
        compile_where(schema, model, policy_filter, SqlWriter(dialect))
    return AnalyticsPlan(
        query=query,
        schema=schema,
        model=model,
        dialect=dialect,
        specs=specs,
        aggregates=tuple(aggregates.values()),
        group_fields=group_fields,
        date_field=date_field,
        interval=interval,
        tz=tz,
        start_wall=start_wall,
        end_wall=end_wall,
        fetch_wall=fetch_wall,
        periods=tuple(periods),
        use_prisma=use_prisma,
        max_rows=max_rows,
        policy_filter=policy_filter,
        caller_where=caller_where,
    )


def _date_field(model: Model, query: AnalyticsQuery) -> Field | None:
    """The field that dates the rows: the query's, else the model's default; checked when the query needs one."""
    if query.date_field_name is not None:
        found = scalar_field(model, query.date_field_name, "date_field")
        if found.type != "DateTime":
            raise AnalyticsQueryError(
                f"{model.name}.{found.name} is {found.type}, not DateTime: it cannot date rows",
                model=model.name,
                field=found.name,
            )
        if is_time_of_day(found):
            native = found.native_type[0] if found.native_type else "Time"
            raise AnalyticsQueryError(
                f"{model.name}.{found.name} is a time of day (@db.{native}), not a date: it cannot date rows, "
                "so neither date ranges nor intervals can use it; pick a DateTime field with a date (date_field(...))",
                model=model.name,
                field=found.name,
            )
        return found
    date_field = default_date_field(model)
    if date_field is None and (query.bucket is not None or query.start is not None or query.end is not None):
        times = [f.name for f in model.scalar_fields if f.type == "DateTime" and is_time_of_day(f)]
        skipped = f" ({', '.join(times)} {'is a time' if len(times) == 1 else 'are times'} of day)" if times else ""
        raise AnalyticsQueryError(
            f"Model {model.name} has no DateTime field that dates its rows{skipped}: date ranges and intervals "
            "need one (date_field(...))",
            model=model.name,
        )
    return date_field


def _aggregate(model: Model, spec: MetricSpec) -> Aggregate:
    metric = spec.metric
    assert isinstance(metric, AggregateMetric)
    f: Field | None = None
    if spec.field is not None:
        f = scalar_field(model, spec.field, f"metric {spec.key or spec.canonical!r}")
        if metric.field_types is not None and f.type not in metric.field_types and f.kind != "enum":
            raise AnalyticsQueryError(
                f"Metric {spec.canonical!r}: {model.name}.{f.name} is {f.type}; "
                f"{metric.name} applies to {', '.join(sorted(metric.field_types))}",
                model=model.name,
                field=f.name,
            )
        if metric.field_types is not None and f.kind == "enum" and "String" not in metric.field_types:
            raise AnalyticsQueryError(
                f"Metric {spec.canonical!r}: {model.name}.{f.name} is an enum; {metric.name} needs a number",
                model=model.name,
                field=f.name,
            )
    return Aggregate(key=spec.canonical, metric=metric, field=f)


if TYPE_CHECKING:
    Plan = AnalyticsPlan
else:
    __getattr__ = deprecated_aliases(__name__, {"Plan": (AnalyticsPlan, "prisma_infra.analytics.AnalyticsPlan")})
