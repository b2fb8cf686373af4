"""The benchmarks' PostgreSQL server: where it is, and a database of each benchmark created on it.

``PRISMA_INFRA_BENCH_PG_URL`` is the server's URL without a database (default: the local server, user
postgres). `create_database` goes through the Prisma engine itself, so no driver is needed for it.
"""

from __future__ import annotations

import os
from pathlib import Path

SERVER = os.environ.get("PRISMA_INFRA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")


def database_url(name: str) -> str:
    """The URL of the database ``name`` on the benchmarks' server."""
    return f"{SERVER}/{name}"


async def create_database(name: str, schema: Path) -> None:
    """Create the database ``name`` on the server unless it exists (``schema``: any PostgreSQL schema file,
    the engine needs one to start)."""
    from prisma_infra.config.model import DatabaseConfig
    from prisma_infra.operation import Action, Operation
    from prisma_infra_prisma import PrismaEngine

    admin = PrismaEngine(DatabaseConfig(schema_path=str(schema), url=database_url("postgres"), pool_size=1))
    try:
        exists = {"sql": "SELECT 1 AS x FROM pg_database WHERE datname = $1", "params": [name]}
        if not await admin.execute(Operation(None, Action.QUERY_RAW, exists)):
            create = {"sql": f'CREATE DATABASE "{name}"', "params": []}
            await admin.execute(Operation(None, Action.EXECUTE_RAW, create))
    finally:
        await admin.close()
