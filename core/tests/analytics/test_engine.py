"""The analytics engine on the sqlite3 double: builder, plans, gap filling, guards, plugin metrics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prisma_infra.analytics import AnalyticsQuery, AnalyticsQueryError, SqlMetric, default_date_field
from prisma_infra.analytics.service_keys import ANALYTICS, KPIS
from prisma_infra.errors import PrismaInfraError, UnknownModelError
from prisma_infra.hookspecs import hookimpl

from core.tests.analytics.analytics_doubles import START, daily_posts, engine_of, sqlite_infrastructure


async def test_builder_is_immutable_and_series_are_gap_filled() -> None:
    async with sqlite_infrastructure() as infra:
        engine_of(infra).add_posts(daily_posts([3, 0, 0, 6]))
        base = infra.analytics("post")
        assert isinstance(base, AnalyticsQuery) and base.model == "Post"
        daily = base.metrics(["count", "growth_rate", "avg:views"]).interval("day")
        assert base.bucket is None and base.metric_args == ("count",)
        result = await daily.generate()
        assert result.values("count") == [3, 0, 0, 6]
        assert result.values("growth_rate") == [None, -1.0, None, None]
        assert result.values("avg:views") == [0.0, None, None, 3.0]  # empty buckets have no average
        assert result.totals == {"count": 9, "growth_rate": None, "avg:views": 2.0}
        sparse = await daily.fill_gaps(False).generate()
        assert sparse.values("count") == [3, 6]
        same = await infra.analytics_runner.for_model("POST").metrics("count").interval("day").generate()
        assert same.values("count") == [3, 0, 0, 6]
        with pytest.warns(DeprecationWarning, match="analytics_runner"):
            assert infra.analytics_engine is infra.analytics_runner


async def test_range_widens_to_whole_buckets_and_fills_to_the_end() -> None:
    async with sqlite_infrastructure() as infra:
        engine_of(infra).add_posts(daily_posts([1] * 20))
        q = infra.analytics("post").interval("week").date_range("2024-01-03T12:00:00", "2024-01-10")
        result = await q.generate()
        assert result.start == datetime(2024, 1, 1, tzinfo=UTC) and result.end == datetime(2024, 1, 15, tzinfo=UTC)
        assert result.buckets() == [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 8, tzinfo=UTC)]
        assert result.values("count") == [7, 7]
        (statement,) = q.to_sql()
        assert statement.params == [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 15, tzinfo=UTC)]


async def test_filters_groups_and_where_merging() -> None:
    async with sqlite_infrastructure() as infra:
        engine_of(infra).add_posts(
            daily_posts([2, 2], status="DRAFT") + daily_posts([1, 3], status="PUBLISHED", published=True)
        )
        q = infra.analytics("post").metrics(["count", "sum:views"]).group_by(["status", "published"]).interval("day")
        result = await q.generate()
        assert result.groups == [{"status": "DRAFT", "published": False}, {"status": "PUBLISHED", "published": True}]
        assert result.values("count", {"status": "PUBLISHED", "published": True}) == [1, 3]
        only = await q.where({"status": "PUBLISHED"}).where(views={"gte": 1}).generate()
        assert list(only.series) == [("PUBLISHED", True)]
        assert only.values("count", ("PUBLISHED", True)) == [3]  # no range: from the first bucket with rows


async def test_errors_are_clear() -> None:
    async with sqlite_infrastructure() as infra:
        with pytest.raises(UnknownModelError):
            infra.analytics("pots")
        q = infra.analytics("post")
        with pytest.raises(AnalyticsQueryError, match="Unknown metric"):
            q.metrics(["cuont"])
        with pytest.raises(AnalyticsQueryError, match="needs an interval"):
            await q.metrics(["moving_avg:3"]).since("30d").generate()
        with pytest.raises(AnalyticsQueryError, match="give a start"):
            await q.metrics(["growth_rate"]).generate()
        with pytest.raises(AnalyticsQueryError, match="PostgreSQL only"):
            await q.interval("day").tz("Europe/Paris").generate()
        with pytest.raises(AnalyticsQueryError, match="Unknown time zone"):
            q.tz("Mars/Olympus")
        with pytest.raises(AnalyticsQueryError, match="is String, not DateTime"):
            await q.interval("day").date_field("title").generate()
        with pytest.raises(AnalyticsQueryError, match="sum applies to"):
            await q.metrics("sum:title").generate()
        with pytest.raises(AnalyticsQueryError, match="Metric keys repeat"):
            await q.metrics(["count", {"sum": "views", "as": "count"}]).generate()
        with pytest.raises(AnalyticsQueryError, match="Unknown interval"):
            q.interval("fortnight")


async def test_row_guard_stops_huge_results() -> None:
    async with sqlite_infrastructure(analytics={"max_result_rows": 3}) as infra:
        engine_of(infra).add_posts(daily_posts([1] * 5))
        with pytest.raises(AnalyticsQueryError, match="more than 3"):
            await infra.analytics("post").interval("day").generate()


async def test_default_date_field_and_publish_keys() -> None:
    async with sqlite_infrastructure() as infra:
        schema = infra.schema
        assert default_date_field(schema.model("Post")).name == "createdAt"  # type: ignore[union-attr]
        assert default_date_field(schema.model("Tag")) is None
        assert ANALYTICS in infra.runtime.services
        assert KPIS not in infra.runtime.services  # nothing scheduled: the dashboard shows its empty state
        with pytest.raises(PrismaInfraError, match="No KPIs"):
            _ = infra.kpis
        with pytest.raises(AnalyticsQueryError, match="no DateTime field"):
            await infra.analytics("tag").interval("day").generate()
    async with sqlite_infrastructure(pipeline={"disable": ["analytics"]}) as infra:
        with pytest.raises(PrismaInfraError, match="'analytics' plugin or middleware is disabled"):
            infra.analytics("post")


class MedianPlugin:
    name = "median-metric"

    @hookimpl
    def register_analytics_metrics(self, register: Callable[[str, Any], None]) -> None:
        register("total", SqlMetric("total", {"sqlite": "total({column})"}, empty=0))
        register("doubled", {"series": lambda values: [None if v is None else 2 * v for v in values]})


async def test_plugin_metrics_are_usable_by_name() -> None:
    async with sqlite_infrastructure(MedianPlugin()) as infra:
        engine_of(infra).add_posts(daily_posts([2, 4]))
        result = (
            await infra.analytics("post")
            .metrics(["total:views", "doubled", "doubled:total:views"])
            .interval("day")
            .generate()
        )
        assert result.values("total:views") == [0, 4]
        assert result.values("doubled") == [4.0, 8.0]
        assert result.values("doubled:total:views") == [0.0, 8.0]
        sql = engine_of(infra).raw_calls[-1][0]
        assert 'total("views")' in sql


async def test_one_statement_per_query_and_never_rows() -> None:
    async with sqlite_infrastructure() as infra:
        engine = engine_of(infra)
        engine.add_posts(daily_posts([50] * 30))
        calls = len(engine.raw_calls)
        result = await (
            infra.analytics("post")
            .metrics(["count", "growth_rate", "moving_avg:7", "distinct:views"])
            .interval("day")
            .date_range(START + timedelta(days=10), START + timedelta(days=20))
            .generate()
        )
        # one bucketed statement, plus one for the non-additive distinct total
        assert len(engine.raw_calls) - calls == 2
        assert "GROUP BY" in engine.raw_calls[-2][0] and "GROUP BY" not in engine.raw_calls[-1][0]
        assert result.values("count") == [50] * 10 and result.values("moving_avg:7") == [50.0] * 10
        assert result.totals["distinct:views"] == 10


async def test_access_policies_filter_the_raw_sql_too() -> None:
    async with sqlite_infrastructure() as infra:
        engine_of(infra).add_posts(daily_posts([2, 2], authorId=1) + daily_posts([1, 1], authorId=2))
        infra.define_policy("Post", "own").allow("read", where={"authorId": "{actor.id}"}).allow("read", roles="ADMIN")
        daily = infra.analytics("post").metrics(["count", "distinct:authorId"]).interval("day")
        with infra.acting_as({"id": 2, "roles": ["AUTHOR"]}):
            assert (await daily.generate()).values("count") == [1, 1]
            assert (await daily.interval(None).generate()).totals["distinct:authorId"] == 1
        with infra.acting_as({"id": 9, "roles": ["ADMIN"]}):
            assert (await daily.generate()).values("count") == [3, 3]
        denied = pytest.raises(PrismaInfraError, match=r"No rule of policy 'own' allows")
        with infra.acting_as({"roles": ["AUTHOR"]}), denied:
            await daily.generate()  # denied, as on the Prisma path
