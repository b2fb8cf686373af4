"""An engine double that answers ``queryRaw`` with the stdlib ``sqlite3`` (provider ``sqlite``).

The blog fixture's ``Post`` table lives in an in-memory SQLite database with
dates stored as Prisma's SQLite driver adapters store them (ISO 8601 text,
milliseconds, ``+00:00``), so the analytics SQL written for SQLite runs for
real in unit tests, without Node.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from prisma_infra.clock import Clock
from prisma_infra.config.model import DatabaseConfig, InfraConfig
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation
from prisma_infra.plugin_manager import PluginManager

from core.tests.doubles import MemoryEngine, datamodel

START = datetime(2024, 1, 1, tzinfo=UTC)

_POST = """CREATE TABLE "Post" (
    "id" TEXT PRIMARY KEY, "title" TEXT NOT NULL, "body" TEXT NOT NULL, "status" TEXT NOT NULL,
    "price" DECIMAL, "rating" REAL NOT NULL DEFAULT 0, "views" INTEGER NOT NULL DEFAULT 0,
    "published" BOOLEAN NOT NULL DEFAULT 0, "metadata" TEXT NOT NULL DEFAULT '{}', "publishedAt" DATETIME,
    "authorId" INTEGER NOT NULL, "createdAt" DATETIME NOT NULL, "updatedAt" DATETIME NOT NULL)"""


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


class SqliteRawEngine(MemoryEngine):
    """`MemoryEngine` on the blog schema, provider sqlite, whose raw SQL runs in sqlite3."""

    name = "sqlite-double"

    def __init__(self, config: DatabaseConfig | None = None) -> None:
        super().__init__(config)
        self._provider = "sqlite"
        self.db = sqlite3.connect(":memory:")
        self.db.row_factory = sqlite3.Row
        self.db.execute(_POST)
        self.raw_calls: list[tuple[str, list[Any]]] = []
        self.fail_next: Exception | None = None
        self.responses[Action.QUERY_RAW] = self._raw

    def _raw(self, operation: Operation) -> Any:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        sql, params = operation.args["sql"], [_param(p) for p in operation.args.get("params", [])]
        self.raw_calls.append((sql, params))
        return [dict(row) for row in self.db.execute(sql, params).fetchall()]

    def add_posts(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for i, row in enumerate(rows):
            created = row["createdAt"]
            self.db.execute(
                'INSERT INTO "Post" ("id", "title", "body", "status", "price", "rating", "views", "published", '
                '"authorId", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                [
                    row.get("id", f"p{self.db.execute('SELECT count(*) FROM Post').fetchone()[0] + i}"),
                    row.get("title", "t"),
                    "body",
                    row.get("status", "PUBLISHED"),
                    _param(row.get("price")),
                    row.get("rating", 0.0),
                    row.get("views", 0),
                    int(row.get("published", False)),
                    row.get("authorId", 1),
                    iso(created),
                    iso(created),
                ],
            )


class SqliteDoublePlugin:
    name = "sqlite-double-plugin"

    def __init__(self) -> None:
        self.engines: list[SqliteRawEngine] = []

    @hookimpl
    def register_engines(self, register: Callable[[str, Any], None]) -> None:
        def factory(config: DatabaseConfig) -> SqliteRawEngine:
            engine = SqliteRawEngine(config)
            self.engines.append(engine)
            return engine

        register("sqlite-double", factory)


def sqlite_infrastructure(*plugins: object, clock: Clock | None = None, **sections: Any) -> Infrastructure:
    """A not-started `Infrastructure` on `SqliteRawEngine` with the built-in plugins (and ``clock``)."""
    sections.setdefault("cache", {"enabled": False})
    config = InfraConfig.model_validate({"database": {"engine": "sqlite-double"}, **sections})
    manager = PluginManager(autoload=False, environ={})
    manager.load_all()
    manager.register(SqliteDoublePlugin())
    for plugin in plugins:
        manager.register(plugin)
    return Infrastructure(config, plugin_manager=manager, clock=clock)


def engine_of(infra: Infrastructure) -> SqliteRawEngine:
    engine = infra.engine
    assert isinstance(engine, SqliteRawEngine)
    return engine


def daily_posts(counts: Iterable[int], start: datetime = START, **fields: Any) -> list[dict[str, Any]]:
    """``counts[i]`` posts on day ``i`` (spread over the day), views = the day's index."""
    rows = []
    for i, count in enumerate(counts):
        for k in range(count):
            rows.append({"createdAt": start + timedelta(days=i, minutes=7 * k), "views": i, **fields})
    return rows


__all__ = [
    "START",
    "SqliteDoublePlugin",
    "SqliteRawEngine",
    "daily_posts",
    "datamodel",
    "engine_of",
    "iso",
    "sqlite_infrastructure",
]
