"""`AnalyticsRunner`: runs an `AnalyticsQuery` in the database and builds the `AnalyticsResult`.

The query is planned first (`prisma_infra.analytics.plan.plan_query`), then runs
on one of two paths, both pushed down to the database:

* without an interval, and when every aggregate has a Prisma form, Prisma's
  ``aggregate`` / ``groupBy`` through the repository (so the pipeline's cache,
  policies and metrics apply as to any read);
* with an interval (or a metric Prisma lacks, such as ``distinct``), one
  ``queryRaw`` per period: ``SELECT bucket, groups, aggregates ... GROUP BY``.

Either way the database returns one row per (bucket, group), never the rows of
the table; at most ``analytics.max_result_rows`` of them. Series metrics
(growth rate, moving average, cumulative) are then computed over that small
series in Python, with the buckets they need before the range fetched too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prisma_infra.analytics.buckets import add, bucket_range, localize, parse_bucket
from prisma_infra.analytics.metrics import SeriesMetric, as_float
from prisma_infra.analytics.plan import AnalyticsPlan, Period, plan_query
from prisma_infra.analytics.policy import bypass_policies, restrict_for
from prisma_infra.analytics.query import AnalyticsQuery
from prisma_infra.analytics.result import AnalyticsResult
from prisma_infra.analytics.specs import MetricRegistry
from prisma_infra.analytics.sql import Aggregate, CompiledSql, group_value
from prisma_infra.analytics.types import AnalyticsQueryError, GroupKey, Number, Point
from prisma_infra.data.repository import repository
from prisma_infra.operation import Action

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.schema.model import Schema

__all__ = ["DEFAULT_MAX_ROWS", "AnalyticsRunner"]

DEFAULT_MAX_ROWS = 100_000


class AnalyticsRunner:
    """Plans and runs analytics queries for one kernel (``infra.analytics_engine``)."""

    def __init__(
        self, kernel: Kernel, registry: MetricRegistry | None = None, *, max_rows: int = DEFAULT_MAX_ROWS
    ) -> None:
        self.kernel = kernel
        self.registry = registry or MetricRegistry()
        self.max_rows = max_rows

    def for_model(self, model: str) -> AnalyticsQuery:
        """A new query on ``model`` (any case): ``runner.for_model("user").metrics([...])``."""
        return AnalyticsQuery(runner=self, model=self.kernel.schema.model(model).name)

    __call__ = for_model

    def plan(self, query: AnalyticsQuery, *, now: datetime | None = None) -> AnalyticsPlan:
        """Check ``query`` against the schema and the caller's access, and plan it (`plan_query`)."""
        return plan_query(
            query,
            schema=self.kernel.schema,
            provider=self.kernel.runtime.engine.provider,
            registry=self.registry,
            max_rows=self.max_rows,
            now=now or self._now(),
            restrict=restrict_for(self.kernel),
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.kernel.clock.time(), UTC)

    # -- running -----------------------------------------------------------------------------

    async def run(self, query: AnalyticsQuery, *, now: datetime | None = None) -> AnalyticsResult:
        now = now or self._now()
        plan = self.plan(query, now=now)
        data: dict[GroupKey, dict[datetime | None, dict[str, Number]]] = {}
        queries: list[str] = []
        for period in plan.periods:
            if plan.use_prisma:
                rows = await self._prisma_rows(plan, period, queries)
            else:
                rows = await self._sql_rows(plan, period, queries)
            for key, bucket, values in rows:
                data.setdefault(key, {})[bucket if period.key is None else period.key] = values
        series = self._assemble(plan, data, now)
        totals = await self._totals(plan, series, data, queries)
        return AnalyticsResult(
            model=plan.model.name,
            metrics=tuple(s.key for s in plan.specs),
            group_by=tuple(f.name for f in plan.group_fields),
            interval=plan.interval,
            start=localize(plan.start_wall, plan.tz) if plan.start_wall is not None else None,
            end=localize(plan.end_wall, plan.tz) if plan.end_wall is not None else None,
            series=series,
            totals=totals,
            tz=query.tz_name or "UTC",
            queries=tuple(queries),
        )

    async def _raw(self, compiled: CompiledSql) -> list[dict[str, Any]]:
        # The statement is built from the schema with the caller's row filter in it (apply_policies):
        # it is not the caller's raw SQL, so policies.raw_roles does not apply to it.
        with bypass_policies():
            rows = await self.kernel.call(None, Action.QUERY_RAW, compiled.as_args())
        return list(rows or [])

    def _too_many(self, plan: AnalyticsPlan) -> AnalyticsQueryError:
        return AnalyticsQueryError(
            f"The query returns more than {plan.max_rows} (bucket, group) rows: narrow the range, widen the "
            "interval or group by fewer fields (analytics.max_result_rows)",
            model=plan.model.name,
        )

    async def _sql_rows(
        self,
        plan: AnalyticsPlan,
        period: Period,
        queries: list[str],
        *,
        aggregates: Sequence[Aggregate] | None = None,
        grouped: bool = True,
    ) -> list[tuple[GroupKey, datetime | None, dict[str, Number]]]:
        chosen = plan.aggregates if aggregates is None else aggregates
        bucketed = plan.interval is not None and period.key is None and grouped
        compiled = plan.sql_for(period, grouped=grouped, bucketed=bucketed, aggregates=chosen)
        queries.append(compiled.sql)
        rows = await self._raw(compiled)
        if len(rows) > plan.max_rows:
            raise self._too_many(plan)
        out = []
        fields = plan.group_fields if grouped else ()
        for row in rows:
            key = tuple(group_value(plan.schema, f, row.get(f"g{i}")) for i, f in enumerate(fields))
            bucket = parse_bucket(row["b"]) if bucketed and row.get("b") is not None else None
            if bucketed and bucket is None:
                continue
            values = {a.key: _sql_value(plan.schema, a, row.get(f"m{i}")) for i, a in enumerate(chosen)}
            out.append((key, bucket, values))
        return out

    async def _prisma_rows(
        self, plan: AnalyticsPlan, period: Period, queries: list[str], *, grouped: bool = True
    ) -> list[tuple[GroupKey, datetime | None, dict[str, Number]]]:
        repo = repository(self.kernel, plan.model.name)
        selections: dict[str, dict[str, bool]] = {}
        for agg in plan.aggregates:
            assert agg.metric.prisma is not None
            target = agg.field.name if agg.field is not None else "_all"
            selections.setdefault(agg.metric.prisma, {})[target] = True
        where = plan.prisma_where(period)
        fields = plan.group_fields if grouped else ()
        if fields:
            by = [f.name for f in fields]
            queries.append(f"{plan.model.name}.groupBy(by={by})")
            rows = await repo.group_by(
                by,
                where=where,
                order_by=[{name: "asc"} for name in by],
                take=plan.max_rows + 1,
                count=selections.get("_count"),
                sum=selections.get("_sum"),
                avg=selections.get("_avg"),
                min=selections.get("_min"),
                max=selections.get("_max"),
            )
            if len(rows) > plan.max_rows:
                raise self._too_many(plan)
        else:
            queries.append(f"{plan.model.name}.aggregate()")
            rows = [
                await repo.aggregate(
                    where,
                    count=selections.get("_count"),
                    sum=selections.get("_sum"),
                    avg=selections.get("_avg"),
                    min=selections.get("_min"),
                    max=selections.get("_max"),
                )
            ]
        out: list[tuple[GroupKey, datetime | None, dict[str, Number]]] = []
        for row in rows:
            key = tuple(row.get(f.name) for f in fields)
            values: dict[str, Number] = {}
            for agg in plan.aggregates:
                assert agg.metric.prisma is not None
                found = row.get(agg.metric.prisma)
                target = agg.field.name if agg.field is not None else "_all"
                raw = found.get(target) if isinstance(found, Mapping) else found
                values[agg.key] = agg.metric.convert(raw, agg.field)
            out.append((key, None, values))
        return out

    # -- assembling --------------------------------------------------------------------------

    def _buckets(
        self, plan: AnalyticsPlan, data: Mapping[GroupKey, Mapping[datetime | None, Any]], now: datetime
    ) -> list[datetime | None]:
        if plan.interval is None:
            return [p.key for p in plan.periods]
        seen = sorted({b for buckets in data.values() for b in buckets if b is not None})
        first = plan.fetch_wall if plan.fetch_wall is not None else (seen[0] if seen else None)
        if first is None:
            return []
        if plan.end_wall is not None:
            stop = plan.end_wall
        else:
            stop = add(max(seen[-1] if seen else first, first), plan.interval)
        return list(bucket_range(first, stop, plan.interval))

    def _assemble(
        self,
        plan: AnalyticsPlan,
        data: Mapping[GroupKey, Mapping[datetime | None, Mapping[str, Number]]],
        now: datetime,
    ) -> dict[GroupKey, list[Point]]:
        all_buckets = self._buckets(plan, data, now)
        keys = list(data) if plan.group_fields else [()]
        keys.sort(key=_sort_key)
        if len(keys) * max(len(all_buckets), 1) > plan.max_rows * 4:
            raise self._too_many(plan)
        empties = {a.key: a.metric.empty for a in plan.aggregates}
        series: dict[GroupKey, list[Point]] = {}
        shown_from = plan.start_wall if plan.interval is not None else None
        for key in keys:
            found = data.get(key, {})
            buckets = (
                all_buckets if plan.query.fill or plan.interval is None else sorted(b for b in found if b is not None)
            )
            base: dict[str, list[Number]] = {
                a.key: [found[b].get(a.key) if b in found else empties[a.key] for b in buckets] for a in plan.aggregates
            }
            hidden = sum(1 for b in buckets if shown_from is not None and b is not None and b < shown_from)
            columns: dict[str, list[Number]] = {}
            for spec in plan.specs:
                if isinstance(spec.metric, SeriesMetric):
                    assert spec.base is not None
                    # Each series metric sees only the buckets before the range that it asked for.
                    offset = max(0, hidden - spec.metric.lookback(spec.window or 1))
                    values = [as_float(v) for v in base[spec.base.canonical][offset:]]
                    columns[spec.key] = [None] * offset + spec.metric.compute(values, spec.window or 1)
                else:
                    columns[spec.key] = base[spec.canonical]
            points: list[Point] = []
            for i, bucket in enumerate(buckets):
                if plan.interval is None:
                    if bucket != plan.periods[-1].key or i != len(buckets) - 1:
                        continue  # the previous period only feeds growth rates
                elif shown_from is not None and bucket is not None and bucket < shown_from:
                    continue
                stamp = localize(bucket, plan.tz) if bucket is not None else None
                points.append((stamp, {spec.key: columns[spec.key][i] for spec in plan.specs}))
            series[key] = points
        return series

    async def _totals(
        self,
        plan: AnalyticsPlan,
        series: Mapping[GroupKey, list[Point]],
        data: Mapping[GroupKey, Mapping[datetime | None, Mapping[str, Number]]],
        queries: list[str],
    ) -> dict[str, Number]:
        totals: dict[str, Number] = {}
        requested = [s for s in plan.specs if not isinstance(s.metric, SeriesMetric)]
        aggregates = {a.key: a for a in plan.aggregates}
        single = not plan.group_fields and plan.interval is None
        missing: list[Aggregate] = []
        for spec in requested:
            agg = aggregates[spec.canonical]
            if single:
                points = next(iter(series.values()), [])
                totals[spec.key] = points[0][1].get(spec.key) if points else agg.metric.empty
            elif agg.metric.additive_for(agg.field):
                totals[spec.key] = agg.metric.combine(
                    [values.get(spec.key) for points in series.values() for _, values in points]
                )
            else:
                missing.append(agg)
        if missing:
            period = plan.periods[-1]
            if plan.interval is not None:
                period = Period(None, plan.instant(plan.start_wall), plan.periods[0].end)
            if plan.use_prisma:
                rows = await self._prisma_rows(plan, period, queries, grouped=False)
            else:
                rows = await self._sql_rows(plan, period, queries, aggregates=missing, grouped=False)
            overall = rows[0][2] if rows else {}
            for spec in requested:
                if aggregates[spec.canonical] in missing:
                    totals[spec.key] = overall.get(spec.canonical)
        if plan.interval is None:
            for spec in plan.specs:
                if not isinstance(spec.metric, SeriesMetric) or spec.base is None:
                    continue
                base = aggregates[spec.base.canonical]
                per_period: list[float | None] = []
                for period in plan.periods:
                    if not plan.group_fields:
                        found = data.get((), {}).get(period.key, {})
                        per_period.append(as_float(found.get(base.key, base.metric.empty)))
                    elif base.metric.additive_for(base.field):
                        in_groups = [found.get(period.key, {}).get(base.key) for found in data.values()]
                        per_period.append(as_float(base.metric.combine(in_groups)))
                    else:
                        break
                if len(per_period) != len(plan.periods):
                    totals[spec.key] = None
                    continue
                totals[spec.key] = spec.metric.compute(per_period, spec.window or 1)[-1]
        return {s.key: totals.get(s.key) for s in plan.specs}


def _sql_value(schema: Schema, agg: Aggregate, raw: Any) -> Number:
    """An aggregate from SQL as the Prisma path gives it (min/max of an enum: its Prisma name, not its @map)."""
    value = agg.metric.convert(raw, agg.field)
    if agg.field is not None and agg.field.kind == "enum" and isinstance(value, str):
        return group_value(schema, agg.field, value)  # type: ignore[no-any-return]
    return value


def _sort_key(key: GroupKey) -> tuple[Any, ...]:
    return tuple((value is None, type(value).__name__, value if value is not None else 0) for value in key)
