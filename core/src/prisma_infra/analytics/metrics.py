"""Metrics: what an analytics query computes, and how.

Two kinds, both registered by name (built-ins here; plugins through the
``register_analytics_metrics`` hook):

* `AggregateMetric` — one SQL aggregate per bucket and group, computed by the
  database (``COUNT(*)``, ``SUM(col)``...). ``sql(column, dialect)`` returns the
  expression for a provider; ``prisma`` names the Prisma aggregate (``_sum``...)
  used when the query has no interval, or ``None`` when only SQL can compute it.
* `SeriesMetric` — computed in Python over the (small) bucketed series of
  another metric, its *base* (``growth_rate`` of ``count``...). ``lookback``
  says how many buckets before the range it needs, so the first bucket of the
  range has a value.

How a query names a metric (``"sum:views"``, ``{"growth_rate": "count"}``) and how
those names are resolved is `prisma_infra.analytics.specs`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from prisma_infra.analytics.buckets import parse_instant
from prisma_infra.analytics.dialects import Dialect
from prisma_infra.analytics.types import AnalyticsQueryError, Number
from prisma_infra.errors import PluginError
from prisma_infra.schema.model import Field

__all__ = [
    "BUILTIN_METRICS",
    "AggregateMetric",
    "Metric",
    "SeriesMetric",
    "SqlMetric",
    "as_float",
    "metric_from_registration",
]

_NUMERIC = frozenset({"Int", "BigInt", "Float", "Decimal"})
_ORDERED = _NUMERIC | {"DateTime", "String"}


def as_float(value: Number) -> float | None:
    """``value`` as a float for series math (``None``, dates and strings: ``None``)."""
    if value is None or isinstance(value, datetime | str):
        return None
    return float(value)


class Metric:
    """Base of every metric; ``name`` is what a query asks for (``"sum"``, ``"growth_rate"``)."""

    name: str = ""
    description: str = ""


class AggregateMetric(Metric, ABC):
    """A metric the database computes per bucket and group."""

    #: Whether it applies to a field (``sum:views``); ``count`` takes one optionally.
    needs_field: bool = True
    optional_field: bool = False
    #: Field types it accepts (``None``: any scalar).
    field_types: frozenset[str] | None = None
    #: Value of a bucket without rows (gaps are filled with it).
    empty: Number = None
    #: Prisma aggregate key (``_count``, ``_sum``...) for queries without an interval; ``None``: SQL only.
    prisma: str | None = None

    @abstractmethod
    def sql(self, column: str | None, dialect: Dialect) -> str:
        """The SQL aggregate over ``column`` (quoted, from the schema), or over rows when ``None``."""

    #: Whether `combine` gives the total of several buckets (else totals take their own query).
    additive: bool = False

    def combine(self, values: Sequence[Number]) -> Number:
        """The total of several buckets' or groups' values (only when `additive_for` the field)."""
        raise NotImplementedError

    def additive_for(self, field: Field | None) -> bool:
        """Whether `combine` gives the total over ``field`` (by default: `additive`)."""
        return self.additive

    def convert(self, value: Any, field: Field | None) -> Number:
        """A database value as a Python number (drivers differ: MySQL sums are DECIMAL...)."""
        return _convert_typed(value, field)


def _convert_typed(value: Any, field: Field | None) -> Number:
    if value is None:
        return None
    kind = field.type if field is not None else None
    if kind == "String" or (field is not None and field.kind == "enum"):
        return str(value)  # min/max of text: the database's order (its collation, an enum's declaration)
    if kind in ("Int", "BigInt"):
        return int(value)
    if kind == "Float":
        return float(value)
    if kind == "Decimal":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == "DateTime":
        return parse_instant(value) if isinstance(value, datetime | str) else value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int | float | datetime):
        return value
    return float(value)


class CountMetric(AggregateMetric):
    name = "count"
    description = "Number of rows (with a field: rows where it is not null)."
    needs_field = False
    optional_field = True
    empty = 0
    prisma = "_count"
    additive = True

    def sql(self, column: str | None, dialect: Dialect) -> str:
        return f"COUNT({column})" if column else "COUNT(*)"

    def combine(self, values: Sequence[Number]) -> Number:
        return sum(int(v) for v in values if isinstance(v, int | float | Decimal))

    def convert(self, value: Any, field: Field | None) -> Number:
        return int(value or 0)


class SumMetric(AggregateMetric):
    name = "sum"
    description = "Sum of a numeric field."
    field_types = _NUMERIC
    empty = 0
    prisma = "_sum"
    additive = True

    def sql(self, column: str | None, dialect: Dialect) -> str:
        return f"SUM({column})"

    def combine(self, values: Sequence[Number]) -> Number:
        present = [v for v in values if isinstance(v, int | float | Decimal)]
        return sum(present, start=type(present[0])(0)) if present else 0

    def convert(self, value: Any, field: Field | None) -> Number:
        return _convert_typed(0 if value is None else value, field)


class AvgMetric(AggregateMetric):
    name = "avg"
    description = "Mean of a numeric field."
    field_types = _NUMERIC
    prisma = "_avg"

    def sql(self, column: str | None, dialect: Dialect) -> str:
        return f"AVG({column})"

    def convert(self, value: Any, field: Field | None) -> Number:
        return None if value is None else float(value)


class _Extreme(AggregateMetric):
    field_types = _ORDERED
    additive = True
    pick: Callable[..., Any] = min

    def sql(self, column: str | None, dialect: Dialect) -> str:
        return f"{self.name.upper()}({column})"

    def combine(self, values: Sequence[Number]) -> Number:
        present = [v for v in values if v is not None]
        return type(self).pick(present) if present else None

    def additive_for(self, field: Field | None) -> bool:
        # Python orders text by code point, the database by its collation (or an enum's declaration):
        # the total of a text field takes its own query instead of combining the buckets
        return field is None or (field.type != "String" and field.kind != "enum")


class MinMetric(_Extreme):
    name = "min"
    description = "Smallest value of a field."
    prisma = "_min"
    pick = min


class MaxMetric(_Extreme):
    name = "max"
    description = "Largest value of a field."
    prisma = "_max"
    pick = max


class DistinctMetric(AggregateMetric):
    name = "distinct"
    description = "Number of distinct non-null values of a field (SQL only)."
    empty = 0

    def sql(self, column: str | None, dialect: Dialect) -> str:
        assert column is not None
        return dialect.distinct_count(column)

    def convert(self, value: Any, field: Field | None) -> Number:
        return int(value or 0)


class SqlMetric(AggregateMetric):
    """An aggregate given as SQL templates per provider, with ``{column}`` for the field.

    ``SqlMetric("median", {"postgresql": "percentile_cont(0.5) WITHIN GROUP (ORDER BY {column})"})``.
    Templates come from plugin code, never from a query's input.
    """

    def __init__(
        self,
        name: str,
        sql: str | Mapping[str, str],
        *,
        needs_field: bool = True,
        field_types: Sequence[str] | None = None,
        empty: Number = None,
        description: str = "",
    ) -> None:
        self.name = name
        self.templates = {"*": sql} if isinstance(sql, str) else dict(sql)
        self.needs_field = needs_field
        self.field_types = frozenset(field_types) if field_types is not None else None
        self.empty = empty
        self.description = description

    def sql(self, column: str | None, dialect: Dialect) -> str:
        template = self.templates.get(dialect.provider, self.templates.get("*"))
        if template is None:
            raise AnalyticsQueryError(
                f"Metric {self.name!r} has no SQL for {dialect.provider} (it has: {', '.join(sorted(self.templates))})"
            )
        return template.replace("{column}", column or "*")

    def convert(self, value: Any, field: Field | None) -> Number:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return _convert_typed(value, None)


class SeriesMetric(Metric, ABC):
    """A metric computed in Python over the bucketed series of its base metric."""

    default_base: str = "count"
    takes_window: bool = False
    default_window: int = 7

    def lookback(self, window: int) -> int:
        """Buckets before the range this metric reads."""
        return 0

    @abstractmethod
    def compute(self, values: Sequence[float | None], window: int) -> list[Number]:
        """One value per bucket, from the base metric's values in bucket order (lookback included)."""


class GrowthRate(SeriesMetric):
    name = "growth_rate"
    description = "Period over previous period: (current - previous) / previous (0.25 = +25 %)."

    def lookback(self, window: int) -> int:
        return 1

    def compute(self, values: Sequence[float | None], window: int) -> list[Number]:
        out: list[Number] = [None]
        for previous, current in pairwise(values):
            out.append(None if previous in (None, 0) or current is None else (current - previous) / previous)
        return out[: len(values)]


class Change(SeriesMetric):
    name = "change"
    description = "Current minus previous bucket."

    def lookback(self, window: int) -> int:
        return 1

    def compute(self, values: Sequence[float | None], window: int) -> list[Number]:
        out: list[Number] = [None]
        for previous, current in pairwise(values):
            out.append(None if previous is None or current is None else current - previous)
        return out[: len(values)]


class MovingAverage(SeriesMetric):
    name = "moving_avg"
    description = "Mean of the last `window` buckets (the bucket itself included)."
    takes_window = True

    def lookback(self, window: int) -> int:
        return window - 1

    def compute(self, values: Sequence[float | None], window: int) -> list[Number]:
        out: list[Number] = []
        for i in range(len(values)):
            if i + 1 < window:
                out.append(None)
                continue
            present = [v for v in values[i + 1 - window : i + 1] if v is not None]
            out.append(math.fsum(present) / len(present) if present else None)
        return out


class Cumulative(SeriesMetric):
    name = "cumulative"
    description = "Running total over the range."

    def compute(self, values: Sequence[float | None], window: int) -> list[Number]:
        out: list[Number] = []
        total = 0.0
        for value in values:
            total += value or 0.0
            out.append(int(total) if total.is_integer() else total)
        return out


class _CallableSeries(SeriesMetric):
    def __init__(self, name: str, compute: Callable[..., Sequence[Number]], lookback: int, window: int | None) -> None:
        self.name = name
        self._compute = compute
        self._lookback = lookback
        self.takes_window = window is not None
        self.default_window = window or 1

    def lookback(self, window: int) -> int:
        return self._lookback

    def compute(self, values: Sequence[float | None], window: int) -> list[Number]:
        return list(self._compute(values, window) if self.takes_window else self._compute(values))


BUILTIN_METRICS: tuple[Metric, ...] = (
    CountMetric(),
    SumMetric(),
    AvgMetric(),
    MinMetric(),
    MaxMetric(),
    DistinctMetric(),
    GrowthRate(),
    Change(),
    MovingAverage(),
    Cumulative(),
)


def metric_from_registration(name: str, value: Any, plugin: str) -> Metric:
    """What a plugin registered, as a `Metric`: an instance, or a dict ``{"sql": ...}`` / ``{"series": fn}``."""
    if isinstance(value, Metric):
        if not value.name:
            value.name = name
        return value
    if isinstance(value, Mapping):
        if "sql" in value:
            return SqlMetric(
                name,
                value["sql"],
                needs_field=bool(value.get("field", True)),
                field_types=value.get("field_types"),
                empty=value.get("empty"),
                description=str(value.get("description", "")),
            )
        if callable(value.get("series")):
            return _CallableSeries(name, value["series"], int(value.get("lookback", 0)), value.get("window"))
    raise PluginError(
        f"Plugin {plugin!r} registered analytics metric {name!r} as {value!r}: expected a Metric "
        "(AggregateMetric/SeriesMetric), {'sql': template or {provider: template}} or {'series': callable}",
        plugin=plugin,
    )
