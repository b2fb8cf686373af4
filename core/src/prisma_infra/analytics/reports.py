"""Scheduled reports: analytics queries and KPI states rendered as JSON, CSV and HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from prisma_infra.alerts.sinks import Attachment, Notification
from prisma_infra.analytics.result import AnalyticsResult
from prisma_infra.config.model import ReportConfig, ReportQueryConfig

if TYPE_CHECKING:
    from prisma_infra.analytics.kpi import Kpi
    from prisma_infra.analytics.runner import AnalyticsRunner

__all__ = ["RenderedReport", "build_report", "render_html_table"]


@dataclass
class RenderedReport:
    name: str
    generated_at: datetime
    sections: list[tuple[str, AnalyticsResult]] = field(default_factory=list)
    kpis: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "generated_at": self.generated_at.isoformat(),
            "kpis": self.kpis,
            "sections": [{"title": title, **result.to_dict()} for title, result in self.sections],
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str)

    def to_csv(self) -> dict[str, str]:
        """One CSV per section, by file name."""
        files = {}
        for i, (title, result) in enumerate(self.sections, 1):
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or f"section-{i}"
            files[f"{i:02d}-{slug}.csv"] = result.to_csv()
        if self.kpis:
            lines = ["name,value,status,trend,anomaly_z,bucket"]
            for k in self.kpis:
                z = (k.get("anomaly") or {}).get("z")
                lines.append(
                    ",".join(
                        _csv(v)
                        for v in (k["name"], k.get("value"), k.get("status"), k.get("trend"), z, k.get("bucket"))
                    )
                )
            files["kpis.csv"] = "\n".join(lines) + "\n"
        return files

    def to_html(self) -> str:
        title = html.escape(f"Report {self.name}")
        parts = [
            "<!doctype html><html><head><meta charset='utf-8'>",
            f"<title>{title}</title>",
            "<style>body{font-family:sans-serif}table{border-collapse:collapse;margin:8px 0 20px}"
            "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
            "td:first-child,th:first-child{text-align:left}</style></head><body>",
            f"<h1>{title}</h1><p>Generated {html.escape(self.generated_at.isoformat(timespec='seconds'))}</p>",
        ]
        if self.kpis:
            parts.append("<h2>KPIs</h2>")
            rows = [
                [
                    k["name"],
                    k.get("value"),
                    k.get("status"),
                    k.get("trend"),
                    (k.get("anomaly") or {}).get("z"),
                    k.get("bucket"),
                ]
                for k in self.kpis
            ]
            parts.append(render_html_table(["KPI", "value", "status", "trend", "anomaly z", "bucket"], rows))
        for title_text, result in self.sections:
            parts.append(f"<h2>{html.escape(title_text)}</h2>")
            columns = [*result.group_by, "bucket", *result.metrics]
            parts.append(render_html_table(columns, [[row[c] for c in columns] for row in result.to_rows()]))
        parts.append("</body></html>")
        return "".join(parts)

    def notification(self, formats: Sequence[str]) -> Notification:
        attachments: list[Attachment] = []
        if "json" in formats:
            attachments.append(Attachment(f"{self.name}.json", self.to_json(), "application/json"))
        if "csv" in formats:
            attachments.extend(Attachment(name, text.encode(), "text/csv") for name, text in self.to_csv().items())
        page = self.to_html() if "html" in formats else None
        if page is not None:
            attachments.append(Attachment(f"{self.name}.html", page.encode(), "text/html"))
        lines = [f"Report {self.name} ({self.generated_at.isoformat(timespec='seconds')})"]
        for k in self.kpis:
            lines.append(f"- KPI {k['name']}: {_fmt(k.get('value'))} ({k.get('status')})")
        for title, result in self.sections:
            totals = ", ".join(f"{m} {_fmt(v)}" for m, v in result.totals.items())
            lines.append(f"- {title}: {len(result.series)} group(s); totals: {totals}")
        return Notification(
            kind="report",
            subject=f"prisma-infra report: {self.name}",
            text="\n".join(lines),
            payload=self.to_dict(),
            html=page,
            attachments=tuple(attachments),
        )


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _csv(value: Any) -> str:
    text = "" if value is None else (value.isoformat() if isinstance(value, datetime) else str(value))
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def render_html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain HTML table, every cell escaped."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(_fmt(v.isoformat() if isinstance(v, datetime) else v))}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_query(runner: AnalyticsRunner, config: ReportQueryConfig) -> Any:
    q = runner.for_model(config.model).metrics(config.metrics).since(config.since).interval(config.interval)
    if config.group_by:
        q = q.group_by(config.group_by)
    if config.where:
        q = q.where(config.where)
    if config.date_field:
        q = q.date_field(config.date_field)
    return q


async def build_report(
    runner: AnalyticsRunner, config: ReportConfig, kpis: Sequence[Kpi] = (), now: datetime | None = None
) -> RenderedReport:
    """Run a report's queries and collect its KPIs' latest states."""
    report = RenderedReport(name=config.name, generated_at=now or datetime.now(UTC))
    for query in config.queries:
        result = await report_query(runner, query).generate()
        title = query.title or f"{query.model}: {', '.join(map(str, result.metrics))}" + (
            f" per {query.interval}" if query.interval else ""
        )
        report.sections.append((title, result))
    for kpi in kpis:
        state = kpi.state.as_dict()
        state.pop("points", None)
        report.kpis.append(state)
    return report
