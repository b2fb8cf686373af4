"""``date_range`` given as a ``{"from": ..., "to": ...}`` mapping, and its errors, on every provider."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from prisma_infra.analytics import AnalyticsQueryError

from tests.analytics.analytics_support import Seeded

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

JAN10 = datetime(2024, 1, 10, tzinfo=UTC)
FEB10 = datetime(2024, 2, 10, tzinfo=UTC)


async def test_date_range_mapping_is_the_keyword_form(seeded: Seeded) -> None:
    weekly = seeded.infra.analytics("account").metrics(["count"]).interval("week")
    expected = await weekly.date_range(JAN10, FEB10).generate()
    for bounds in ({"from": JAN10, "to": FEB10}, {"from": "2024-01-10", "to": "2024-02-10T00:00:00Z"}):
        assert (await weekly.date_range(bounds).generate()).to_rows() == expected.to_rows()
    total = seeded.infra.analytics("account").metrics(["count"])  # no interval: the range is not widened
    assert (await total.date_range({"from": JAN10, "to": FEB10}).generate()).totals["count"] == sum(
        1 for r in seeded.rows if JAN10 <= r["createdAt"] < FEB10
    )
    open_ended = await total.date_range({"from": date(2024, 2, 10)}).generate()
    assert open_ended.totals["count"] == sum(1 for r in seeded.rows if r["createdAt"] >= FEB10)
    until = await total.date_range({"to": JAN10}).generate()
    assert until.totals["count"] == sum(1 for r in seeded.rows if r["createdAt"] < JAN10)


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({"start": JAN10, "to": FEB10}, r"mapping keys are 'from' and 'to', got start"),
        ({"from": JAN10, "until": FEB10, 3: 4}, r"keys are 'from' and 'to', got int, until"),
        ({"from": "10/01/2024"}, r"date range 'from': Not an ISO 8601 date"),
        ({"from": JAN10, "to": 20240210}, r"date range 'to': A date or time is a datetime.*not int"),
        ({"from": FEB10, "to": JAN10}, r"date_range\(\): 'from' is after 'to'"),
    ],
)
async def test_bad_date_range_mappings_are_analytics_errors(seeded: Seeded, bounds: Any, message: str) -> None:
    query = seeded.infra.analytics("account").metrics(["count"])
    with pytest.raises(AnalyticsQueryError, match=message) as raised:
        await query.date_range(bounds).generate()
    assert "2024" not in str(raised.value)  # the message names the bound, not its value


async def test_bad_date_range_arguments_are_analytics_errors(seeded: Seeded) -> None:
    query = seeded.infra.analytics("account").metrics(["count"])
    with pytest.raises(AnalyticsQueryError, match=r"'start' is after 'end'"):
        query.date_range(FEB10, JAN10)
    with pytest.raises(AnalyticsQueryError, match=r"a \{'from': \.\.\., 'to': \.\.\.\} mapping or start and end"):
        query.date_range({"from": JAN10}, FEB10)
    with pytest.raises(AnalyticsQueryError, match=r"since\(\): 'since' is after 'until'"):
        query.since("2024-02-10", until=JAN10)
    assert (await query.date_range(JAN10, JAN10).generate()).totals["count"] == 0  # empty, not an error
