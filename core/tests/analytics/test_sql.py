"""SQL generation per provider: quoting from the schema (@map/@@map), placeholders, parameters, filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from prisma_infra.analytics.dialects import dialect_for
from prisma_infra.analytics.specs import MetricRegistry
from prisma_infra.analytics.sql import Aggregate, SqlWriter, compile_aggregate_query, compile_where
from prisma_infra.analytics.types import AnalyticsQueryError
from prisma_infra.errors import UnknownFieldError
from prisma_infra.schema import Schema

from core.tests.doubles import datamodel

MAPPED = Schema.from_datamodel(datamodel("mapped"))
BLOG = Schema.from_datamodel(datamodel("blog"))
REG = MetricRegistry()
T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2024, 2, 1, tzinfo=UTC)


def aggregates(schema: Schema, model: str, *specs: str) -> list[Aggregate]:
    m = schema.model(model)
    out = []
    for text in specs:
        spec = REG.parse(text)
        assert spec.metric is not None
        out.append(Aggregate(spec.canonical, spec.metric, m.field(spec.field) if spec.field else None))  # type: ignore[arg-type]
    return out


def employees(provider: str, **kwargs: Any) -> tuple[str, list[Any]]:
    m = MAPPED.model("Employee")
    compiled = compile_aggregate_query(
        MAPPED,
        m,
        dialect_for(provider),
        aggregates(MAPPED, "Employee", "count", "sum:id", "distinct:lastName"),
        group_by=[m.field("level"), m.field("firstName")],
        date_field=m.field("hiredAt"),
        **kwargs,
    )
    return compiled.sql, compiled.params


def test_postgresql_uses_mapped_names_date_trunc_and_numbered_placeholders() -> None:
    sql, params = employees("postgresql", interval="week", start=T0, end=T1, where={"firstName": "O'Brien"})
    assert sql == (
        'SELECT date_trunc(\'week\', CAST("hired_at" AS timestamp)) AS "b", "level" AS "g0", "first_name" AS "g1", '
        'COUNT(*) AS "m0", SUM("employee_id") AS "m1", COUNT(DISTINCT "last_name") AS "m2" FROM "employees" '
        'WHERE "hired_at" >= $1 AND "hired_at" < $2 AND "first_name" = $3 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3'
    )
    assert params == [T0, T1, "O'Brien"]  # the quote travels as a value, never in the SQL


def test_mysql_quotes_with_backticks_and_formats_dates() -> None:
    sql, params = employees("mysql", interval="month", start=T0, limit=10)
    assert sql.startswith("SELECT DATE_FORMAT(`hired_at`, '%Y-%m-01 00:00:00') AS `b`, `level` AS `g0`")
    assert "FROM `employees` WHERE `hired_at` >= ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT 10" in sql
    assert params == [T0]
    week = dialect_for("mysql").bucket("`d`", "week")
    assert week == "DATE_FORMAT(DATE_SUB(`d`, INTERVAL WEEKDAY(`d`) DAY), '%Y-%m-%d 00:00:00')"


def test_sqlite_strftime_buckets() -> None:
    d = dialect_for("sqlite")
    assert d.bucket('"c"', "day") == "strftime('%Y-%m-%d 00:00:00', \"c\")"
    assert d.bucket('"c"', "week") == "strftime('%Y-%m-%d 00:00:00', \"c\", '-6 days', 'weekday 1')"
    assert "printf('%s-%02d-01 00:00:00'" in d.bucket('"c"', "quarter")
    sql, _ = employees("sqlite", interval="hour")
    assert sql.startswith('SELECT strftime(\'%Y-%m-%d %H:00:00\', "hired_at") AS "b"')


def test_time_zone_is_a_parameter_on_postgresql_and_refused_elsewhere() -> None:
    m = BLOG.model("Post")
    compiled = compile_aggregate_query(
        BLOG,
        m,
        dialect_for("postgresql"),
        aggregates(BLOG, "Post", "count"),
        date_field=m.field("createdAt"),
        interval="day",
        start=T0,
        tz="Europe/Paris",
    )
    assert compiled.sql.startswith(
        "SELECT date_trunc('day', ((\"createdAt\" AT TIME ZONE 'UTC') AT TIME ZONE $1)) AS \"b\""
    )
    assert compiled.params == ["Europe/Paris", T0]
    with pytest.raises(AnalyticsQueryError, match="PostgreSQL only"):
        compile_aggregate_query(
            BLOG,
            m,
            dialect_for("sqlite"),
            aggregates(BLOG, "Post", "count"),
            date_field=m.field("createdAt"),
            interval="day",
            tz="Europe/Paris",
        )


def test_quoting_doubles_quote_characters() -> None:
    assert dialect_for("postgresql").quote('we"ird') == '"we""ird"'
    assert dialect_for("mysql").quote("we`ird") == "`we``ird`"


def where_sql(where: dict[str, Any], provider: str = "postgresql", model: str = "Post") -> tuple[str | None, list[Any]]:
    writer = SqlWriter(dialect_for(provider))
    return compile_where(BLOG, BLOG.model(model), where, writer), writer.params


def test_where_operators() -> None:
    sql, params = where_sql(
        {
            "status": {"in": ["DRAFT", "PUBLISHED"]},
            "views": {"gte": 10, "lt": 20},
            "title": {"contains": "50%_off\\", "not": "x"},
            "publishedAt": None,
            "OR": [{"rating": {"gt": 2.5}}, {"price": {"lte": "9.99"}}],
            "NOT": {"published": True},
            "createdAt": {"gte": "2024-01-01"},
        }
    )
    assert sql == (
        '("status" IN ($1, $2) AND ("views" >= $3 AND "views" < $4) AND ("title" LIKE $5 ESCAPE \'\\\' AND '
        '"title" <> $6) AND "publishedAt" IS NULL AND ("rating" > $7 OR "price" <= $8) AND NOT ("published" = $9) '
        'AND "createdAt" >= $10)'
    )
    assert params == ["DRAFT", "PUBLISHED", 10, 20, "%50\\%\\_off\\\\%", "x", 2.5, "9.99", True, T0]


def test_where_edge_cases() -> None:
    assert where_sql({"status": {"in": []}}) == ("1=0", [])
    assert where_sql({"status": {"notIn": []}}) == ("1=1", [])
    assert where_sql({"publishedAt": {"not": None}}) == ('"publishedAt" IS NOT NULL', [])
    assert where_sql({"views": {"not": {"gt": 3}}}) == ('NOT ("views" > $1)', [3])
    assert where_sql({"title": {"startsWith": "a"}}, "mysql") == ("`title` LIKE ? ESCAPE '\\\\'", ["a%"])
    assert where_sql({}) == (None, [])


def test_enum_filters_use_mapped_values() -> None:
    writer = SqlWriter(dialect_for("postgresql"))
    sql = compile_where(MAPPED, MAPPED.model("Employee"), {"level": "SENIOR"}, writer)
    assert sql == '"level" = $1' and writer.params == ["senior"]
    with pytest.raises(AnalyticsQueryError, match="not a value of enum Level"):
        compile_where(MAPPED, MAPPED.model("Employee"), {"level": "BOSS"}, writer)


@pytest.mark.parametrize(
    ("where", "match"),
    [
        ({"title": {"search": "x"}}, r"Post\.title do not support 'search'"),
        ({"title": {"mode": "insensitive", "contains": "x"}}, r"Post\.title do not support 'mode'"),
        ({"author": {"is": {"name": "x"}}}, r"Post\.author is a relation"),
        ({"metadata": {"equals": {}}}, r"Post\.metadata \(Json\) cannot be used"),
        ({"views": {"contains": "1"}}, r"Post\.views is Int: 'contains' applies to String"),
        ({"views": "ten"}, r"Post\.views is Int: a str value does not fit"),
        ({"createdAt": {"gt": "yesterday"}}, r"Not an ISO 8601 date"),
        ({"status": {"in": "DRAFT"}}, r"'in' takes a list"),
    ],
)
def test_unsupported_filters_name_the_field(where: dict[str, Any], match: str) -> None:
    with pytest.raises(AnalyticsQueryError, match=match):
        where_sql(where)


def test_unknown_field_suggests_the_closest() -> None:
    with pytest.raises(UnknownFieldError, match="Did you mean 'views'"):
        where_sql({"veiws": 1})
    with pytest.raises(UnknownFieldError):
        where_sql({'title" = 1; DROP TABLE "Post': 1})
