"""Analytics on PostgreSQL, MariaDB and SQLite through the real Prisma engine.

3,000 rows every 37 minutes from 2024-01-01T00:00Z; every expected number is
computed from the same rows in Python (`analytics_support.expected`).
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prisma_infra.analytics import AnalyticsQueryError

from tests.analytics.analytics_support import Seeded, day, expected, month, week

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

JAN10 = datetime(2024, 1, 10, tzinfo=UTC)
FEB10 = datetime(2024, 2, 10, tzinfo=UTC)


def _days(start: datetime, end: datetime) -> list[datetime]:
    out, current = [], start
    while current < end:
        out.append(current)
        current += timedelta(days=1)
    return out


async def test_daily_series_counts_sums_growth_distinct(seeded: Seeded) -> None:
    result = await (
        seeded.infra.analytics("account")
        .metrics(["count", "sum:views", "avg:score", "growth_rate", "distinct:userRef", "max:views", "sum:amount"])
        .interval("day")
        .date_range(JAN10, FEB10)
        .generate()
    )
    ref = expected(seeded.rows, day)[()]
    buckets = _days(JAN10, FEB10)
    assert result.buckets() == buckets
    assert result.values("count") == [len(ref[b]) for b in buckets]
    assert result.values("sum:views") == [sum(r["views"] for r in ref[b]) for b in buckets]
    assert result.values("max:views") == [max(r["views"] for r in ref[b]) for b in buckets]
    assert result.values("sum:amount") == [sum((r["amount"] for r in ref[b]), Decimal(0)) for b in buckets]
    assert result.values("distinct:userRef") == [len({r["userRef"] for r in ref[b]}) for b in buckets]
    for got, b in zip(result.values("avg:score"), buckets, strict=True):
        assert got == pytest.approx(sum(r["score"] for r in ref[b]) / len(ref[b]))
    counts = [len(ref[b - timedelta(days=1)]) for b in [buckets[0]]] + result.values("count")  # type: ignore[operator]
    assert result.values("growth_rate") == pytest.approx([(c - p) / p for p, c in itertools.pairwise(counts)])
    in_range = [r for r in seeded.rows if JAN10 <= r["createdAt"] < FEB10]
    assert result.totals["count"] == len(in_range)
    assert result.totals["distinct:userRef"] == 50
    assert result.totals["sum:views"] == sum(r["views"] for r in in_range)
    assert result.totals["avg:score"] == pytest.approx(sum(r["score"] for r in in_range) / len(in_range))


async def test_weekly_grouped_by_two_fields(seeded: Seeded) -> None:
    result = await (
        seeded.infra.analytics("Account")
        .metrics(["count", "sum:views", "growth_rate"])
        .group_by(["role", "status"])
        .interval("week")
        .date_range("2024-01-01", "2024-03-25")
        .generate()
    )
    ref = expected(seeded.rows, week, key=lambda r: (r["role"], r["status"]))
    assert sorted(result.series) == sorted(ref)
    assert result.groups[0] == {"role": "admin", "status": "ACTIVE"}
    weeks = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(weeks=i) for i in range(12)]
    for key, points in result.series.items():
        assert [b for b, _ in points] == weeks
        assert [v["count"] for _, v in points] == [len(ref[key].get(w, [])) for w in weeks]
        assert [v["sum:views"] for _, v in points] == [sum(r["views"] for r in ref[key].get(w, [])) for w in weeks]
        counts = [v["count"] for _, v in points]
        assert points[0][1]["growth_rate"] is None  # nothing before 2024-01-01
        for previous, current, (_, values) in zip(counts, counts[1:], points[1:], strict=False):
            want = None if previous == 0 else (current - previous) / previous
            assert values["growth_rate"] == (pytest.approx(want) if want is not None else None)
    assert result.totals["count"] == len(seeded.rows)


async def test_monthly_with_filters(seeded: Seeded) -> None:
    where: dict[str, Any] = {
        "status": "ACTIVE",
        "plan": {"contains": "%"},
        "views": {"gte": 3, "lt": 8},
        "role": {"in": ["admin", "reader"]},
        "NOT": {"userRef": "u1"},
    }
    result = await (
        seeded.infra.analytics("account").metrics(["count", "sum:views"]).interval("month").where(where).generate()
    )

    def keep(r: dict[str, Any]) -> bool:
        return (
            r["status"] == "ACTIVE"
            and r["plan"] is not None
            and "%" in r["plan"]
            and 3 <= r["views"] < 8
            and r["role"] in ("admin", "reader")
            and r["userRef"] != "u1"
        )

    ref = expected(seeded.rows, month, where=keep)[()]
    assert ref, "the filter keeps some rows"
    months = sorted(ref)
    assert result.buckets() == months
    assert result.values("count") == [len(ref[m]) for m in months]
    assert result.values("sum:views") == [sum(r["views"] for r in ref[m]) for m in months]


async def test_without_interval_uses_prisma_group_by(seeded: Seeded) -> None:
    query = (
        seeded.infra.analytics("account")
        .metrics(["count", "sum:views", "avg:score", "min:createdAt", "count:plan"])
        .group_by("role")
        .date_range(JAN10, FEB10)
    )
    assert query.to_sql() == []  # the Prisma path
    result = await query.generate()
    assert result.queries[0].startswith("Account.groupBy")
    in_range = [r for r in seeded.rows if JAN10 <= r["createdAt"] < FEB10]
    for role in ("admin", "editor", "reader"):
        mine = [r for r in in_range if r["role"] == role]
        ((bucket, values),) = result.points({"role": role})
        assert bucket == JAN10
        assert values["count"] == len(mine)
        assert values["sum:views"] == sum(r["views"] for r in mine)
        assert values["avg:score"] == pytest.approx(sum(r["score"] for r in mine) / len(mine))
        assert values["min:createdAt"] == min(r["createdAt"] for r in mine)
        assert values["count:plan"] == sum(1 for r in mine if r["plan"] is not None)
    assert result.totals["count"] == len(in_range)


async def test_min_max_of_text_and_enum_fields_on_both_paths(seeded: Seeded) -> None:
    """Strings and enums come back as Prisma gives them (enum names, not their @map), totals from the database."""
    metrics = ["min:userRef", "max:userRef", "max:plan", "min:status", "max:status"]
    query = seeded.infra.analytics("account").metrics(metrics).date_range(JAN10, FEB10)
    prisma = await query.group_by("role").generate()
    sql = await query.interval("week").generate()
    assert prisma.queries[0].startswith("Account.groupBy") and sql.to_dict()["interval"] == "week"
    in_range = [r for r in seeded.rows if JAN10 <= r["createdAt"] < FEB10]

    def extremes(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"min:userRef": min(r["userRef"] for r in rows), "max:userRef": max(r["userRef"] for r in rows),
                "max:plan": max(r["plan"] for r in rows if r["plan"] is not None),
                "min:status": min(r["status"] for r in rows), "max:status": max(r["status"] for r in rows)}

    for role in ("admin", "editor", "reader"):
        ((_, values),) = prisma.points({"role": role})
        assert values == extremes([r for r in in_range if r["role"] == role])
    ref = expected(seeded.rows, week, where=lambda r: JAN10 <= r["createdAt"] < FEB10)[()]
    for bucket, values in sql.points(()):
        assert values == extremes(ref[bucket]), bucket
    assert prisma.totals == sql.totals == extremes(in_range)


async def test_growth_rate_without_interval_compares_with_the_previous_period(seeded: Seeded) -> None:
    result = await (
        seeded.infra.analytics("account")
        .metrics(["count", "growth_rate", "distinct:userRef"])
        .date_range(FEB10 - timedelta(days=7), FEB10)
        .generate()
    )
    current = sum(1 for r in seeded.rows if FEB10 - timedelta(days=7) <= r["createdAt"] < FEB10)
    previous = sum(1 for r in seeded.rows if FEB10 - timedelta(days=14) <= r["createdAt"] < FEB10 - timedelta(days=7))
    ((_, values),) = result.points()
    assert values["count"] == current
    assert values["growth_rate"] == pytest.approx((current - previous) / previous)
    assert values["distinct:userRef"] == 50
    assert result.totals["growth_rate"] == pytest.approx((current - previous) / previous)


async def test_moving_average_and_cumulative_read_buckets_before_the_range(seeded: Seeded) -> None:
    result = await (
        seeded.infra.analytics("account")
        .metrics(["count", "moving_avg:3", "cumulative", {"moving_avg": "sum:views", "window": 2, "as": "views_ma2"}])
        .interval("day")
        .date_range(JAN10, JAN10 + timedelta(days=5))
        .generate()
    )
    ref = expected(seeded.rows, day)[()]
    buckets = _days(JAN10, JAN10 + timedelta(days=5))
    counts = {b: len(ref[b]) for b in _days(JAN10 - timedelta(days=2), JAN10 + timedelta(days=5))}
    views = {b: sum(r["views"] for r in ref[b]) for b in counts}
    assert result.values("moving_avg:3") == pytest.approx(
        [sum(counts[b - timedelta(days=k)] for k in range(3)) / 3 for b in buckets]
    )
    assert result.values("views_ma2") == pytest.approx([(views[b] + views[b - timedelta(days=1)]) / 2 for b in buckets])
    running = 0
    cumulative = []
    for b in buckets:
        running += counts[b]
        cumulative.append(running)
    assert result.values("cumulative") == cumulative


async def test_enum_values_are_prisma_names_both_ways(seeded: Seeded) -> None:
    result = await (
        seeded.infra.analytics("account")
        .metrics(["count"])
        .group_by("status")
        .interval("month")
        .where({"status": {"in": ["INACTIVE"]}})
        .generate()
    )
    assert list(result.series) == [("INACTIVE",)]
    assert result.totals["count"] == sum(1 for r in seeded.rows if r["status"] == "INACTIVE")


async def test_time_zone_buckets(seeded: Seeded) -> None:
    query = seeded.infra.analytics("account").metrics(["count"]).interval("day").date_range(JAN10, FEB10)
    if seeded.provider != "postgresql":
        with pytest.raises(AnalyticsQueryError, match="PostgreSQL only"):
            await query.tz("America/New_York").generate()
        return
    result = await query.tz("America/New_York").generate()
    zone = ZoneInfo("America/New_York")
    local = expected(seeded.rows, lambda d: day(d.astimezone(zone)).replace(tzinfo=None))[()]
    first = datetime(2024, 1, 9)  # JAN10 00:00 UTC is Jan 9, 19:00 in New York
    buckets = result.buckets()
    assert buckets[0] == first.replace(tzinfo=zone)
    assert all(b is not None and b.tzinfo == zone for b in buckets)
    # Whole local days inside the range are exact; the two edge days are cut by the UTC range.
    for bucket, count in list(zip(buckets, result.values("count"), strict=False))[1:-1]:
        assert bucket is not None
        assert count == len(local[bucket.replace(tzinfo=None)])


async def test_unsupported_filter_names_the_field(seeded: Seeded) -> None:
    with pytest.raises(AnalyticsQueryError, match=r"Account\.plan.*'search'"):
        await seeded.infra.analytics("account").interval("day").where({"plan": {"search": "x"}}).generate()


async def test_result_conversions(seeded: Seeded) -> None:
    result = await (
        seeded.infra.analytics("account")
        .metrics(["count", "growth_rate"])
        .group_by("role")
        .interval("week")
        .date_range("2024-01-01", "2024-01-15")
        .generate()
    )
    rows = result.to_rows()
    assert len(rows) == 3 * 2 and set(rows[0]) == {"role", "bucket", "count", "growth_rate"}
    csv = result.to_csv().splitlines()
    assert csv[0] == "role,bucket,count,growth_rate" and len(csv) == 7
    chart = result.to_chart(["count"])
    assert [t["name"] for t in chart["data"]] == ["admin", "editor", "reader"]
    assert chart["data"][0]["x"] == ["2024-01-01T00:00:00+00:00", "2024-01-08T00:00:00+00:00"]
    assert not math.isnan(sum(chart["data"][0]["y"]))
    assert result.to_dict()["groups"][0]["key"] == {"role": "admin"}


async def test_kpi_evaluation_and_alert_on_the_real_engine(seeded: Seeded) -> None:
    infra = seeded.infra
    await infra.configure(
        {
            "analytics": {
                "enabled": False,
                "kpis": [
                    {
                        "name": "admin_signups",
                        "model": "Account",
                        "metric": "count",
                        "where": {"role": "admin"},
                        "interval": "day",
                        "window": 5,
                        "thresholds": {"warning": 100, "direction": "above"},
                    }
                ],
                "alerts": [
                    {"name": "busy", "kpi": "admin_signups", "operator": ">=", "threshold": 10, "for_evaluations": 2}
                ],
            }
        }
    )
    try:
        now = FEB10 + timedelta(hours=3)
        first = await infra.kpis.evaluate_kpi("admin_signups", now=now)
        ref = expected(seeded.rows, day, where=lambda r: r["role"] == "admin")[()]
        days = _days(FEB10 - timedelta(days=6), FEB10)
        assert [v for _, v in first.points] == [len(ref[d]) for d in days]
        assert first.value == len(ref[FEB10 - timedelta(days=1)]) and first.status == "ok"
        assert first.trend is not None and first.anomaly is not None
        assert infra.kpis.status()["rules"]["busy"]["status"] == "pending"
        await infra.kpis.evaluate_kpi("admin_signups", now=now)
        assert [a["name"] for a in infra.kpis.active_alerts()] == ["busy"]
    finally:
        await infra.configure({"analytics": {"kpis": [], "alerts": []}})
