"""The tour's analytics section: real monthly counts, growth rates that follow them, the chart, a fired alert."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.examples.demo_run import TourRun

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def analytics(tour: TourRun) -> dict[str, Any]:
    return tour.section("analytics")


def test_the_grouped_monthly_counts_are_the_posts_published_in_the_range(analytics: dict[str, Any]) -> None:
    rows, months = analytics["rows"], analytics["months"]
    assert len(months) == 6 and months == sorted(months)
    assert months[0] == analytics["range"]["start"][:7]
    groups = {(r["status"], r["price"]) for r in rows}
    # Drafts have no publishedAt; the seed's two other statuses times its four prices.
    assert {s for s, _ in groups} == {"PUBLISHED", "ARCHIVED"}
    assert {p for _, p in groups} == {"0", "2.5", "4.99", "9.99"}
    assert len(rows) == len(groups) * len(months)
    total = sum(r["count"] for r in rows)
    # The SQL series sums to its own total and to the repository's count (Prisma) of the same range.
    assert total == analytics["total"] == analytics["posts_in_range"]
    assert 600 < total < 1200  # ~1,800 posts published over a year, half of it in range
    assert all(r["count"] > 0 for r in rows)  # every month of the range has data


def test_growth_rate_follows_the_counts_month_over_month(analytics: dict[str, Any]) -> None:
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in analytics["rows"]:
        by_group[(row["status"], row["price"])].append(row)
    checked = 0
    for points in by_group.values():
        assert [p["month"] for p in points] == analytics["months"]
        for previous, current in itertools.pairwise(points):
            expected = (current["count"] - previous["count"]) / previous["count"] if previous["count"] else None
            assert current["growth_rate"] == pytest.approx(expected)
            checked += 1
        # The first month compares with the month before the range (read in the same query): a real number.
        assert points[0]["growth_rate"] is not None
    assert checked == len(by_group) * 5


def test_the_chart_is_the_counts_per_status_and_shown_in_the_terminal(analytics: dict[str, Any], tour: TourRun) -> None:
    summed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in analytics["rows"]:
        summed[row["status"]][row["month"]] += row["count"]
    # The chart's query (grouped by status only) agrees with the table's (status and price).
    assert analytics["chart"] == {status: dict(series) for status, series in summed.items()}
    out = tour.output
    for status, series in analytics["chart"].items():
        for month, value in series.items():
            assert re.search(rf"{month}\s+│\s+{status}\s+│\s+{value}\s+│\s+█+", out), (month, status, value)
    assert analytics["html"] in out.replace("\n", "")


def test_the_html_chart_is_self_contained_and_holds_the_data(analytics: dict[str, Any], tour: TourRun) -> None:
    html = Path(analytics["html"])
    assert html.parent == tour.folder / "tour-output"
    text = html.read_text()
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", text)  # no CDN
    assert "plotly.js v" in text and len(text) > 1_000_000  # the library inlined
    for status, series in analytics["chart"].items():
        trace = re.search(rf'"name":"{status}".*?"y":\[([^\]]*)\]', text)
        assert trace is not None, status
        assert [int(float(v)) for v in trace.group(1).split(",")] == list(series.values())


def test_the_kpi_alert_rule_fires_on_the_seeds_sign_ups(analytics: dict[str, Any], tour: TourRun) -> None:
    kpi = analytics["kpi"]
    assert kpi["name"] == "daily_signups"
    assert kpi["value"] >= 400 and kpi["status"] == "critical"  # the seed created 400 users today
    # for_evaluations = 2: pending after the first evaluation, firing after the second.
    assert [e["rule"] for e in analytics["evaluations"]] == ["pending", "firing"]
    assert analytics["rule"]["name"] == "signup_spike" and analytics["rule"]["status"] == "firing"
    assert analytics["rule"]["fired_at"] is not None
    assert {a["name"] for a in analytics["active_alerts"]} == {"signup_spike", "kpi:daily_signups"}
    sent = [s["message"] for s in analytics["sent"] if "signup_spike" in s["message"]]
    assert len(sent) == 1 and f"{kpi['value']:g} sign-ups today, over 250" in sent[0]
    assert all(s["logger"] == "blog.tour.alerts" and s["level"] == "ERROR" for s in analytics["sent"])
    assert "signup_spike:" in tour.output and "firing now (infra.kpis.active_alerts()): " in tour.output
