"""Metric parsing, series metrics, trend and anomaly, Python-side buckets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prisma_infra.analytics.buckets import add, bucket_range, parse_since, truncate
from prisma_infra.analytics.metrics import SqlMetric, metric_from_registration
from prisma_infra.analytics.series import anomaly, slope
from prisma_infra.analytics.specs import MetricRegistry
from prisma_infra.analytics.types import AnalyticsQueryError
from prisma_infra.errors import PluginError

REG = MetricRegistry()


@pytest.mark.parametrize(
    ("spec", "key", "canonical", "base", "window"),
    [
        ("count", "count", "count", None, None),
        ("sum:views", "sum:views", "sum:views", None, None),
        ({"sum": "views"}, "sum:views", "sum:views", None, None),
        ("count_distinct:authorId", "count_distinct:authorId", "distinct:authorId", None, None),
        ("growth_rate", "growth_rate", "growth_rate", "count", None),
        ("growth_rate:sum:views", "growth_rate:sum:views", "growth_rate:sum:views", "sum:views", None),
        ("moving_avg:3", "moving_avg:3", "moving_avg:3", "count", 3),
        ("moving_avg", "moving_avg", "moving_avg:7", "count", 7),
        ({"moving_avg": "avg:rating", "window": 2, "as": "r2"}, "r2", "moving_avg:avg:rating:2", "avg:rating", 2),
        ({"growth_rate": {"max": "views"}}, "growth_rate:max:views", "growth_rate:max:views", "max:views", None),
        ("cumulative", "cumulative", "cumulative", "count", None),
    ],
)
def test_metric_specs(spec: object, key: str, canonical: str, base: str | None, window: int | None) -> None:
    parsed = REG.parse(spec)  # type: ignore[arg-type]
    assert (parsed.key, parsed.canonical, parsed.window) == (key, canonical, window)
    assert (parsed.base.canonical if parsed.base else None) == base


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("sum", "needs a field"),
        ("grwoth_rate", "Did you mean 'growth_rate'"),
        ("growth_rate:moving_avg", "takes an aggregate as its base"),
        ("growth_rate:3", "takes no window"),
        ({"sum": "views", "avg": "views"}, "one entry"),
        ("moving_avg:0", "at least 1"),
        (42, "a string or a dict"),
    ],
)
def test_bad_metric_specs(spec: object, match: str) -> None:
    with pytest.raises(AnalyticsQueryError, match=match):
        REG.parse(spec)  # type: ignore[arg-type]


def test_series_metrics() -> None:
    values = [2.0, 4.0, None, 0.0, 3.0]
    assert REG.get("growth_rate").compute(values, 1) == [None, 1.0, None, None, None]  # type: ignore[attr-defined]
    assert REG.get("change").compute([1.0, 4.0, 2.0], 1) == [None, 3.0, -2.0]  # type: ignore[attr-defined]
    assert REG.get("moving_avg").compute([1.0, 2.0, 3.0, 4.0], 2) == [None, 1.5, 2.5, 3.5]  # type: ignore[attr-defined]
    assert REG.get("cumulative").compute([1.0, None, 2.5], 1) == [1, 1, 3.5]  # type: ignore[attr-defined]


def test_plugin_metric_registrations() -> None:
    sql = metric_from_registration(
        "median", {"sql": {"postgresql": "percentile_cont(0.5) WITHIN GROUP (ORDER BY {column})"}}, "p"
    )
    assert isinstance(sql, SqlMetric) and sql.name == "median"
    series = metric_from_registration("double", {"series": lambda values: [v * 2 if v else v for v in values]}, "p")
    assert series.compute([1.0, None], 1) == [2.0, None]  # type: ignore[attr-defined]
    with pytest.raises(PluginError, match="Plugin 'p'"):
        metric_from_registration("bad", object(), "p")


def test_slope_and_anomaly() -> None:
    assert slope([1, 3, 5, 7]) == pytest.approx(2.0)
    assert slope([5, None, 5]) == pytest.approx(0.0)
    assert slope([1]) is None
    found = anomaly(10.0, [1.0, 2.0, 3.0])
    assert found is not None
    assert found.mean == 2.0 and found.deviation == 8.0
    assert found.z == pytest.approx(8.0 / (2 / 3) ** 0.5)
    flat = anomaly(4.0, [4.0, 4.0])
    assert flat is not None and flat.z is None and flat.deviation == 0.0
    assert anomaly(None, [1.0]) is None and anomaly(1.0, [None]) is None


def test_buckets_match_the_sql_semantics() -> None:
    t = datetime(2024, 2, 29, 13, 45)  # a Thursday
    assert truncate(t, "hour") == datetime(2024, 2, 29, 13)
    assert truncate(t, "day") == datetime(2024, 2, 29)
    assert truncate(t, "week") == datetime(2024, 2, 26)  # Monday
    assert truncate(t, "month") == datetime(2024, 2, 1)
    assert truncate(t, "quarter") == datetime(2024, 1, 1)
    assert truncate(t, "year") == datetime(2024, 1, 1)
    assert add(datetime(2024, 1, 31), "month") == datetime(2024, 2, 29)
    assert add(datetime(2024, 11, 1), "quarter") == datetime(2025, 2, 1)
    assert add(datetime(2024, 1, 1), "month", -1) == datetime(2023, 12, 1)
    assert list(bucket_range(datetime(2024, 1, 1), datetime(2024, 1, 3), "day")) == [
        datetime(2024, 1, 1),
        datetime(2024, 1, 2),
    ]
    with pytest.raises(AnalyticsQueryError, match="more than"):
        list(bucket_range(datetime(1900, 1, 1), datetime(2100, 1, 1), "hour"))
    now = datetime(2024, 3, 31, 12, tzinfo=UTC)
    assert parse_since("30d", now) == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert parse_since("1m", now) == datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert parse_since("2024-01-01", now) == datetime(2024, 1, 1, tzinfo=UTC)
