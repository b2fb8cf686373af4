"""`AnalyticsQuery`: the immutable fluent builder behind ``infra.analytics("user")``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NoReturn

from prisma_infra.analytics.buckets import check_interval, parse_instant, parse_since, zone
from prisma_infra.analytics.types import AnalyticsQueryError, Interval
from prisma_infra.schema.limits import check_input

if TYPE_CHECKING:
    from prisma_infra.analytics.plan import AnalyticsPlan
    from prisma_infra.analytics.result import AnalyticsResult
    from prisma_infra.analytics.runner import AnalyticsRunner
    from prisma_infra.analytics.sql import CompiledSql

__all__ = ["AnalyticsQuery", "MetricArg"]


def _bad(method: str, expected: str, value: Any) -> NoReturn:
    from prisma_infra.analytics.types import AnalyticsQueryError

    raise AnalyticsQueryError(f"{method} takes {expected}, got {type(value).__name__}")


_RANGE_KEYS = frozenset({"from", "to"})


def _instant(value: Any, name: str) -> datetime | None:
    """``value`` parsed as an instant (`parse_instant`), its errors naming the bound ``name``."""
    if value is None:
        return None
    try:
        return parse_instant(value)
    except AnalyticsQueryError as exc:
        raise AnalyticsQueryError(f"date range {name!r}: {exc}") from None


#: A metric as asked for: ``"count"``, ``"sum:views"``, ``{"sum": "views", "as": "views"}``...
MetricArg = str | Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class AnalyticsQuery:
    """What to compute on one model; every method returns a new query.

    ``await infra.analytics("user").metrics(["count", "growth_rate"]).interval("day").since("30d").generate()``
    """

    runner: AnalyticsRunner = dataclasses.field(repr=False, compare=False)
    model: str
    metric_args: tuple[MetricArg, ...] = ("count",)
    group_fields: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    bucket: Interval | None = None
    filters: tuple[Mapping[str, Any], ...] = ()
    date_field_name: str | None = None
    tz_name: str | None = None
    fill: bool = True

    def _with(self, **changes: Any) -> AnalyticsQuery:
        return dataclasses.replace(self, **changes)

    def metrics(self, metrics: str | MetricArg | Sequence[MetricArg]) -> AnalyticsQuery:
        """The metrics to compute (replaces the previous list); see `prisma_infra.analytics.specs`."""
        if isinstance(metrics, str | Mapping):
            metrics = [metrics]
        if not isinstance(metrics, list | tuple):
            _bad("metrics()", "a metric or a list of metrics", metrics)
        chosen = tuple(metrics)
        if not chosen:
            from prisma_infra.analytics.types import AnalyticsQueryError

            raise AnalyticsQueryError("metrics() needs at least one metric")
        for metric in chosen:
            self.runner.registry.parse(metric)  # fail here, not at generate time
        return self._with(metric_args=chosen)

    def group_by(self, fields: str | Sequence[str]) -> AnalyticsQuery:
        """Scalar fields to group by (replaces the previous list)."""
        names = (fields,) if isinstance(fields, str) else fields
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            _bad("group_by()", "a field name or a list of them", fields)
        return self._with(group_fields=tuple(names))

    def date_range(
        self,
        start: datetime | date | str | Mapping[str, datetime | date | str | None] | None = None,
        end: datetime | date | str | None = None,
    ) -> AnalyticsQuery:
        """Rows whose date field is ``>= start`` and ``< end`` (naive values are UTC; ISO strings accepted).

        Also ``date_range({"from": start, "to": end})`` (either key may be left out). With an
        interval the range widens to whole buckets.
        """
        if isinstance(start, Mapping):
            if end is not None:
                raise AnalyticsQueryError(
                    "date_range() takes a {'from': ..., 'to': ...} mapping or start and end, not both"
                )
            unknown = sorted(
                k if isinstance(k, str) and k.isidentifier() else type(k).__name__
                for k in start
                if k not in _RANGE_KEYS
            )
            if unknown:
                raise AnalyticsQueryError(f"date_range() mapping keys are 'from' and 'to', got {', '.join(unknown)}")
            bounds = start
            start, end = bounds.get("from"), bounds.get("to")
            names = ("from", "to")
        else:
            names = ("start", "end")
        return self._range("date_range()", names, _instant(start, names[0]), _instant(end, names[1]))

    def since(self, since: str | datetime | date, until: datetime | date | str | None = None) -> AnalyticsQuery:
        """``since("30d")`` (also ``h``, ``w``, ``m``, ``y``) or an ISO date; until now unless ``until``."""
        if not isinstance(since, str | date):
            _bad("since()", "a duration such as '30d', an ISO string, a date or a datetime", since)
        start = parse_since(since) if isinstance(since, str) else parse_instant(since)
        return self._range("since()", ("since", "until"), start, _instant(until, "until"))

    def _range(
        self, method: str, names: tuple[str, str], start: datetime | None, end: datetime | None
    ) -> AnalyticsQuery:
        if start is not None and end is not None and start > end:
            raise AnalyticsQueryError(f"{method}: {names[0]!r} is after {names[1]!r}")
        return self._with(start=start, end=end)

    def interval(self, interval: Interval | str | None) -> AnalyticsQuery:
        """Bucket width: ``hour``, ``day``, ``week`` (Monday), ``month``, ``quarter``, ``year``; ``None``: one."""
        return self._with(bucket=check_interval(interval) if interval is not None else None)

    def where(self, where: Mapping[str, Any] | None = None, /, **equals: Any) -> AnalyticsQuery:
        """Add a filter (AND with the previous ones): Prisma's shape, a subset of operators (see ``sql``)."""
        if where is not None and not isinstance(where, Mapping):
            _bad("where()", "a mapping of field filters", where)
        for given in (where, equals):  # depth, string keys, no surrogates or NaN: as for every other input
            check_input(self.model, "analytics", given)
        added = tuple(dict(w) for w in (where, equals) if w)
        return self._with(filters=(*self.filters, *added)) if added else self

    def date_field(self, name: str) -> AnalyticsQuery:
        """The DateTime field that dates a row (default: ``createdAt``/``created_at``, else the first DateTime)."""
        if not isinstance(name, str):
            _bad("date_field()", "a field name", name)
        return self._with(date_field_name=name)

    def tz(self, name: str | None) -> AnalyticsQuery:
        """Bucket on the wall clock of an IANA zone (PostgreSQL only; UTC elsewhere)."""
        if name is not None:
            if not isinstance(name, str):
                _bad("tz()", "an IANA zone name", name)
            zone(name)
        return self._with(tz_name=name)

    def fill_gaps(self, fill: bool = True) -> AnalyticsQuery:
        """Add empty buckets (count 0, avg ``None``) between those with rows (default on)."""
        return self._with(fill=fill)

    @property
    def where_filter(self) -> dict[str, Any] | None:
        if not self.filters:
            return None
        if len(self.filters) == 1:
            return dict(self.filters[0])
        return {"AND": [dict(f) for f in self.filters]}

    def plan(self) -> AnalyticsPlan:
        """Check the query against the schema and plan it (raises on any problem)."""
        return self.runner.plan(self)

    def to_sql(self) -> list[CompiledSql]:
        """The SQL statements `generate` would run on the raw path (empty on the Prisma path)."""
        return self.runner.plan(self).statements()

    async def generate(self) -> AnalyticsResult:
        """Run the query in the database and build the result."""
        return await self.runner.run(self)
