"""Times of day (``DateTime @db.Time``) never date rows: on PostgreSQL and MariaDB (SQLite has no such type).

Bucketing a ``time`` is not a date (PostgreSQL's ``date_trunc`` of a ``time``
is an ``interval``, the engine then fails): the default date field skips such
fields, and asking for one is an `AnalyticsQueryError` naming the field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.analytics import AnalyticsQueryError
from prisma_infra.infrastructure import Infrastructure

from tests.analytics.analytics_support import settings
from tests.real_databases import pushed

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

SCHEMAS = Path(__file__).parent / "schema_time"
START = datetime(2024, 3, 1, tzinfo=UTC)
SHIFTS: list[dict[str, Any]] = [
    {
        "opensAt": datetime(1970, 1, 1, 6 + i % 12, 30, tzinfo=UTC),
        "startsOn": START + timedelta(hours=10 * i),
        "hours": i,
    }
    for i in range(24)
]


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["postgresql", "mysql"])
async def shifts(request: pytest.FixtureRequest) -> AsyncIterator[Infrastructure]:
    provider: str = request.param
    url = await pushed(provider, "prisma_infra_analytics_time", SCHEMAS / provider / "schema.prisma")
    config = settings(provider, url)
    config["database"]["schema_path"] = str(SCHEMAS / provider / "schema.prisma")
    infra = Infrastructure(config)
    await infra.start()
    try:
        await infra.repository("shift").create_many(SHIFTS)
        await infra.repository("alarm").create({"ringAt": datetime(1970, 1, 1, 7, tzinfo=UTC)})
        yield infra
    finally:
        await infra.close()


def _day(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


async def test_the_default_date_field_is_not_a_time_of_day(shifts: Infrastructure) -> None:
    query = shifts.analytics("shift").metrics(["count", "sum:hours"]).interval("day")
    assert query.plan().date_field is not None and query.plan().date_field.name == "startsOn"  # type: ignore[union-attr]
    result = await query.generate()
    per_day = Counter(_day(s["startsOn"]) for s in SHIFTS)
    assert result.buckets() == sorted(per_day)
    assert result.values("count") == [per_day[d] for d in sorted(per_day)]
    # Without an interval (Prisma's groupBy) the range also applies to the date field.
    ranged = await shifts.analytics("shift").metrics(["count"]).date_range(START, START + timedelta(days=2)).generate()
    assert ranged.totals["count"] == sum(1 for s in SHIFTS if s["startsOn"] < START + timedelta(days=2))


@pytest.mark.parametrize(
    "build",
    [
        lambda q: q.interval("hour"),
        lambda q: q.interval("day").date_range(START, START + timedelta(days=1)),
        lambda q: q.date_range(START, START + timedelta(days=1)),  # the Prisma path
    ],
    ids=["interval", "interval-and-range", "range"],
)
async def test_a_time_of_day_cannot_date_rows(shifts: Infrastructure, build: Any) -> None:
    query = build(shifts.analytics("shift").metrics(["count"]).date_field("opensAt"))
    with pytest.raises(AnalyticsQueryError, match=r"Shift\.opensAt is a time of day \(@db\.Time\)") as raised:
        await query.generate()
    assert raised.value.model == "Shift" and raised.value.field == "opensAt"


async def test_a_model_with_only_a_time_of_day_has_no_date_field(shifts: Infrastructure) -> None:
    alarms = shifts.analytics("alarm").metrics(["count"])
    with pytest.raises(AnalyticsQueryError, match=r"Model Alarm has no DateTime field.*ringAt is a time of day"):
        await alarms.interval("day").generate()
    assert (await alarms.generate()).totals["count"] == 1  # no date needed: fine


async def test_a_time_of_day_is_still_a_value_to_aggregate_and_group_by(shifts: Infrastructure) -> None:
    """Only dating rows is refused: min/max and group_by of the time of day work on both paths."""
    query = shifts.analytics("shift").metrics(["count", "min:opensAt", "max:opensAt"])
    opens = sorted(s["opensAt"] for s in SHIFTS)
    for result in (await query.generate(), await query.interval("month").generate()):  # Prisma path, SQL path
        assert result.totals == {"count": len(SHIFTS), "min:opensAt": opens[0], "max:opensAt": opens[-1]}
    grouped = await query.group_by("opensAt").interval("month").generate()
    assert sorted(grouped.series) == sorted({(t,) for t in opens})
