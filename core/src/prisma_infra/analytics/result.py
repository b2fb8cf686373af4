"""`AnalyticsResult`: the series per group and the totals, convertible to rows, dict, CSV and a chart."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from prisma_infra.analytics.types import GroupKey, Interval, MetricValues, Number, Point

__all__ = ["AnalyticsResult"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@dataclass(frozen=True)
class AnalyticsResult:
    """What `AnalyticsQuery.generate` returns.

    ``series`` maps each group (a tuple of the ``group_by`` values, ``()`` when not
    grouped) to its points, oldest first: ``(bucket_start, {metric: value})``.
    Bucket starts are aware datetimes (UTC, or the query's ``tz``); without an
    interval there is one point per group, dated at the range's start (or ``None``).
    ``totals`` holds each aggregate over the whole range and every group (series
    metrics have a total only without an interval).
    """

    model: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    interval: Interval | None
    start: datetime | None
    end: datetime | None
    series: dict[GroupKey, list[Point]]
    totals: MetricValues
    tz: str = "UTC"
    queries: tuple[str, ...] = field(default=(), compare=False)
    """The SQL statements or Prisma actions that produced it (for ``explain``)."""

    # -- access ----------------------------------------------------------------------------

    @property
    def groups(self) -> list[dict[str, Any]]:
        """Each group as ``{field: value}``, in order."""
        return [dict(zip(self.group_by, key, strict=True)) for key in self.series]

    def points(self, group: Mapping[str, Any] | GroupKey | None = None) -> list[Point]:
        """The points of one group (``{"role": "ADMIN"}`` or ``("ADMIN",)``); the only group when ``None``."""
        if group is None:
            if len(self.series) != 1:
                raise KeyError(f"{len(self.series)} groups: name one of {self.groups[:5]}...")
            return next(iter(self.series.values()))
        key = tuple(group[name] for name in self.group_by) if isinstance(group, Mapping) else tuple(group)
        return self.series[key]

    def values(self, metric: str, group: Mapping[str, Any] | GroupKey | None = None) -> list[Number]:
        """One metric's values over the buckets of one group."""
        return [values.get(metric) for _, values in self.points(group)]

    def buckets(self) -> list[datetime | None]:
        """The bucket starts (the same for every group)."""
        first = next(iter(self.series.values()), [])
        return [bucket for bucket, _ in first]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.to_rows())

    # -- conversions -----------------------------------------------------------------------

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat dict per group and bucket: the group fields, ``bucket`` and every metric."""
        rows = []
        for key, points in self.series.items():
            labels = dict(zip(self.group_by, key, strict=True))
            for bucket, values in points:
                rows.append({**labels, "bucket": bucket, **{m: values.get(m) for m in self.metrics}})
        return rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (ISO dates, Decimals as numbers), without pandas."""
        return {
            "model": self.model,
            "metrics": list(self.metrics),
            "group_by": list(self.group_by),
            "interval": self.interval,
            "tz": self.tz,
            "start": _jsonable(self.start),
            "end": _jsonable(self.end),
            "groups": [
                {
                    "key": {k: _jsonable(v) for k, v in zip(self.group_by, key, strict=True)},
                    "points": [
                        {"bucket": _jsonable(bucket), **{m: _jsonable(values.get(m)) for m in self.metrics}}
                        for bucket, values in points
                    ],
                }
                for key, points in self.series.items()
            ],
            "totals": {m: _jsonable(v) for m, v in self.totals.items()},
        }

    def to_csv(self, *, dialect: str = "excel") -> str:
        """The rows as CSV text with a header (ISO dates)."""
        out = io.StringIO()
        writer = csv.writer(out, dialect=dialect)
        writer.writerow([*self.group_by, "bucket", *self.metrics])
        for row in self.to_rows():
            writer.writerow(
                ["" if row[c] is None else _jsonable(row[c]) for c in (*self.group_by, "bucket", *self.metrics)]
            )
        return out.getvalue()

    def to_chart(
        self, metrics: Sequence[str] | None = None, *, title: str | None = None, kind: str = "line"
    ) -> dict[str, Any]:
        """A Plotly figure (``{"data": [...], "layout": {...}}``) with one trace per group and metric.

        Render it with ``plotly.io.from_json(json.dumps(fig))`` or ``Plotly.newPlot(el, fig.data, fig.layout)``.
        ``kind`` is ``"line"`` or ``"bar"``; without an interval, bars per group.
        """
        chosen = list(metrics or self.metrics)
        unknown = [m for m in chosen if m not in self.metrics]
        if unknown:
            raise KeyError(f"Not in this result: {unknown} (metrics: {list(self.metrics)})")
        data: list[dict[str, Any]] = []
        if self.interval is None:
            labels = [" / ".join(str(v) for v in key) or self.model for key in self.series]
            for metric in chosen:
                data.append(
                    {
                        "type": "bar",
                        "name": metric,
                        "x": labels,
                        "y": [
                            _jsonable(points[0][1].get(metric)) if points else None for points in self.series.values()
                        ],
                    }
                )
        else:
            for key, points in self.series.items():
                group = " / ".join(str(v) for v in key)
                for metric in chosen:
                    trace: dict[str, Any] = {
                        "type": "bar" if kind == "bar" else "scatter",
                        "name": f"{group} · {metric}" if group and len(chosen) > 1 else (group or metric),
                        "x": [_jsonable(bucket) for bucket, _ in points],
                        "y": [_jsonable(values.get(metric)) for _, values in points],
                    }
                    if kind != "bar":
                        trace["mode"] = "lines+markers"
                    data.append(trace)
        default_title = f"{self.model}: {', '.join(chosen)}"
        if self.interval:
            default_title += f" per {self.interval}"
        if self.group_by:
            default_title += f" by {', '.join(self.group_by)}"
        layout: dict[str, Any] = {
            "title": {"text": title or default_title},
            "xaxis": {"title": {"text": f"{self.interval} ({self.tz})" if self.interval else ", ".join(self.group_by)}},
            "yaxis": {"title": {"text": ", ".join(chosen)}},
            "legend": {"orientation": "h"},
        }
        if self.interval is not None:
            layout["xaxis"]["type"] = "date"
        if kind == "bar" or self.interval is None:
            layout["barmode"] = "group"
        return {"data": data, "layout": layout}
