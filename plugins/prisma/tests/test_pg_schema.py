"""PostgreSQL ``?schema=``: db push, migrations, the runtime and the project's raw SQL use that schema.

Real PostgreSQL; ``public`` must stay empty throughout.
"""

from __future__ import annotations

from pathlib import Path

from prisma_infra_prisma import PrismaEngine
from prisma_infra_prisma.migrate import migrate_deploy
from prisma_infra_prisma.schema_sync import db_push
from prisma_infra_sdk import Action, DatabaseConfig, Operation
from prisma_infra_sdk.testing import OUTBOX_TABLE, Outbox

from plugins.prisma.tests.fixtures.sync import sync_dbs as dbs

SCHEMA = "tenant_x"


def _tables(url: str, namespace: str) -> set[str]:
    rows = dbs.sql(
        "postgresql", url, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?", [namespace]
    )
    return {str(row["t"]) for row in rows}


async def test_push_runtime_and_raw_sql_use_the_url_schema(tmp_path: Path) -> None:
    url = dbs.fresh_url("postgresql", tmp_path)
    tenant = f"{url}?schema={SCHEMA}"
    schema = dbs.write_schema(tmp_path, "postgresql")

    first = await db_push(dbs.resolved_for("postgresql", tenant, schema))
    assert first.executed_steps > 0
    assert {"users", "posts", "Tag"} <= _tables(url, SCHEMA)
    assert _tables(url, "public") == set()
    # The engine reads the database back in the same schema: nothing left to do.
    assert (await db_push(dbs.resolved_for("postgresql", tenant, schema))).executed_steps == 0

    engine = PrismaEngine(DatabaseConfig(schema_path=str(schema), url=tenant))
    try:
        created = await engine.execute(Operation("User", Action.CREATE, {"data": {"email": "a@example.com"}}))
        found = await engine.execute(Operation("User", Action.FIND_MANY, {"where": {"id": created["id"]}}))
        assert [row["email"] for row in found] == ["a@example.com"]
        # Raw SQL without a schema name (the audit outbox's own table) lands beside the models.
        outbox = Outbox(engine, "h3")
        await outbox.start()
        assert await outbox.count() == 0
        rows = await engine.execute(
            Operation(None, Action.QUERY_RAW, {"sql": 'SELECT count(*)::int AS n FROM "users"', "params": []})
        )
        assert rows == [{"n": 1}]
    finally:
        await engine.close()
    assert OUTBOX_TABLE in _tables(url, SCHEMA)
    assert _tables(url, "public") == set()


async def test_migrate_deploy_uses_the_url_schema(tmp_path: Path) -> None:
    url = dbs.fresh_url("postgresql", tmp_path)
    schema = dbs.write_schema(tmp_path, "postgresql")
    resolved = dbs.resolved_for("postgresql", f"{url}?schema={SCHEMA}", schema)
    result = await migrate_deploy(resolved, dbs.HERE / "migrations")
    assert result.applied
    assert "_prisma_migrations" in _tables(url, SCHEMA)
    assert _tables(url, "public") == set()
