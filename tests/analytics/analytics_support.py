"""Fresh databases for the analytics suite, seeded with rows whose dates are known.

PostgreSQL and MariaDB get a dedicated database (``prisma_infra_analytics``)
dropped and recreated; SQLite a new file. Tables come from ``db_push``
(PostgreSQL, SQLite) and ``migrate_deploy`` (MariaDB). An unreachable server
fails the tests, never skips them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from prisma_infra.infrastructure import Infrastructure
from prisma_infra_prisma.migrate import migrate_deploy
from prisma_infra_prisma.schema_sync import db_push

from tests.real_databases import recreate, resolved

SCHEMAS = Path(__file__).parent / "schema"
PROVIDERS = ["postgresql", "mysql", "sqlite"]

START = datetime(2024, 1, 1, tzinfo=UTC)
ROWS = 3000
STEP = timedelta(minutes=37)
ROLES = ("admin", "editor", "reader")


@dataclass
class Seeded:
    """A started infrastructure on a seeded database, and the rows it holds."""

    provider: str
    url: str
    infra: Infrastructure
    rows: list[dict[str, Any]]


def schema_path(provider: str) -> Path:
    return SCHEMAS / provider / "schema.prisma"


async def fresh_database(provider: str, tmp: Path) -> str:
    url = recreate(provider, "prisma_infra_analytics", tmp)
    schema = schema_path(provider)
    database = resolved(schema, url)
    if provider == "mysql":
        await migrate_deploy(database, schema.parent / "migrations")
    else:
        await db_push(database)
    return url


def settings(provider: str, url: str, **sections: Any) -> dict[str, Any]:
    return {
        "database": {"engine": "prisma", "schema_path": str(schema_path(provider)), "url": url, "pool_size": 4},
        "plugins": {"load": ["prisma"]},
        "cache": {"enabled": False},
        "monitoring": {"slow_operation_ms": 60_000},
        **sections,
    }


def seed_rows(count: int = ROWS) -> list[dict[str, Any]]:
    """Rows every 37 minutes from 2024-01-01T00:00Z (about 77 days), with cyclic field values."""
    rows = []
    for i in range(count):
        rows.append(
            {
                "role": ROLES[i % 3],
                "status": "INACTIVE" if i % 4 == 0 else "ACTIVE",
                "plan": None if i % 5 == 0 else ("50%off" if i % 5 == 1 else "pro"),
                "views": i % 10,
                "amount": Decimal(i % 5) + Decimal("0.25"),
                "score": (i % 7) / 2,
                "userRef": f"u{i % 50}",
                "createdAt": START + i * STEP,
            }
        )
    return rows


def expected(
    rows: Iterable[dict[str, Any]],
    bucket: Callable[[datetime], datetime],
    key: Callable[[dict[str, Any]], tuple[Any, ...]] = lambda r: (),
    where: Callable[[dict[str, Any]], bool] = lambda r: True,
) -> dict[tuple[Any, ...], dict[datetime, list[dict[str, Any]]]]:
    """The reference: rows grouped by ``key`` then by ``bucket`` of their date, in Python."""
    out: dict[tuple[Any, ...], dict[datetime, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if where(row):
            out[key(row)][bucket(row["createdAt"])].append(row)
    return out


def day(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def week(value: datetime) -> datetime:
    return day(value) - timedelta(days=value.weekday())


def month(value: datetime) -> datetime:
    return day(value).replace(day=1)
