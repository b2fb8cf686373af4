"""Rows a delete changes through ``onDelete`` are audited, on SQLite, PostgreSQL and MariaDB with the real engine.

A folder's docs cascade, their notes cascade, their pins are set null (the default of an
optional relation), their locks restrict (the default of a required one); drafts cascade
and are left out of the trail. Each cascaded row gets a ``delete`` event, each nulled row an
``update`` with the key's change, in the delete's transaction; a refused delete leaves no
event; ``infra.batch`` with a nested write or a cascading delete is captured in its transaction.
"""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.errors import PrismaInfraError
from prisma_infra.infrastructure import Infrastructure

from tests.audit.test_nested_it import db, infra, last_seq, nested_databases, rows, started, trail
from tests.audit.test_outbox_it import outbox_rows

pytestmark = pytest.mark.integration
__all__ = ["db", "infra", "nested_databases"]  # the fixtures, shared with the nested-writes suite


async def _folder(infra: Infrastructure, name: str = "f") -> dict[str, Any]:
    """A folder with two docs (two notes on the first, one on the second, a pin each), a draft; returns the ids."""
    folder = await infra.repository("folder").create({"name": name, "drafts": {"create": {}}})
    docs = [
        await infra.repository("doc").create(
            {
                "title": f"{name}{i}",
                "folderId": folder["id"],
                "notes": {"create": [{"text": f"n{i}{j}"} for j in range(2 - i)]},
                "pins": {"create": {"label": f"p{i}"}},
            }
        )
        for i in range(2)
    ]
    notes = sorted(
        n["id"] for n in await infra.repository("note").find_many(where={"docId": {"in": [d["id"] for d in docs]}})
    )
    pins = [(await infra.repository("pin").find_many(where={"docId": d["id"]}))[0]["id"] for d in docs]
    return {"folder": folder["id"], "docs": [d["id"] for d in docs], "notes": notes, "pins": pins}


def _cascade(label: str, on_delete: str, parent: int) -> dict[str, Any]:
    return {"cascade": label, "on_delete": on_delete, "parent": {"id": parent}}


async def test_a_delete_gives_one_event_per_row_it_cascades_to_and_sets_null(db: dict[str, Any]) -> None:
    infra = Infrastructure({**db, "models": {"Draft": {"audit": False}}})
    await infra.start()
    try:
        ids = await _folder(infra)
        seq = last_seq(await trail(infra))
        await infra.repository("folder").delete(ids["folder"])
        events = await trail(infra, seq)
        d0, d1 = ids["docs"]
        assert rows(events) == [
            ("Folder", "delete", {"id": ids["folder"]}),
            ("Doc", "delete", {"id": d0}),
            ("Doc", "delete", {"id": d1}),  # Draft: left out of the trail
            *[("Note", "delete", {"id": n}) for n in ids["notes"]],
            ("Pin", "update", {"id": ids["pins"][0]}),
            ("Pin", "update", {"id": ids["pins"][1]}),
        ]
        assert events[1]["details"] == _cascade("Folder.docs", "Cascade", ids["folder"])
        assert events[1]["before"]["title"] == "f0" and events[1]["after"] is None
        assert events[3]["details"] == _cascade("Doc.notes", "Cascade", d0)
        assert events[5]["details"] == _cascade("Doc.notes", "Cascade", d1)
        assert events[6]["details"] == _cascade("Doc.pins", "SetNull", d0)
        assert events[6]["diff"] == {"docId": {"from": d0, "to": None}}
        assert {e["operation_id"] for e in events} == {events[0]["operation_id"]}
        assert {e["transaction"] for e in events} != {None}
        assert await infra.repository("pin").count(where={"docId": None}) == 2
    finally:
        await infra.close()


async def test_a_delete_many_and_a_nested_delete_cascade_too(infra: Infrastructure) -> None:
    first, second = await _folder(infra, "a"), await _folder(infra, "b")
    seq = last_seq(await trail(infra))
    await infra.repository("folder").delete_many(where={"name": "a"})
    events = await trail(infra, seq)
    assert [r[:2] for r in rows(events)] == [
        ("Folder", "deleteMany"),
        ("Doc", "delete"),
        ("Doc", "delete"),
        ("Draft", "delete"),
        ("Note", "delete"),
        ("Note", "delete"),
        ("Note", "delete"),
        ("Pin", "update"),
        ("Pin", "update"),
    ]
    assert events[3]["details"] == _cascade("Folder.drafts", "Cascade", first["folder"])
    seq = last_seq(events)
    kept = second["docs"][1]
    await infra.repository("folder").update(second["folder"], {"docs": {"delete": {"id": second["docs"][0]}}})
    events = await trail(infra, seq)
    assert rows(events) == [
        ("Folder", "update", {"id": second["folder"]}),
        ("Doc", "delete", {"id": second["docs"][0]}),
        ("Note", "delete", {"id": second["notes"][0]}),
        ("Note", "delete", {"id": second["notes"][1]}),
        ("Pin", "update", {"id": second["pins"][0]}),
    ]
    assert events[1]["details"] == {"nested": "Folder.docs", "parent": {"id": second["folder"]}}
    assert events[2]["details"] == _cascade("Doc.notes", "Cascade", second["docs"][0])
    assert await infra.repository("doc").count() == 1 and (await infra.repository("doc").find_many())[0]["id"] == kept


async def test_a_delete_a_restricting_row_refuses_leaves_no_event_and_no_change(infra: Infrastructure) -> None:
    ids = await _folder(infra)
    await infra.repository("lock").create({"docId": ids["docs"][1]})
    seq = last_seq(await trail(infra))
    with pytest.raises(PrismaInfraError):
        await infra.repository("folder").delete(ids["folder"])
    assert await trail(infra, seq) == []
    assert (
        await infra.repository("note").count() == 3 and await infra.repository("pin").count(where={"docId": None}) == 0
    )


async def test_a_batch_with_a_nested_write_or_a_cascade_is_captured_in_its_transaction(db: dict[str, Any]) -> None:
    async with started(db, outbox=True) as infra:
        outbox = infra.audit.outbox
        assert outbox is not None
        put, inside = outbox.put, []

        async def spy(events: Any, context: Any) -> None:
            await put(events, context)
            inside.append(await outbox_rows(infra, context.transaction))

        outbox.put = spy  # type: ignore[method-assign]
        ids = await _folder(infra)
        seq = last_seq(await trail(infra))
        inside.clear()
        users = infra.repository("user")
        await infra.batch(
            [
                users.op.create(data={"email": "a@example.com", "posts": {"create": {"title": "p"}}}),
                infra.repository("folder").op.delete(where={"id": ids["folder"]}),
            ]
        )
        events = await trail(infra, seq)
        assert [r[:2] for r in rows(events)][:4] == [
            ("User", "create"),
            ("Post", "create"),
            ("Folder", "delete"),
            ("Doc", "delete"),
        ]
        assert len(events) == 11 and len({e["transaction"] for e in events}) == 1 and events[0]["transaction"]
        assert inside == [2, 11]  # each write's rows saved in the batch's transaction, with the earlier ones
        await outbox.flush()
        assert await outbox_rows(infra) == 0
        seq = last_seq(events)
        with pytest.raises(PrismaInfraError):
            await infra.batch(
                [
                    users.op.create(data={"email": "b@example.com", "posts": {"create": {"title": "q"}}}),
                    users.op.create(data={"email": "a@example.com"}),  # taken: the batch rolls back
                ]
            )
        assert await trail(infra, seq) == [] and await outbox_rows(infra) == 0
        assert await users.count() == 1


async def test_a_changed_referenced_key_gives_the_rows_it_is_carried_to_an_update(infra: Infrastructure) -> None:
    ids = await _folder(infra)
    seq = last_seq(await trail(infra))
    old, new = ids["folder"], ids["folder"] + 1000
    await infra.repository("folder").update(old, {"id": new})  # onUpdate: Cascade, Prisma's default
    events = await trail(infra, seq)
    assert [r[:2] for r in rows(events)] == [
        ("Folder", "update"),
        ("Doc", "update"),
        ("Doc", "update"),
        ("Draft", "update"),
    ]
    assert events[1]["record_id"] == {"id": ids["docs"][0]}
    assert events[1]["diff"] == {"folderId": {"from": old, "to": new}}
    assert events[1]["details"] == {"cascade": "Folder.docs", "on_update": "Cascade", "parent": {"id": old}}
    seq = last_seq(events)
    await infra.repository("folder").update(new, {"name": "renamed"})  # no referenced field written
    assert [r[:2] for r in rows(await trail(infra, seq))] == [("Folder", "update")]


async def test_a_large_cascade_is_read_in_batches_of_read_batch_size(db: dict[str, Any]) -> None:
    async with started(db, read_batch_size=2) as infra:
        folder = await infra.repository("folder").create({"name": "big"})
        await infra.repository("doc").create_many(data=[{"title": f"d{i}", "folderId": folder["id"]} for i in range(5)])
        capture = infra.audit.capture_
        read, takes = capture._read, []

        async def spy(op: Any, model: str, action: Any, args: dict[str, Any]) -> Any:
            if model == "Doc":
                takes.append(args.get("take"))
            return await read(op, model, action, args)

        capture._read = spy  # type: ignore[method-assign]
        seq = last_seq(await trail(infra))
        await infra.repository("folder").delete(folder["id"])
        capture._read = read  # type: ignore[method-assign]
        assert takes == [2, 2, 2]  # 2 + 2 + 1 docs, in key order
        events = await trail(infra, seq)
        docs = [e["record_id"]["id"] for e in events if e["model"] == "Doc"]
        assert len(docs) == 5 and docs == sorted(docs)


async def test_without_before_images_a_cascading_delete_still_reads_its_rows(db: dict[str, Any]) -> None:
    async with started(db, before_images=False) as infra:
        ids = await _folder(infra)
        seq = last_seq(await trail(infra))
        await infra.repository("folder").delete_many(where={"id": ids["folder"]})
        assert [r[:2] for r in rows(await trail(infra, seq))][:3] == [
            ("Folder", "deleteMany"),
            ("Doc", "delete"),
            ("Doc", "delete"),
        ]
