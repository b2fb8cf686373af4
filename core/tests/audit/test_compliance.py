"""Compliance reports on the memory engine: data-subject access, audit export for a period, retention."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
from prisma_infra.audit.file_sink import iter_trail
from prisma_infra.errors import ConfigurationError, ValidationError
from prisma_infra.infrastructure import Infrastructure

from core.tests.audit.audit_doubles import audit_infrastructure

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


async def seed(infra: Infrastructure) -> dict[str, Any]:
    users, posts, comments = infra.repository("user"), infra.repository("post"), infra.repository("comment")
    alice = await users.create({"email": "alice@example.com", "name": "Alice", "karma": 0})
    bob = await users.create({"email": "bob@example.com", "name": "Bob", "karma": 0})
    post = await posts.create({"id": "p1", "title": "Hello", "body": "b", "authorId": alice["id"]})
    await posts.create({"id": "p2", "title": "Other", "body": "b", "authorId": bob["id"]})
    await comments.create({"text": "nice", "postId": "p2", "authorId": alice["id"]})
    await comments.create({"text": "thanks", "postId": "p1", "authorId": bob["id"]})
    await users.update(alice["id"], {"karma": 3})
    return {"alice": alice, "bob": bob, "post": post}


async def test_subject_access_by_email_finds_records_and_events(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path) as infra:
        seeded = await seed(infra)
        report = await infra.compliance.subject_access("ALICE@example.com" if False else "alice@example.com")
    alice = seeded["alice"]
    assert report.primary == [{"model": "User", "key": str(alice["id"])}]
    assert [r["id"] for r in report.records["User"]] == [alice["id"]]
    assert [r["id"] for r in report.records["Post"]] == ["p1"]
    assert [r["text"] for r in report.records["Comment"]] == ["nice"]  # Bob's comment on her post is not hers
    assert not report.authorised
    assert report.records["User"][0]["email"] != "alice@example.com"  # masked for an unauthorised caller
    keys = {(e["model"], e["record_key"], e["action"]) for e in report.events}
    assert ("User", str(alice["id"]), "update") in keys and ("Post", "p1", "create") in keys
    assert all(e["record_key"] != str(seeded["bob"]["id"]) or e["model"] != "User" for e in report.events)


async def test_subject_access_shows_pii_to_an_authorised_role(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, audit={"report_roles": ["dpo"]}) as infra:
        await seed(infra)
        with infra.acting_as({"id": "d1", "role": "dpo"}):
            report = await infra.compliance.subject_access("alice@example.com")
        masked = await infra.compliance.subject_access("alice@example.com", role="support")
    assert report.authorised and report.records["User"][0]["email"] == "alice@example.com"
    assert not masked.authorised and masked.records["User"][0]["email"] != "alice@example.com"
    path = report.write(tmp_path / "dsar.json")
    document = orjson.loads(path.read_bytes())
    assert document["subject"] == "alice@example.com" and document["records"]["Post"][0]["id"] == "p1"


async def test_subject_access_by_id_needs_the_model_for_integers(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path) as infra:
        seeded = await seed(infra)
        report = await infra.compliance.subject_access(seeded["bob"]["id"], model="user", include_events=False)
        assert [r["id"] for r in report.records["User"]] == [seeded["bob"]["id"]]
        assert report.events == []
        with pytest.raises(ValidationError, match="model="):
            await infra.compliance.subject_access(seeded["bob"]["id"])


async def test_audit_export_for_a_period(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path) as infra:
        await seed(infra)
        events = await infra.audit.query()
        since, until = events[2]["time"], events[5]["time"]
        count = await infra.compliance.audit_export(tmp_path / "period.jsonl", since=since, until=until)
    exported = [orjson.loads(line) for line in (tmp_path / "period.jsonl").read_bytes().splitlines()]
    assert count == 3 and [e["seq"] for e in exported] == [3, 4, 5]


def retention_models(action: str) -> dict[str, Any]:
    return {"User": {"retention_days": 30, "retention_field": "createdAt", "retention_action": action}}


async def test_retention_deletes_old_records_through_the_audited_repository(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, models=retention_models("delete")) as infra:
        users = infra.repository("user")
        for i, age in enumerate([40, 31, 29, 1]):
            await users.create({"email": f"{i}@x.io", "karma": 0, "createdAt": NOW - dt.timedelta(days=age)})
        dry = await infra.compliance.enforce_retention(now=NOW, dry_run=True)
        assert dry["User"].matched == 2 and dry["User"].affected == 0 and await users.count() == 4
        results = await infra.compliance.enforce_retention(now=NOW)
        assert results["User"].affected == 2 and results["User"].action == "delete"
        assert sorted(u["email"] for u in await users.find_many()) == ["2@x.io", "3@x.io"]
        events = list(iter_trail(tmp_path / "audit.jsonl"))[4:]
    assert [e["action"] for e in events] == ["deleteMany", "deleteMany", "retention"]
    assert all(e["actor"] == "system:retention" for e in events)
    assert events[-1]["details"]["affected"] == 2 and events[-1]["model"] == "User"


async def test_retention_anonymises_pii_and_skips_what_is_already_anonymised(tmp_path: Path) -> None:
    async with audit_infrastructure(tmp_path, models=retention_models("anonymise")) as infra:
        users = infra.repository("user")
        old = await users.create({"email": "old@x.io", "name": "Old", "karma": 0,
                                  "createdAt": NOW - dt.timedelta(days=90)})
        await users.create({"email": "new@x.io", "name": "New", "karma": 0, "createdAt": NOW})
        with infra.acting_as("ops"):
            first = await infra.compliance.enforce_retention(now=NOW)
        again = await infra.compliance.enforce_retention(now=NOW)
        row = await users.find_unique(old["id"])
        events = list(iter_trail(tmp_path / "audit.jsonl"))
    assert first["User"].affected == 1 and again["User"].matched == 0
    assert row is not None and row["email"] == f"anonymised-User-{old['id']}-email" and row["name"] is None
    update = next(e for e in events if e["action"] == "update")
    assert update["actor"] == "ops" and set(update["diff"]) >= {"email", "name"}


async def test_retention_field_must_be_a_datetime(tmp_path: Path) -> None:
    models = {"User": {"retention_days": 1, "retention_field": "email"}}
    async with audit_infrastructure(tmp_path, models=models) as infra:
        with pytest.raises(ConfigurationError, match="not a DateTime"):
            await infra.compliance.enforce_retention(now=NOW)
