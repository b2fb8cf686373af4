"""The audit trail on real databases (PostgreSQL, SQLite) through the real Prisma engine.

Each write kind produces its events with before/after images and diff; a rolled-back
transaction produces none; the database and file sinks hold the same chain; tampering
with either is detected and the first bad event named; the chain continues across restarts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.audit import PRISMA_MODEL
from prisma_infra.audit.file_sink import iter_trail
from prisma_infra.config.model import DatabaseConfig
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation
from prisma_infra_prisma.datasource import resolve_database
from prisma_infra_prisma.schema_sync import db_push

from tests.audit.audit_it_support import MakeInfra, fresh_database, settings

pytestmark = pytest.mark.integration


def q(infra: Infrastructure, name: str) -> str:
    return f'"{name}"'


def placeholder(infra: Infrastructure, index: int) -> str:
    return f"${index}" if infra.engine.provider == "postgresql" else "?"


async def raw(infra: Infrastructure, sql: str, *params: Any) -> Any:
    """SQL straight to the engine: not through the pipeline, so not audited (tampering, setup)."""
    return await infra.engine.execute(Operation(None, Action.EXECUTE_RAW, {"sql": sql, "params": list(params)}))


async def events_since(infra: Infrastructure, seq: int = 0, sink: str = "database") -> list[dict[str, Any]]:
    return [e for e in await infra.audit.query(sink=sink) if e["seq"] > seq]


async def test_every_write_kind_is_audited(infra: Infrastructure) -> None:
    users, posts = infra.repository("user"), infra.repository("post")
    with infra.acting_as({"id": "admin-1", "role": "admin"}, tenant="acme", request_id="req-1"):
        alice = await users.create({"email": "alice@example.com", "name": "Alice", "balance": Decimal("10.50")})
        await users.update(alice["id"], {"karma": 2**40, "name": "Alice A."})
        bob = await users.upsert({"email": "bob@example.com"}, create={"email": "bob@example.com"}, update={})
        await users.upsert({"email": "bob@example.com"}, create={"email": "bob@example.com"}, update={"name": "Bob"})
        assert await posts.create_many([{"title": f"t{i}", "authorId": alice["id"]} for i in range(3)]) == {"count": 3}
        assert await posts.update_many({"authorId": alice["id"]}, {"views": 7}) == {"count": 3}
        assert await posts.delete_many({"title": "t0"}) == {"count": 1}
        await users.delete(bob["id"])
        affected = await infra.call(None, "executeRaw", {
            "sql": f'UPDATE {q(infra, "Post")} SET {q(infra, "views")} = 8', "params": [], "models": ["Post"],
        })
        assert affected == 2
    events = await infra.audit.query(sink="database")
    actions = [(e["model"], e["action"]) for e in events]
    assert actions == [
        ("User", "create"), ("User", "update"), ("User", "upsert"), ("User", "upsert"),
        ("Post", "createMany"), ("Post", "createMany"), ("Post", "createMany"),
        ("Post", "updateMany"), ("Post", "updateMany"), ("Post", "updateMany"),
        ("Post", "deleteMany"), ("User", "delete"), ("Post", "executeRaw"),
    ]
    assert all((e["actor"], e["tenant"], e["request_id"]) == ("admin-1", "acme", "req-1") for e in events)
    create, update = events[0], events[1]
    assert create["after"]["balance"] == "10.5" or create["after"]["balance"].startswith("10.5")
    assert create["after"]["email"] != "alice@example.com"  # PII masked
    assert update["before"]["karma"] == 0 and update["after"]["karma"] == 2**40
    assert set(update["diff"]) == {"karma", "name"}
    assert update["transaction"] is not None  # before-image read in a transaction opened for the write
    assert events[2]["details"] == {"created": True} and events[3]["details"] == {"created": False}
    created_ids = [e["record_id"]["id"] for e in events[4:7]]
    assert len(set(created_ids)) == 3 and all(isinstance(i, str) for i in created_ids)
    assert [e["record_id"]["id"] for e in events[7:10]] == sorted(created_ids)
    assert all(e["before"]["views"] == 0 and e["after"]["views"] == 7 for e in events[7:10])
    assert events[10]["before"]["title"] == "t0" and events[10]["after"] is None
    assert events[11]["before"]["id"] == bob["id"]
    assert events[12]["details"]["affected"] == 2
    assert (await infra.audit.verify(sink="database")).ok and (await infra.audit.verify(sink="file")).ok
    file_ids = [e["id"] for e in iter_trail(Path(infra.config.base_dir) / "audit.jsonl")]
    assert file_ids == [e["id"] for e in events]


async def test_rolled_back_transactions_produce_no_event(infra: Infrastructure) -> None:
    users = infra.repository("user")
    with pytest.raises(RuntimeError):
        async with infra.transaction() as tx:
            await tx.repository("user").create({"email": "ghost@example.com"})
            await tx.repository("user").update_many({}, {"name": "x"})
            raise RuntimeError("abort")
    assert await users.count() == 0
    async with infra.transaction() as tx:
        kept = await tx.repository("user").create({"email": "kept@example.com"})
        await tx.repository("user").update(kept["id"], {"name": "Kept"})
    events = await infra.audit.query(sink="database")
    assert [e["action"] for e in events] == ["create", "update"] and events[0]["seq"] == 1
    assert {e["transaction"] for e in events} == {tx.id}


async def test_bulk_writes_are_audited_per_batch(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.bulk_create([{"email": f"u{i}@example.com"} for i in range(7)], batch_size=3)
    await users.bulk_update({"email": {"startsWith": "u"}}, {"karma": 1}, batch_size=3)
    await users.bulk_delete({"email": {"startsWith": "u"}}, batch_size=4)
    events = await infra.audit.query(sink="database")
    assert [e["action"] for e in events] == ["createMany"] * 7 + ["updateMany"] * 7 + ["deleteMany"] * 7
    assert len({e["transaction"] for e in events[7:14]}) == 3
    assert all(e["diff"] == {"karma": {"from": 0, "to": 1}} for e in events[7:14])


async def test_history_query_and_export(infra: Infrastructure, tmp_path: Path) -> None:
    users = infra.repository("user")
    with infra.acting_as("ann"):
        user = await users.create({"email": "h@example.com"})
        await users.update(user["id"], {"name": "H"})
    with infra.acting_as("ben"):
        await users.update(user["id"], {"name": "H2"})
    for sink in ("database", "file"):
        history = await infra.audit.history("user", user["id"], sink=sink)
        assert [e["action"] for e in history] == ["create", "update", "update"]
        assert [e["actor"] for e in await infra.audit.query(actor="ben", sink=sink)] == ["ben"]
        assert len(await infra.audit.query(model="User", action="update", sink=sink)) == 2
    middle = history[1]["time"]
    assert [e["seq"] for e in await infra.audit.query(since=middle, sink="database")] == [2, 3]
    assert await infra.audit.export(tmp_path / "x.csv", format="csv", until=middle) == 1
    assert await infra.compliance.audit_export(tmp_path / "all.jsonl") == 3


async def test_tampering_with_the_database_trail_is_detected(infra: Infrastructure) -> None:
    users = infra.repository("user")
    user = await users.create({"email": "t@example.com"})
    for i in range(5):
        await users.update(user["id"], {"karma": i + 1})
    events = await infra.audit.query(sink="database")
    table, p = q(infra, "AuditEvent"), placeholder(infra, 1)
    # edit: change a payload
    original = await infra.engine.execute(Operation(None, Action.QUERY_RAW, {
        "sql": f'SELECT "payload" AS payload FROM {table} WHERE "id" = {p}', "params": [events[2]["id"]]}))
    payload = original[0]["payload"]
    await raw(infra, f'UPDATE {table} SET "payload" = {p} WHERE "id" = {placeholder(infra, 2)}',
              payload.replace('"karma":2', '"karma":200'), events[2]["id"])
    result = await infra.audit.verify(sink="database")
    assert not result.ok and result.first_bad is not None and result.first_bad["id"] == events[2]["id"]
    assert "edited" in result.reason
    await raw(infra, f'UPDATE {table} SET "payload" = {p} WHERE "id" = {placeholder(infra, 2)}', payload,
              events[2]["id"])
    assert (await infra.audit.verify(sink="database")).ok
    # reorder: swap the positions of two events
    await raw(infra, f'UPDATE {table} SET "seq" = -1 WHERE "id" = {p}', events[3]["id"])
    await raw(infra, f'UPDATE {table} SET "seq" = 4 WHERE "id" = {p}', events[4]["id"])
    await raw(infra, f'UPDATE {table} SET "seq" = 5 WHERE "id" = {p}', events[3]["id"])
    result = await infra.audit.verify(sink="database")
    assert not result.ok and result.first_bad is not None and result.first_bad["id"] == events[4]["id"]
    assert result.position == 3
    # delete: remove one event (after restoring the order)
    await raw(infra, f'UPDATE {table} SET "seq" = -1 WHERE "id" = {p}', events[3]["id"])
    await raw(infra, f'UPDATE {table} SET "seq" = 5 WHERE "id" = {p}', events[4]["id"])
    await raw(infra, f'UPDATE {table} SET "seq" = 4 WHERE "id" = {p}', events[3]["id"])
    assert (await infra.audit.verify(sink="database")).ok
    await raw(infra, f'DELETE FROM {table} WHERE "id" = {p}', events[1]["id"])
    result = await infra.audit.verify(sink="database")
    assert not result.ok and result.first_bad is not None and result.first_bad["id"] == events[2]["id"]
    assert "deleted" in result.reason


async def test_the_chain_continues_across_restarts(make_infra: MakeInfra, tmp_path: Path) -> None:
    async with make_infra() as infra:
        await infra.repository("user").create({"email": "one@example.com"})
    # A new process: new buffer folder, so the head comes from the sinks.
    async with make_infra(audit={"buffer_dir": str(tmp_path / "other-buffer")}) as infra:
        await infra.repository("user").create({"email": "two@example.com"})
        events = await infra.audit.query(sink="database")
        assert [e["seq"] for e in events] == [1, 2] and events[1]["prev_hash"] == events[0]["hash"]
        assert (await infra.audit.verify(sink="database")).ok and (await infra.audit.verify(sink="file")).ok


async def test_a_database_sink_outage_is_replayed(make_infra: MakeInfra) -> None:
    async with make_infra(audit={"retry_max_wait": 0.1}) as infra:
        users = infra.repository("user")
        await users.create({"email": "a@example.com"})
        table = q(infra, "AuditEvent")
        await raw(infra, f"ALTER TABLE {table} RENAME TO {q(infra, 'AuditEventAway')}")  # the sink now fails
        for i in range(4):
            await users.create({"email": f"b{i}@example.com"})
        assert {s.name: s.state for s in infra.audit.status()}["database"] == "buffering"
        await raw(infra, f"ALTER TABLE {q(infra, 'AuditEventAway')} RENAME TO {table}")
        assert await infra.audit.drain(timeout=20)
        events = await infra.audit.query(sink="database")
        assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
        assert (await infra.audit.verify(sink="database")).ok


async def test_the_audit_table_can_be_a_prisma_model(provider: str, tmp_path: Path) -> None:
    name = "prisma_infra_audit_model_it"
    schema, url = await fresh_database(provider, tmp_path / "db", extra=PRISMA_MODEL, name=name)
    infra = Infrastructure(settings(schema, url, tmp_path))
    async with infra:
        await infra.repository("user").create({"email": "m@example.com"})
        await infra.audit.flush()
        assert [e["action"] for e in await infra.audit.query(sink="database")] == ["create"]
        # the AuditEvent model itself is never audited
        assert infra.audit.audits(Operation("AuditEvent", Action.CREATE)) is False
    again = await db_push(resolve_database(DatabaseConfig(schema_path=str(schema), url=url), schema.parent))  # type: ignore[arg-type]
    assert again.executed_steps == 0 and not again.warnings  # the sink's table is exactly the model's


async def test_subject_access_report(infra: Infrastructure) -> None:
    users, posts, sessions = infra.repository("user"), infra.repository("post"), infra.repository("session")
    alice = await users.create({"email": "Alice@Example.com", "name": "Alice"})
    other = await users.create({"email": "other@example.com"})
    post = await posts.create({"title": "mine", "authorId": alice["id"], "tags": {"create": [{"name": "t1"}]}})
    await posts.create({"title": "theirs", "authorId": other["id"]})
    await sessions.create({"token": "s-1", "ip": "10.0.0.1", "userId": alice["id"]})
    with infra.acting_as({"id": "dpo-1", "role": "dpo"}):
        clear = await infra.compliance.subject_access("alice@example.com", role="dpo")
    masked = await infra.compliance.subject_access("alice@example.com")
    if infra.engine.provider == "postgresql":  # e-mail lookups ignore case where the database can
        assert clear.primary == [{"model": "User", "key": str(alice["id"])}]
    else:
        clear = await infra.compliance.subject_access("Alice@Example.com", role="dpo")
        masked = await infra.compliance.subject_access("Alice@Example.com")
    assert not clear.authorised or clear.records["User"][0]["email"] == "Alice@Example.com"
    assert set(masked.records) == {"User", "Post", "Session"}
    assert [p["id"] for p in masked.records["Post"]] == [post["id"]]
    assert masked.records["Session"][0]["token"] == "s-1"
    assert masked.records["User"][0]["email"] != "Alice@Example.com"
    assert {(e["model"], e["action"]) for e in masked.events} >= {("User", "create"), ("Post", "create"),
                                                                 ("Session", "create")}
    assert all(e["record_key"] != str(other["id"]) or e["model"] != "User" for e in masked.events)
    tag_report = await infra.compliance.subject_access(post["id"], model="Post", include_events=False)
    assert [t["name"] for t in tag_report.records["Tag"]] == ["t1"]  # implicit many-to-many followed


async def test_retention_deletes_and_anonymises_through_the_audited_repository(make_infra: MakeInfra) -> None:
    now = dt.datetime.now(dt.UTC)
    models = {
        "Session": {"retention_days": 30, "retention_field": "createdAt", "retention_action": "delete"},
        "User": {"retention_days": 365, "retention_field": "createdAt", "retention_action": "anonymise"},
    }
    async with make_infra(models=models) as infra:
        users, sessions = infra.repository("user"), infra.repository("session")
        old = await users.create({"email": "old@example.com", "name": "Old", "createdAt": now - dt.timedelta(days=400)})
        await users.create({"email": "new@example.com", "name": "New"})
        for i, age in enumerate([45, 31, 2]):
            await sessions.create({"token": f"s{i}", "createdAt": now - dt.timedelta(days=age)})
        start = (await infra.audit.query(sink="database"))[-1]["seq"]
        dry = await infra.compliance.enforce_retention(dry_run=True)
        assert (dry["Session"].matched, dry["User"].matched) == (2, 1)
        results = await infra.compliance.enforce_retention()
        assert results["Session"].affected == 2 and results["User"].affected == 1
        assert [s["token"] for s in await sessions.find_many()] == ["s2"]
        anonymised = await users.find_unique(old["id"])
        assert anonymised is not None and anonymised["email"].startswith("anonymised-User-")
        assert anonymised["name"] is None
        events = await events_since(infra, start)
        assert [(e["model"], e["action"]) for e in events] == [
            ("Session", "deleteMany"), ("Session", "deleteMany"), ("Session", "retention"),
            ("User", "update"), ("User", "retention"),
        ]
        assert all(e["actor"] == "system:retention" for e in events)
        assert (await infra.compliance.enforce_retention())["User"].matched == 0
