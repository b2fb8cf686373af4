"""Analytics on 100,000 and 1,000,000 rows in PostgreSQL: a daily growth series grouped by two fields.

Rows are generated in the database (one ``INSERT ... SELECT generate_series`` each),
never in Python. The query — ``count`` and ``growth_rate`` per day over a year,
grouped by ``role`` and ``status`` — runs as one ``GROUP BY`` in PostgreSQL and
returns (days x groups) rows, so the Python process's time and memory should not
depend on the table's size: both sizes are measured in the same run.

Peak RSS: Linux's high-water mark (``VmHWM``) reset before each measurement
through ``/proc/self/clear_refs``; elsewhere ``getrusage`` (not resettable).
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from prisma_infra.config.model import DatabaseConfig
from prisma_infra.infrastructure import Infrastructure

from benchmarks.report import Report

PG_SERVER = os.environ.get("PRISMA_INFRA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
DB_NAME = "prisma_infra_bench_analytics"
SIZES = (100_000, 1_000_000)
YEAR = 365 * 86_400

SCHEMA = """
generator client {
  provider = "prisma-client"
  output   = "./generated"
}

datasource db {
  provider = "postgresql"
}

enum Status {
  ACTIVE   @map("active")
  INACTIVE @map("inactive")
}

model Account {
  id        Int      @id @default(autoincrement())
  role      String
  status    Status   @default(ACTIVE)
  views     Int      @default(0)
  userRef   String   @map("user_ref")
  createdAt DateTime @default(now()) @map("created_at")

  @@index([createdAt])
  @@map("accounts")
}
"""

# Spreads ``$1`` rows (numbered from ``$2``) evenly over 2024 in one statement.
INSERT = """
INSERT INTO "accounts" ("role", "status", "views", "user_ref", "created_at")
SELECT (ARRAY['admin', 'editor', 'reader'])[1 + i % 3],
       (CASE WHEN i % 4 = 0 THEN 'inactive' ELSE 'active' END)::"Status",
       i % 100,
       'u' || (i % 1000),
       timestamp '2024-01-01' + ((i::bigint * 7919) % $3::bigint) * interval '1 second'
FROM generate_series($2::int, $2::int + $1::int - 1) AS i
"""


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_kb() -> int:
    found = _status_kb("VmHWM")
    return found if found is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def _admin(sql: str) -> None:
    from prisma_infra_prisma.datasource import call_script

    call_script(
        "migrate.mjs", {"op": "execute", "provider": "postgresql", "url": f"{PG_SERVER}/postgres", "script": sql}
    )


async def run(report: Report) -> None:
    from prisma_infra_prisma.datasource import resolve_database
    from prisma_infra_prisma.schema_sync import db_push

    await _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    await _admin(f'CREATE DATABASE "{DB_NAME}"')
    url = f"{PG_SERVER}/{DB_NAME}"
    with tempfile.TemporaryDirectory() as tmp:
        schema = Path(tmp) / "schema.prisma"
        schema.write_text(SCHEMA)
        await db_push(resolve_database(DatabaseConfig(schema_path=str(schema), url=url), schema.parent))  # type: ignore[arg-type]
        settings = {
            "database": {"schema_path": str(schema), "url": url, "operation_timeout": 900},
            "plugins": {"load": ["prisma"]},
            "cache": {"enabled": False},
            "monitoring": {"slow_operation_ms": 600_000},
        }
        async with Infrastructure(settings) as infra:
            query = (
                infra.analytics("account")
                .metrics(["count", "growth_rate"])
                .group_by(["role", "status"])
                .interval("day")
                .date_range(datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
            )
            await query.generate()  # warm-up: bridge, client, plan
            loaded = 0
            measured: dict[int, dict[str, float]] = {}
            for size in SIZES:
                started = time.perf_counter()
                await infra.call(None, "executeRaw", {"sql": INSERT, "params": [size - loaded, loaded + 1, YEAR]})
                await infra.call(None, "executeRaw", {"sql": 'ANALYZE "accounts"', "params": []})
                insert_s = time.perf_counter() - started
                loaded = size
                times = []
                peaks = []
                result = None
                for _ in range(3):
                    resettable = reset_peak()
                    before = _status_kb("VmRSS") or 0
                    started = time.perf_counter()
                    result = await query.generate()
                    times.append(time.perf_counter() - started)
                    peaks.append((peak_kb() - before) / 1024 if resettable else float("nan"))
                assert result is not None
                rows = sum(len(points) for points in result.series.values())
                assert result.totals["count"] == size, result.totals
                measured[size] = {"median_ms": statistics.median(times) * 1000, "peak_mib": max(peaks)}
                report.add(
                    "analytics",
                    f"daily count + growth_rate by role, status over 2024 — {size:,} rows in PostgreSQL",
                    median_ms=measured[size]["median_ms"],
                    min_ms=min(times) * 1000,
                    peak_rss_growth_mib=measured[size]["peak_mib"],
                    process_rss_mib=(_status_kb("VmRSS") or 0) / 1024,
                    result_points=rows,
                    groups=len(result.series),
                    rows_generated_s=insert_s,
                )
            small, large = measured[SIZES[0]], measured[SIZES[-1]]
            report.add(
                "analytics",
                f"{SIZES[-1] // SIZES[0]}x the rows",
                time_ratio=large["median_ms"] / small["median_ms"],
                peak_rss_growth_mib_small=small["peak_mib"],
                peak_rss_growth_mib_large=large["peak_mib"],
            )
    await _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
