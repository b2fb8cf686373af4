"""SQL for analytics queries: Prisma filters compiled to a WHERE clause, and the bucketed aggregate query.

Identifiers come only from the schema (``Model.table_name``, ``Field.column_name``),
quoted by the provider's dialect; every value is a parameter. Filters accept a
subset of Prisma's, on scalar fields: a value (equality), ``equals``, ``in``,
``notIn``, ``lt``, ``lte``, ``gt``, ``gte``, ``not``, ``contains``,
``startsWith``, ``endsWith``, and ``AND``/``OR``/``NOT``. Anything else is an
error that names the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from prisma_infra.analytics.buckets import parse_instant
from prisma_infra.analytics.dialects import Dialect
from prisma_infra.analytics.metrics import AggregateMetric
from prisma_infra.analytics.types import AnalyticsQueryError, Interval
from prisma_infra.errors import UnknownFieldError
from prisma_infra.schema.model import Field, Model, Schema
from prisma_infra.schema.patterns import escape_like

__all__ = [
    "FILTER_OPERATORS",
    "Aggregate",
    "CompiledSql",
    "SqlWriter",
    "compile_aggregate_query",
    "compile_where",
    "db_value",
    "group_value",
]

FILTER_OPERATORS = ("equals", "in", "notIn", "lt", "lte", "gt", "gte", "not", "contains", "startsWith", "endsWith")
_COMPARISONS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_LIKE = {"contains": ("%", "%"), "startsWith": ("", "%"), "endsWith": ("%", "")}
_UNFILTERABLE = frozenset({"Json", "Bytes"})


@dataclass(frozen=True, slots=True)
class CompiledSql:
    """One statement and its parameters, as sent with ``queryRaw``."""

    sql: str
    params: list[Any] = field(default_factory=list)

    def as_args(self) -> dict[str, Any]:
        return {"sql": self.sql, "params": list(self.params)}


class SqlWriter:
    """Collects parameters and hands out the dialect's placeholders."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.params: list[Any] = []

    def param(self, value: Any) -> str:
        self.params.append(value)
        return self.dialect.placeholder(len(self.params))

    def column(self, model: Model, f: Field) -> str:
        return self.dialect.quote(f.column_name)


# -- values ------------------------------------------------------------------------------


def db_value(schema: Schema, model: Model, f: Field, value: Any, path: str) -> Any:
    """A filter value as the database stores it (enum ``@map`` names, ISO dates parsed, ...)."""
    kind = f.type
    try:
        if f.kind == "enum":
            enum = schema.enum(kind)
            names = {v.name: (v.db_name or v.name) for v in enum.values}
            if value not in names:
                raise AnalyticsQueryError(
                    f"{model.name}.{f.name}: {value!r} is not a value of enum {enum.name} "
                    f"({', '.join(names)}) (in {path})",
                    model=model.name,
                    field=f.name,
                )
            return names[value]
        if kind == "DateTime":
            if not isinstance(value, datetime | date | str):
                raise TypeError
            return parse_instant(value)
        if kind in ("Int", "BigInt"):
            if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
                raise TypeError
            return int(value)
        if kind == "Float":
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if kind == "Decimal":
            if isinstance(value, bool):
                raise TypeError
            return str(Decimal(str(value)))
        if kind == "Boolean":
            if not isinstance(value, bool):
                raise TypeError
            return value
        if kind == "String":
            if not isinstance(value, str):
                raise TypeError
            return value
    except (TypeError, ValueError, ArithmeticError):
        raise AnalyticsQueryError(
            f"{model.name}.{f.name} is {kind}: a {type(value).__name__} value does not fit (in {path})",
            model=model.name,
            field=f.name,
        ) from None
    return value


def group_value(schema: Schema, f: Field, value: Any) -> Any:
    """A grouped value as Prisma would return it (enum names for ``@map``-ped values, booleans...)."""
    if value is None:
        return None
    if f.kind == "enum":
        enum = schema.get_enum(f.type)
        if enum is not None:
            for v in enum.values:
                if (v.db_name or v.name) == value:
                    return v.name
        return value
    if f.type == "Boolean":
        return bool(int(value)) if not isinstance(value, bool) else value
    if f.type in ("Int", "BigInt") and not isinstance(value, int):
        return int(value)
    if f.type == "Float" and not isinstance(value, float):
        return float(value)
    if f.type == "Decimal" and not isinstance(value, Decimal):
        return Decimal(str(value))
    if f.type == "DateTime" and isinstance(value, str):
        return parse_instant(value)
    return value


def scalar_field(model: Model, name: str, what: str) -> Field:
    """The scalar field ``name`` of ``model``, usable in analytics; a clear error otherwise."""
    f = model.get_field(name)
    if f is None:
        raise UnknownFieldError(model.name, name, [x.name for x in model.scalar_fields], where=what)
    if f.is_relation:
        raise AnalyticsQueryError(
            f"{model.name}.{name} is a relation: analytics {what} takes scalar fields only "
            f"({', '.join(x.name for x in model.scalar_fields)})",
            model=model.name,
            field=name,
        )
    if f.is_list or f.type in _UNFILTERABLE:
        raise AnalyticsQueryError(
            f"{model.name}.{name} ({f.type}{'[]' if f.is_list else ''}) cannot be used in analytics {what}",
            model=model.name,
            field=name,
        )
    return f


# -- where -------------------------------------------------------------------------------


def compile_where(schema: Schema, model: Model, where: Mapping[str, Any] | None, writer: SqlWriter) -> str | None:
    """``where`` (the supported Prisma subset) as SQL over ``model``'s table, or ``None`` when empty."""
    if not where:
        return None
    return _where(schema, model, where, writer, "where")


def _where(schema: Schema, model: Model, where: Any, writer: SqlWriter, path: str) -> str | None:
    if not isinstance(where, Mapping):
        raise AnalyticsQueryError(
            f"A filter is a mapping of field names to conditions, not a {type(where).__name__} (at {path})"
        )
    parts: list[str] = []
    for key, value in where.items():
        here = f"{path}.{key}"
        if key in ("AND", "OR", "NOT"):
            items = list(value) if isinstance(value, list | tuple) else [value]
            compiled = [
                c for c in (_where(schema, model, item, writer, f"{here}[{i}]") for i, item in enumerate(items)) if c
            ]
            if key == "AND":
                parts.extend(compiled)
            elif key == "OR":
                parts.append("(" + " OR ".join(compiled) + ")" if compiled else "1=0")
            else:
                parts.extend(f"NOT ({c})" for c in compiled)
            continue
        f = scalar_field(model, key, "filters")
        parts.append(_field_filter(schema, model, f, value, writer, here))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def _field_filter(schema: Schema, model: Model, f: Field, value: Any, writer: SqlWriter, path: str) -> str:
    column = writer.column(model, f)
    if not isinstance(value, Mapping):
        return _equals(schema, model, f, column, value, writer, path)
    parts: list[str] = []
    for op, arg in value.items():
        here = f"{path}.{op}"
        if op == "equals":
            parts.append(_equals(schema, model, f, column, arg, writer, here))
        elif op in ("in", "notIn"):
            if not isinstance(arg, list | tuple | set | frozenset):
                raise AnalyticsQueryError(
                    f"{model.name}.{f.name}: {op!r} takes a list (at {here})", model=model.name, field=f.name
                )
            values = [db_value(schema, model, f, v, here) for v in arg]
            if not values:
                parts.append("1=0" if op == "in" else "1=1")
                continue
            marks = ", ".join(writer.param(v) for v in values)
            parts.append(f"{column} {'IN' if op == 'in' else 'NOT IN'} ({marks})")
        elif op in _COMPARISONS:
            if arg is None:
                raise AnalyticsQueryError(
                    f"{model.name}.{f.name}: {op!r} needs a value (at {here})", model=model.name, field=f.name
                )
            parts.append(f"{column} {_COMPARISONS[op]} {writer.param(db_value(schema, model, f, arg, here))}")
        elif op == "not":
            if isinstance(arg, Mapping):
                parts.append(f"NOT ({_field_filter(schema, model, f, arg, writer, here)})")
            elif arg is None:
                parts.append(f"{column} IS NOT NULL")
            else:
                parts.append(f"{column} <> {writer.param(db_value(schema, model, f, arg, here))}")
        elif op in _LIKE:
            if f.type != "String" or f.kind == "enum":
                raise AnalyticsQueryError(
                    f"{model.name}.{f.name} is {f.type}: {op!r} applies to String fields (at {here})",
                    model=model.name,
                    field=f.name,
                )
            if not isinstance(arg, str):
                raise AnalyticsQueryError(
                    f"{model.name}.{f.name}: {op!r} takes a string (at {here})", model=model.name, field=f.name
                )
            before, after = _LIKE[op]
            pattern = before + escape_like(arg) + after
            parts.append(f"{column} LIKE {writer.param(pattern)}{writer.dialect.like_escape()}")
        else:
            supported = ", ".join(FILTER_OPERATORS)
            raise AnalyticsQueryError(
                f"Analytics filters on {model.name}.{f.name} do not support {op!r} (at {here}); "
                f"supported: {supported}, and AND/OR/NOT",
                model=model.name,
                field=f.name,
            )
    if not parts:
        raise AnalyticsQueryError(f"Empty filter on {model.name}.{f.name} (at {path})", model=model.name, field=f.name)
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def _equals(schema: Schema, model: Model, f: Field, column: str, value: Any, writer: SqlWriter, path: str) -> str:
    if value is None:
        return f"{column} IS NULL"
    return f"{column} = {writer.param(db_value(schema, model, f, value, path))}"


# -- the aggregate query -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One SQL aggregate of a query: its metric, field and result alias."""

    key: str
    metric: AggregateMetric
    field: Field | None


def compile_aggregate_query(
    schema: Schema,
    model: Model,
    dialect: Dialect,
    aggregates: Sequence[Aggregate],
    *,
    group_by: Sequence[Field] = (),
    date_field: Field | None = None,
    interval: Interval | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    where: Mapping[str, Any] | None = None,
    tz: str | None = None,
    limit: int | None = None,
) -> CompiledSql:
    """``SELECT bucket, groups..., aggregates... FROM table WHERE ... GROUP BY ... ORDER BY ...``.

    Result columns: ``b`` (bucket start), ``g0``.. (group values), ``m0``.. (aggregates, in order).
    ``start``/``end`` bound ``date_field`` (``>= start``, ``< end``), as UTC instants.
    """
    writer = SqlWriter(dialect)
    q = dialect.quote
    select: list[str] = []
    if interval is not None:
        if date_field is None:
            raise AnalyticsQueryError(f"Model {model.name} has no DateTime field to bucket by: set date_field")
        native = date_field.native_type[0] if date_field.native_type else None
        tz_param = writer.param(tz) if tz is not None and tz.upper() != "UTC" else None
        select.append(
            f"{dialect.bucket(q(date_field.column_name), interval, native_type=native, tz_param=tz_param)} AS {q('b')}"
        )
    for i, g in enumerate(group_by):
        select.append(f"{q(g.column_name)} AS {q(f'g{i}')}")
    for i, agg in enumerate(aggregates):
        column = q(agg.field.column_name) if agg.field is not None else None
        select.append(f"{agg.metric.sql(column, dialect)} AS {q(f'm{i}')}")
    conditions: list[str] = []
    if date_field is not None and start is not None:
        conditions.append(f"{q(date_field.column_name)} >= {writer.param(start)}")
    if date_field is not None and end is not None:
        conditions.append(f"{q(date_field.column_name)} < {writer.param(end)}")
    if date_field is not None and interval is not None and date_field.is_required is False:
        conditions.append(f"{q(date_field.column_name)} IS NOT NULL")
    filtered = compile_where(schema, model, where, writer)
    if filtered:
        conditions.append(filtered)
    sql = f"SELECT {', '.join(select)} FROM {dialect.table(model.table_name, model.db_schema)}"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    keys = (1 if interval is not None else 0) + len(group_by)
    if keys:
        ordinals = ", ".join(str(i) for i in range(1, keys + 1))
        sql += f" GROUP BY {ordinals} ORDER BY {ordinals}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return CompiledSql(sql, writer.params)
