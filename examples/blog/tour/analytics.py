"""The tour's analytics section: a grouped monthly series, its chart (terminal and HTML), a KPI that alerts.

See docs/analytics.md. Everything is computed in the database: one row per month and group.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import plotly.io
from prisma_infra.infrastructure import Infrastructure
from rich.console import Console
from rich.markup import escape
from rich.table import Table

#: The KPI and its alert rule: sign-ups per day (today included), and a rule on a spike of them.
KPI, RULE, SINK_LOGGER = "daily_signups", "signup_spike", "blog.tour.alerts"
MONTHS = 6


def settings(output: Path) -> dict[str, Any]:
    return {
        "analytics": {
            "enabled": False,  # no background evaluation: the tour evaluates the KPI itself, now
            "kpis": [
                {
                    "name": KPI,
                    "model": "User",
                    "metric": "count",
                    "interval": "day",
                    "include_current": True,  # today's sign-ups, the day in progress
                    "window": 7,
                    "thresholds": {"warning": 100, "critical": 300, "direction": "above"},
                    "unit": "users",
                }
            ],
            "alerts": [
                {
                    "name": RULE,
                    "kpi": KPI,
                    "value": "value",
                    "operator": ">",
                    "threshold": 250,
                    "for_evaluations": 2,
                    "severity": "critical",
                    "message": "{value} sign-ups today, over {threshold}: a bot wave?",
                }
            ],
            "sinks": [{"name": "tour-log", "type": "log", "logger": SINK_LOGGER}],
        }
    }


def _month(first: datetime, months: int) -> datetime:
    index = first.year * 12 + first.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.0%}"


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def show(infra: Infrastructure, console: Console, output: Path) -> dict[str, Any]:
    console.rule("[bold cyan]Analytics: grouped series, a chart, a KPI that alerts")
    this_month = _month(datetime.now(UTC).replace(day=1), 0)
    start, end = _month(this_month, -MONTHS), this_month  # the last 6 complete months
    date_range = {"start": start.date().isoformat(), "end": end.date().isoformat()}

    # -- the product's example: count and growth_rate, grouped by two fields, by month ---------------
    query = (
        infra.analytics("post")
        .metrics(["count", "growth_rate"])
        .group_by(["status", "price"])
        .interval("month")
        .date_field("publishedAt")  # the seed publishes over the last year; createdAt is today for all
        .date_range(start, end)
    )
    result = await query.generate()
    months = [b.strftime("%Y-%m") for b in result.buckets() if b is not None]
    table = Table(title=f"posts published per month by status and price, {date_range['start']} to {date_range['end']}")
    table.add_column("status")
    table.add_column("price", justify="right")
    for month in months:
        table.add_column(f"{month}\ncount (growth)", justify="right")
    table.add_column("total", justify="right")
    rows: list[dict[str, Any]] = []
    for group, points in zip(result.groups, result.series.values(), strict=True):
        price = str(group["price"])
        cells = [f"{v['count']} ({_pct(v['growth_rate'])})" for _, v in points]
        table.add_row(group["status"], price, *cells, str(sum(v["count"] for _, v in points)))
        rows += [
            {
                "status": group["status"],
                "price": price,
                "month": b.strftime("%Y-%m"),
                "count": v["count"],
                "growth_rate": v["growth_rate"],
            }
            for b, v in points
        ]
    console.print(table)
    in_range = await infra.repository("post").count({"publishedAt": {"gte": start, "lt": end}})
    console.print(
        f"{len(result.groups)} groups x {len(months)} months from one SQL statement: total {result.totals['count']} "
        f"posts; the repository's count of posts published in the range: {in_range}"
    )

    # -- a chart: the same figure in the terminal and as a self-contained HTML file ---------------
    per_status = await query.metrics(["count"]).group_by(["status"]).generate()
    figure = per_status.to_chart(["count"], kind="bar", title="Posts published per month by status")
    chart = {trace["name"]: dict(zip(months, trace["y"], strict=True)) for trace in figure["data"]}
    top = max((v for series in chart.values() for v in series.values()), default=1) or 1
    bars = Table(title="posts published per month by status (the chart)", show_edge=False)
    bars.add_column("month")
    bars.add_column("status")
    bars.add_column("posts", justify="right")
    bars.add_column("")
    colours = ["green", "magenta", "yellow", "blue"]
    for month in months:
        for i, (status, series) in enumerate(chart.items()):
            value = series[month]
            bars.add_row(month, status, str(value), f"[{colours[i % 4]}]" + "█" * round(50 * value / top))
    console.print(bars)
    html = output / "analytics-chart.html"
    plotly.io.write_html(plotly.io.from_json(json.dumps(figure)), str(html), include_plotlyjs=True, full_html=True)
    console.print(
        f"the same chart, self-contained (plotly.js inlined, no CDN): [bold]{html}[/] ({html.stat().st_size:,} bytes)"
    )

    # -- a KPI with an alert rule, evaluated now (settings above; docs/analytics.md#kpis) ---------
    captured = _Captured()
    sink_log = logging.getLogger(SINK_LOGGER)
    sink_log.addHandler(captured)
    sink_log.setLevel(logging.INFO)
    try:
        evaluations = []
        for _ in range(2):  # the rule holds for 2 evaluations in a row before it fires
            state = await infra.kpis.evaluate_kpi(KPI)
            rule = infra.kpis.status()["rules"][RULE]
            evaluations.append({"value": state.value, "status": state.status, "rule": rule["status"]})
            console.print(
                f"KPI [bold]{KPI}[/] (users created today, {state.bucket:%Y-%m-%d}): {state.value:g}, "
                f"status [bold]{state.status}[/], trend {state.trend:+.1f}/day; rule {RULE!r} ({rule['rule']}): "
                f"[bold]{rule['status']}[/]"
            )
        await infra.kpis.flush_alerts()
    finally:
        sink_log.removeHandler(captured)
    active = infra.kpis.active_alerts()
    sent = [{"logger": r.name, "level": r.levelname, "message": r.getMessage()} for r in captured.records]
    for record in sent:
        console.print(f"[red]alert sink 'tour-log' ({record['level']})[/]: {escape(record['message'].splitlines()[0])}")
    console.print("firing now (infra.kpis.active_alerts()): " + ", ".join(a["name"] for a in active))

    return {
        "range": date_range,
        "months": months,
        "group_by": ["status", "price"],
        "rows": rows,
        "total": result.totals["count"],
        "posts_in_range": in_range,
        "chart": chart,
        "html": str(html),
        "kpi": {
            "name": KPI,
            "value": state.value,
            "status": state.status,
            "bucket": state.bucket.isoformat() if state.bucket else None,
        },
        "evaluations": evaluations,
        "rule": {"name": RULE, **{k: rule[k] for k in ("status", "rule", "fired_at")}},
        "active_alerts": [{k: a[k] for k in ("name", "severity", "message")} for a in active],
        "sent": sent,
    }
