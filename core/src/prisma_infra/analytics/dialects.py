"""SQL dialects: identifier quoting, placeholders and time buckets per provider.

Only identifiers read from the schema (``@@map``/``@map`` names) are quoted
into SQL; every value travels as a parameter. The bucket expressions return
the bucket's start on the wall clock of the query (UTC unless a ``tz`` is
given on PostgreSQL):

* PostgreSQL: ``date_trunc(unit, column)`` (weeks start on Monday).
* MySQL/MariaDB: ``DATE_FORMAT`` of the column, or of ``column - WEEKDAY(column)``
  days for weeks; text ``YYYY-MM-DD HH:MM:SS``.
* SQLite: ``strftime`` of the ISO 8601 text Prisma's driver adapters store
  (``-6 days, weekday 1`` moves back to Monday); text ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from prisma_infra.analytics.types import AnalyticsQueryError, Interval

__all__ = ["DIALECTS", "Dialect", "MySqlDialect", "PostgresDialect", "SqliteDialect", "dialect_for"]


@dataclass(frozen=True)
class Dialect:
    """What differs between providers in the SQL the analytics engine writes."""

    provider: str
    quote_char: str = '"'

    def quote(self, identifier: str) -> str:
        """``identifier`` as a quoted SQL identifier (quote characters doubled)."""
        q = self.quote_char
        return f"{q}{identifier.replace(q, q + q)}{q}"

    def table(self, name: str, schema: str | None = None) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}" if schema else self.quote(name)

    def placeholder(self, index: int) -> str:
        """The placeholder of the ``index``-th parameter (1-based)."""
        return "?"

    def bucket(
        self, column: str, interval: Interval, *, native_type: str | None = None, tz_param: str | None = None
    ) -> str:
        """An expression giving the start of ``column``'s bucket."""
        raise NotImplementedError

    def like_escape(self) -> str:
        return " ESCAPE '\\'"

    def distinct_count(self, column: str) -> str:
        return f"COUNT(DISTINCT {column})"


@dataclass(frozen=True)
class PostgresDialect(Dialect):
    provider: str = "postgresql"

    def placeholder(self, index: int) -> str:
        return f"${index}"

    def bucket(
        self, column: str, interval: Interval, *, native_type: str | None = None, tz_param: str | None = None
    ) -> str:
        value = column
        if native_type == "Date":
            value = f"CAST({column} AS timestamp)"
        if native_type == "Timestamptz":
            zone = tz_param if tz_param is not None else "'UTC'"
            value = f"({column} AT TIME ZONE {zone})"
        elif tz_param is not None:
            # Prisma stores DateTime as UTC in `timestamp` columns: make it an instant, then local.
            value = f"(({value} AT TIME ZONE 'UTC') AT TIME ZONE {tz_param})"
        return f"date_trunc('{interval}', {value})"


@dataclass(frozen=True)
class MySqlDialect(Dialect):
    provider: str = "mysql"
    quote_char: str = "`"

    def like_escape(self) -> str:
        return " ESCAPE '\\\\'"

    def bucket(
        self, column: str, interval: Interval, *, native_type: str | None = None, tz_param: str | None = None
    ) -> str:
        _no_tz(self, tz_param)
        if interval == "hour":
            return f"DATE_FORMAT({column}, '%Y-%m-%d %H:00:00')"
        if interval == "day":
            return f"DATE_FORMAT({column}, '%Y-%m-%d 00:00:00')"
        if interval == "week":
            return f"DATE_FORMAT(DATE_SUB({column}, INTERVAL WEEKDAY({column}) DAY), '%Y-%m-%d 00:00:00')"
        if interval == "month":
            return f"DATE_FORMAT({column}, '%Y-%m-01 00:00:00')"
        if interval == "quarter":
            return f"CONCAT(YEAR({column}), '-', LPAD(QUARTER({column}) * 3 - 2, 2, '0'), '-01 00:00:00')"
        return f"DATE_FORMAT({column}, '%Y-01-01 00:00:00')"


@dataclass(frozen=True)
class SqliteDialect(Dialect):
    provider: str = "sqlite"

    def bucket(
        self, column: str, interval: Interval, *, native_type: str | None = None, tz_param: str | None = None
    ) -> str:
        _no_tz(self, tz_param)
        if interval == "hour":
            return f"strftime('%Y-%m-%d %H:00:00', {column})"
        if interval == "day":
            return f"strftime('%Y-%m-%d 00:00:00', {column})"
        if interval == "week":
            return f"strftime('%Y-%m-%d 00:00:00', {column}, '-6 days', 'weekday 1')"
        if interval == "month":
            return f"strftime('%Y-%m-01 00:00:00', {column})"
        if interval == "quarter":
            return (
                f"printf('%s-%02d-01 00:00:00', strftime('%Y', {column}), "
                f"(CAST(strftime('%m', {column}) AS INTEGER) - 1) / 3 * 3 + 1)"
            )
        return f"strftime('%Y-01-01 00:00:00', {column})"


def _no_tz(dialect: Dialect, tz_param: str | None) -> None:
    if tz_param is not None:
        raise AnalyticsQueryError(
            f"Time-zone buckets (tz=...) are supported on PostgreSQL only, not on {dialect.provider}: "
            "buckets are in UTC"
        )


DIALECTS: dict[str, Dialect] = {
    "postgresql": PostgresDialect(),
    "postgres": PostgresDialect(),
    "cockroachdb": PostgresDialect(),
    "mysql": MySqlDialect(),
    "mariadb": MySqlDialect(),
    "sqlite": SqliteDialect(),
}


def dialect_for(provider: str | None) -> Dialect:
    """The dialect of a Prisma datasource provider."""
    found = DIALECTS.get((provider or "").lower())
    if found is None:
        raise AnalyticsQueryError(
            f"Analytics time buckets are not supported on provider {provider!r} (postgresql, mysql, sqlite)"
        )
    return found
