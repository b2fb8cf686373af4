"""Metric specs: a metric as a query asks for it, resolved against the registered metrics.

`MetricRegistry` holds the metrics by name (the built-ins of
`prisma_infra.analytics.metrics` plus what plugins register) and turns what a
query asks for into a `MetricSpec`. A metric is asked for with a string or a dict:

===============================  ==============================================
``"count"``                      rows
``"count:email"``                rows where ``email`` is not null
``"sum:views"`` / ``{"sum": "views"}``  also ``avg``, ``min``, ``max``
``"distinct:authorId"``          distinct values (``{"distinct": "authorId"}``)
``"growth_rate"``                period over previous period of ``count``
``"growth_rate:sum:views"``      ... of another metric (``{"growth_rate": "sum:views"}``)
``"moving_avg:7"``               mean of the last 7 buckets of ``count``
``"cumulative"``                 running total of ``count`` over the range
===============================  ==============================================

A dict may add ``"as"`` (the result's key) and ``"window"``. A string is its own
result key; a dict's key is its canonical string unless ``"as"`` is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prisma_infra.analytics.metrics import BUILTIN_METRICS, AggregateMetric, Metric, SeriesMetric
from prisma_infra.analytics.types import AnalyticsQueryError
from prisma_infra.errors import closest_match

__all__ = ["MetricRegistry", "MetricSpec"]

#: Other names a query may use for a built-in metric.
_ALIASES = {
    "count_distinct": "distinct",
    "distinct_count": "distinct",
    "average": "avg",
    "mean": "avg",
    "growth": "growth_rate",
    "moving_average": "moving_avg",
    "cumulative_count": "cumulative",
    "running_total": "cumulative",
}


@dataclass(frozen=True)
class MetricSpec:
    """One metric of a query: which metric, on which field or base, and its result key."""

    metric: Metric = field(compare=False)
    kind: str
    key: str
    field: str | None = None
    base: MetricSpec | None = None
    window: int | None = None

    @property
    def is_series(self) -> bool:
        return self.base is not None

    @property
    def canonical(self) -> str:
        if self.base is None:
            return f"{self.kind}:{self.field}" if self.field else self.kind
        text = self.kind if self.base.canonical == "count" else f"{self.kind}:{self.base.canonical}"
        return f"{text}:{self.window}" if self.window is not None else text


class MetricRegistry:
    """Metrics by name: the built-ins plus what plugins registered."""

    def __init__(self, metrics: Sequence[Metric] = BUILTIN_METRICS) -> None:
        self._metrics: dict[str, Metric] = {}
        for metric in metrics:
            self.add(metric)

    def add(self, metric: Metric) -> None:
        self._metrics[metric.name] = metric

    def names(self) -> list[str]:
        return sorted(self._metrics)

    def get(self, name: str) -> Metric:
        name = _ALIASES.get(name, name)
        found = self._metrics.get(name)
        if found is None:
            match = closest_match(name, self._metrics)
            hint = f" Did you mean {match!r}?" if match else ""
            raise AnalyticsQueryError(f"Unknown metric {name!r} (known: {', '.join(self.names())}).{hint}")
        return found

    def parse(self, spec: str | Mapping[str, Any]) -> MetricSpec:
        """A metric as asked for (see the module doc) → `MetricSpec`."""
        if isinstance(spec, str):
            parsed = self._parse_text(spec.strip())
            return _with_key(parsed, spec.strip())
        if isinstance(spec, Mapping):
            options = dict(spec)
            alias = options.pop("as", None)
            window = options.pop("window", None)
            if len(options) != 1:
                raise AnalyticsQueryError(
                    f"A metric given as a dict has one entry (plus 'as', 'window'): {dict(spec)!r}"
                )
            ((kind, target),) = options.items()
            metric = self.get(str(kind))
            if isinstance(metric, SeriesMetric):
                base = self.parse(target) if target not in (None, True) else self._parse_text(metric.default_base)
                parsed = self._series(metric, base, window)
            else:
                parsed = self._aggregate(metric, None if target in (None, True) else str(target))
            return _with_key(parsed, str(alias) if alias else parsed.canonical)
        raise AnalyticsQueryError(f"A metric is a string or a dict, not {spec!r}")

    def _parse_text(self, text: str) -> MetricSpec:
        if not text:
            raise AnalyticsQueryError("Empty metric name")
        kind, _, rest = text.partition(":")
        metric = self.get(kind.strip())
        if isinstance(metric, SeriesMetric):
            parts = [p.strip() for p in rest.split(":")] if rest else []
            window = None
            if parts and parts[-1].isdigit():
                window = int(parts.pop())
            base = self._parse_text(":".join(parts) if parts else metric.default_base)
            return self._series(metric, base, window)
        assert isinstance(metric, AggregateMetric)
        return self._aggregate(metric, rest.strip() or None)

    def _aggregate(self, metric: Metric, field_name: str | None) -> MetricSpec:
        if not isinstance(metric, AggregateMetric):
            raise AnalyticsQueryError(f"Metric {metric.name!r} is not an aggregate")
        if field_name is None and metric.needs_field:
            raise AnalyticsQueryError(f"Metric {metric.name!r} needs a field: '{metric.name}:<field>'")
        if field_name is not None and not (metric.needs_field or metric.optional_field):
            raise AnalyticsQueryError(f"Metric {metric.name!r} takes no field (got {field_name!r})")
        return MetricSpec(metric=metric, kind=metric.name, key="", field=field_name)

    def _series(self, metric: SeriesMetric, base: MetricSpec, window: Any) -> MetricSpec:
        if base.is_series:
            raise AnalyticsQueryError(
                f"Metric {metric.name!r} takes an aggregate as its base (count, sum:field...), not {base.canonical!r}"
            )
        if window is not None and not metric.takes_window:
            raise AnalyticsQueryError(f"Metric {metric.name!r} takes no window")
        if metric.takes_window:
            window = metric.default_window if window is None else int(window)
            if window < 1:
                raise AnalyticsQueryError(f"Metric {metric.name!r}: the window must be at least 1 bucket")
        return MetricSpec(metric=metric, kind=metric.name, key="", base=base, window=window)


def _with_key(spec: MetricSpec, key: str) -> MetricSpec:
    return MetricSpec(metric=spec.metric, kind=spec.kind, key=key, field=spec.field, base=spec.base, window=spec.window)
