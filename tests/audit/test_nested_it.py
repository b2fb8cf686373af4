"""Nested writes are audited row by row, on SQLite, PostgreSQL and MariaDB through the real Prisma engine.

Every row a ``create``/``update``/``upsert`` reaches through a relation has its own event
(model, action, record id, before/after as masked today) in the write's transaction, after
the top-level record's; a nested write that fails leaves no event and no row; the chain verifies.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.errors import PrismaInfraError
from prisma_infra.infrastructure import Infrastructure

from tests.audit.audit_it_support import settings, started
from tests.audit.nested_support import PROVIDERS, emptied, make_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def nested_databases() -> dict[str, tuple[Path, str]]:
    """Each provider's database, made the first time a test needs it."""
    return {}


@pytest.fixture(params=PROVIDERS)
def db(
    request: pytest.FixtureRequest,
    nested_databases: dict[str, tuple[Path, str]],
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
) -> dict[str, Any]:
    provider = request.param
    if provider not in nested_databases:
        nested_databases[provider] = asyncio.run(make_database(provider, tmp_path_factory.mktemp(f"nested-{provider}")))
    schema, url = nested_databases[provider]
    return settings(schema, emptied(provider, url, tmp_path), tmp_path)


@pytest.fixture
async def infra(db: dict[str, Any]) -> AsyncIterator[Infrastructure]:
    async with started(db) as running:
        yield running


async def trail(infra: Infrastructure, after: int = 0) -> list[dict[str, Any]]:
    """The events stored after ``after`` (seq), checked: the chain verifies in both sinks."""
    for sink in ("database", "file"):
        result = await infra.audit.verify(sink=sink)
        assert result.ok, result.describe()
    return [e for e in await infra.audit.query(sink="database") if e["seq"] > after]


def rows(events: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    """(model, action, record id) of each event: one per touched row."""
    return [(e["model"], e["action"], e["record_id"]) for e in events]


def last_seq(events: list[dict[str, Any]]) -> int:
    return max((e["seq"] for e in events), default=0)


async def test_a_nested_create_has_one_event_per_created_row(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await infra.repository("tag").create({"name": "old"})
    seq = last_seq(await trail(infra))
    alice = await users.create(
        {
            "email": "alice@example.com",
            "posts": {
                "create": [
                    {
                        "title": "p1",
                        "tags": {
                            "create": [{"name": "new"}],
                            "connectOrCreate": [
                                {"where": {"name": "old"}, "create": {"name": "old"}},
                                {"where": {"name": "made"}, "create": {"name": "made"}},
                            ],
                        },
                    }
                ]
            },
            "sessions": {"createMany": {"data": [{"token": "s1", "ip": "10.0.0.1"}, {"token": "s2"}]}},
        }
    )
    events = await trail(infra, seq)
    post = (await infra.repository("post").find_many())[0]
    tags = {t["name"]: t["id"] for t in await infra.repository("tag").find_many()}
    sessions = sorted(s["id"] for s in await infra.repository("session").find_many())
    assert rows(events) == [
        ("User", "create", {"id": alice["id"]}),
        ("Post", "create", {"id": post["id"]}),
        ("Tag", "update", {"id": tags["old"]}),  # connected: a link of the implicit many-to-many
        ("Tag", "create", {"id": tags["new"]}),  # a relation's rows in key order
        ("Tag", "create", {"id": tags["made"]}),
        ("Session", "create", {"id": sessions[0]}),
        ("Session", "create", {"id": sessions[1]}),
    ]
    assert events[0]["after"]["email"] != "alice@example.com"  # masked as a top-level event is
    assert events[1]["before"] is None and events[1]["after"]["authorId"] == alice["id"]
    assert events[1]["details"] == {"nested": "User.posts", "parent": {"id": alice["id"]}}
    linked = events[2]
    assert linked["before"] == linked["after"] and linked["diff"] == {}
    assert linked["details"]["linked"] == [{"via": "Post.tags", "record_id": {"id": post["id"]}}]
    assert events[5]["after"]["userId"] == alice["id"] and events[5]["after"]["ip"] != "10.0.0.1"
    assert {e["operation_id"] for e in events} == {events[0]["operation_id"]}
    assert {e["transaction"] for e in events} != {None}  # read and written in one transaction


async def test_nested_updates_upserts_and_deletes_of_a_to_many(infra: Infrastructure) -> None:
    users = infra.repository("user")
    alice = await users.create(
        {
            "email": "a@example.com",
            "posts": {
                "create": [
                    {"title": "keep"},
                    {"title": "edit"},
                    {"title": "gone"},
                    {"title": "many1"},
                    {"title": "many2"},
                ]
            },
        }
    )
    ids = {p["title"]: p["id"] for p in await infra.repository("post").find_many()}
    seq = last_seq(await trail(infra))
    await users.update(
        alice["id"],
        {
            "posts": {
                "update": {"where": {"id": ids["edit"]}, "data": {"views": 5}},
                "updateMany": {"where": {"title": {"startsWith": "many"}}, "data": {"views": 9}},
                "upsert": [
                    {"where": {"id": ids["keep"]}, "update": {"title": "kept"}, "create": {"title": "x"}},
                    {"where": {"id": "nope"}, "update": {}, "create": {"title": "fresh"}},
                ],
                "delete": {"id": ids["gone"]},
            }
        },
    )
    events = await trail(infra, seq)
    fresh = next(p for p in await infra.repository("post").find_many() if p["title"] == "fresh")
    by_id = {e["record_id"]["id"]: e for e in events[1:]}
    assert rows(events)[0] == ("User", "update", {"id": alice["id"]})
    assert sorted(rows(events[1:]), key=str) == sorted(
        [
            ("Post", "update", {"id": ids["edit"]}),
            ("Post", "update", {"id": ids["many1"]}),
            ("Post", "update", {"id": ids["many2"]}),
            ("Post", "update", {"id": ids["keep"]}),
            ("Post", "create", {"id": fresh["id"]}),
            ("Post", "delete", {"id": ids["gone"]}),
        ],
        key=str,
    )
    assert by_id[ids["edit"]]["diff"] == {"views": {"from": 0, "to": 5}}
    assert by_id[ids["many1"]]["diff"] == {"views": {"from": 0, "to": 9}}
    assert by_id[ids["keep"]]["diff"] == {"title": {"from": "keep", "to": "kept"}}
    assert by_id[ids["gone"]]["before"]["title"] == "gone" and by_id[ids["gone"]]["after"] is None
    seq = last_seq(events)
    await users.update(alice["id"], {"posts": {"deleteMany": {"views": 9}}})
    events = await trail(infra, seq)
    assert rows(events) == [
        ("User", "update", {"id": alice["id"]}),
        *sorted(
            [("Post", "delete", {"id": ids["many1"]}), ("Post", "delete", {"id": ids["many2"]})],
            key=lambda r: r[2]["id"],
        ),
    ]


async def test_connect_disconnect_and_set_record_the_foreign_key_change(infra: Infrastructure) -> None:
    users, sessions = infra.repository("user"), infra.repository("session")
    alice = await users.create({"email": "a@example.com"})
    bob = await users.create({"email": "b@example.com", "sessions": {"create": [{"token": "t1"}, {"token": "t2"}]}})
    t1, t2 = sorted(s["id"] for s in await sessions.find_many())
    t3 = (await sessions.create({"token": "t3"}))["id"]
    seq = last_seq(await trail(infra))
    await users.update(alice["id"], {"sessions": {"connect": [{"id": t1}, {"token": "t3"}]}})
    events = await trail(infra, seq)
    assert rows(events) == [
        ("User", "update", {"id": alice["id"]}),
        ("Session", "update", {"id": t1}),
        ("Session", "update", {"id": t3}),
    ]
    assert events[1]["diff"] == {"userId": {"from": bob["id"], "to": alice["id"]}}
    assert events[2]["diff"] == {"userId": {"from": None, "to": alice["id"]}}
    seq = last_seq(events)
    await users.update(alice["id"], {"sessions": {"disconnect": [{"id": t3}]}})
    events = await trail(infra, seq)
    assert rows(events) == [("User", "update", {"id": alice["id"]}), ("Session", "update", {"id": t3})]
    assert events[1]["diff"] == {"userId": {"from": alice["id"], "to": None}}
    seq = last_seq(events)
    await users.update(bob["id"], {"sessions": {"set": [{"id": t3}]}})  # t2 leaves, t3 joins
    events = await trail(infra, seq)
    assert rows(events) == [
        ("User", "update", {"id": bob["id"]}),
        ("Session", "update", {"id": t3}),
        ("Session", "update", {"id": t2}),
    ]
    assert events[2]["diff"] == {"userId": {"from": bob["id"], "to": None}}
    # The key on the written row itself: its own event shows it; the rows it points at are not written.
    seq = last_seq(events)
    await sessions.update(t3, {"user": {"connect": {"id": alice["id"]}}})
    await sessions.update(t3, {"user": {"update": {"name": "Al"}}})  # the related row itself is written
    await sessions.update(t3, {"user": {"disconnect": True}})
    events = await trail(infra, seq)
    session = ("Session", "update", {"id": t3})
    assert rows(events) == [session, session, ("User", "update", {"id": alice["id"]}), session]
    assert [e["diff"] for e in events] == [
        {"userId": {"from": bob["id"], "to": alice["id"]}},
        {},
        {"name": {"from": None, "to": "A***"}},  # masked as a top-level event is
        {"userId": {"from": alice["id"], "to": None}},
    ]
    assert events[2]["details"] == {"nested": "Session.user", "parent": {"id": t3}}


async def test_links_of_an_implicit_many_to_many(infra: Infrastructure) -> None:
    alice = await infra.repository("user").create({"email": "a@example.com"})
    a, b, c = [(await infra.repository("tag").create({"name": n}))["id"] for n in "abc"]
    posts = infra.repository("post")
    post = await posts.create({"title": "p", "authorId": alice["id"], "tags": {"connect": [{"id": a}, {"id": b}]}})
    seq = last_seq(await trail(infra))
    await posts.update(post["id"], {"tags": {"disconnect": [{"id": a}]}})
    await posts.update(post["id"], {"tags": {"set": [{"id": c}]}})
    events = await trail(infra, seq)
    link = {"via": "Post.tags", "record_id": {"id": post["id"]}}
    assert rows(events) == [
        ("Post", "update", {"id": post["id"]}),
        ("Tag", "update", {"id": a}),
        ("Post", "update", {"id": post["id"]}),
        ("Tag", "update", {"id": c}),
        ("Tag", "update", {"id": b}),
    ]
    assert events[1]["details"]["unlinked"] == [link] and "linked" not in events[1]["details"]
    assert events[3]["details"]["linked"] == [link] and events[4]["details"]["unlinked"] == [link]
    assert all(e["diff"] == {} for e in events)
    # A key on the written row itself links a row without writing it: one event, no transaction opened for reads.
    seq = last_seq(events)
    linked = await posts.create({"title": "q", "author": {"connect": {"id": alice["id"]}}})
    events = await trail(infra, seq)
    assert rows(events) == [("Post", "create", {"id": linked["id"]})] and events[0]["transaction"] is None


async def test_a_to_one_whose_key_is_on_the_related_row(infra: Infrastructure) -> None:
    owners = infra.repository("owner")
    owner = await owners.create({"name": "o", "card": {"create": {"number": "4111"}}})
    card = (await infra.repository("card").find_many())[0]
    await owners.update(owner["id"], {"card": {"update": {"number": "4222"}}})
    await owners.update(owner["id"], {"card": {"upsert": {"create": {"number": "x"}, "update": {"number": "4333"}}}})
    await owners.update(owner["id"], {"card": {"disconnect": True}})
    await owners.update(owner["id"], {"card": {"connect": {"id": card["id"]}}})
    await owners.update(owner["id"], {"card": {"delete": True}})
    events = await trail(infra)
    cid, oid = {"id": card["id"]}, {"id": owner["id"]}
    assert [r for r in rows(events) if r[0] == "Card"] == [
        ("Card", "create", cid),
        ("Card", "update", cid),
        ("Card", "update", cid),
        ("Card", "update", cid),
        ("Card", "update", cid),
        ("Card", "delete", cid),
    ]
    assert [r for r in rows(events) if r[0] == "Owner"] == [("Owner", "create", oid)] + [("Owner", "update", oid)] * 5
    cards = [e for e in events if e["model"] == "Card"]
    assert cards[1]["diff"] == {"number": {"from": "4111", "to": "4222"}}
    assert cards[3]["diff"] == {"ownerId": {"from": owner["id"], "to": None}}
    assert cards[4]["diff"] == {"ownerId": {"from": None, "to": owner["id"]}}
    assert cards[5]["before"]["number"] == "4333" and cards[5]["after"] is None
    assert await infra.repository("card").count() == 0


async def test_a_failing_nested_write_leaves_no_event_and_no_row(infra: Infrastructure) -> None:
    users = infra.repository("user")
    alice = await users.create({"email": "a@example.com", "sessions": {"create": {"token": "taken"}}})
    seq = last_seq(await trail(infra))
    with pytest.raises(PrismaInfraError):
        await users.create({"email": "b@example.com", "sessions": {"create": [{"token": "new"}, {"token": "taken"}]}})
    with pytest.raises(PrismaInfraError):
        await users.update(
            alice["id"], {"name": "A", "posts": {"create": {"title": "p"}}, "sessions": {"create": {"token": "taken"}}}
        )
    assert await trail(infra, seq) == []
    assert await users.count() == 1 and await infra.repository("post").count() == 0
    unchanged = await users.find_unique(alice["id"])
    assert unchanged is not None and unchanged["name"] is None
    assert await infra.repository("session").count() == 1


async def test_with_the_outbox_the_nested_events_are_saved_in_the_write_transaction(db: dict[str, Any]) -> None:
    from tests.audit.test_outbox_it import outbox_rows

    async with started(db, outbox=True) as infra:
        with pytest.raises(RuntimeError, match="undo"):
            async with infra.transaction() as tx:
                await tx.repository("user").create(
                    {"email": "a@example.com", "posts": {"create": [{"title": "p1"}, {"title": "p2"}]}}
                )
                assert await outbox_rows(infra, tx.id) == 3  # the user and both posts
                raise RuntimeError("undo")
        assert await outbox_rows(infra) == 0 and await infra.repository("post").count() == 0
        await infra.repository("user").create({"email": "b@example.com", "posts": {"create": {"title": "p"}}})
        assert infra.audit.outbox is not None
        await infra.audit.outbox.flush()
        assert await outbox_rows(infra) == 0
        assert [r[:2] for r in rows(await trail(infra))] == [("User", "create"), ("Post", "create")]


async def test_a_model_left_out_of_the_trail_gives_no_nested_event_and_writes_audited_rows(db: dict[str, Any]) -> None:
    infra = Infrastructure({**db, "models": {"Tag": {"audit": False}}})
    await infra.start()
    try:
        alice = await infra.repository("user").create({"email": "a@example.com"})
        post = await infra.repository("post").create(
            {"title": "p", "authorId": alice["id"], "tags": {"create": [{"name": "t"}]}}
        )
        tag = await infra.repository("tag").update(
            {"name": "t"}, {"posts": {"create": {"title": "q", "authorId": alice["id"]}}}
        )
        created = next(p for p in await infra.repository("post").find_many() if p["title"] == "q")
        assert tag is not None
        assert rows(await trail(infra)) == [
            ("User", "create", {"id": alice["id"]}),
            ("Post", "create", {"id": post["id"]}),
            ("Post", "create", {"id": created["id"]}),  # written through a Tag, which is not audited
        ]
    finally:
        await infra.close()


async def test_a_top_level_upsert_and_writes_two_levels_down(infra: Infrastructure) -> None:
    users = infra.repository("user")
    where = {"email": "u@example.com"}
    made = await users.upsert(
        where, create={"email": "u@example.com", "posts": {"create": {"title": "p"}}}, update={"name": "never"}
    )
    post = (await infra.repository("post").find_many())[0]
    tag = await infra.repository("tag").create({"name": "t"})
    seq = last_seq(await trail(infra))
    await users.upsert(
        where,
        create={"email": "u@example.com"},
        update={
            "name": "U",
            "posts": {
                "update": {
                    "where": {"id": post["id"]},
                    "data": {
                        "views": 3,
                        "tags": {"connect": {"id": tag["id"]}, "create": {"name": "deep"}},
                    },
                }
            },
        },
    )
    events = await trail(infra)
    deep = next(t for t in await infra.repository("tag").find_many() if t["name"] == "deep")
    assert rows(events[:2]) == [("User", "upsert", {"id": made["id"]}), ("Post", "create", {"id": post["id"]})]
    assert events[0]["details"] == {"created": True}
    upserted = [e for e in events if e["seq"] > seq]
    assert rows(upserted) == [
        ("User", "upsert", {"id": made["id"]}),
        ("Post", "update", {"id": post["id"]}),
        ("Tag", "update", {"id": tag["id"]}),
        ("Tag", "create", {"id": deep["id"]}),
    ]
    assert upserted[0]["details"] == {"created": False}
    assert upserted[1]["diff"] == {"views": {"from": 0, "to": 3}}
    assert upserted[2]["details"]["linked"] == [{"via": "Post.tags", "record_id": {"id": post["id"]}}]
    assert upserted[3]["details"] == {"nested": "Post.tags", "parent": {"id": post["id"]}}


async def test_without_before_images_nested_rows_keep_theirs(db: dict[str, Any]) -> None:
    async with started(db, before_images=False) as infra:
        users = infra.repository("user")
        alice = await users.create({"email": "a@example.com", "posts": {"create": {"title": "p"}}})
        post = (await infra.repository("post").find_many())[0]
        await users.update(alice["id"], {"posts": {"update": {"where": {"id": post["id"]}, "data": {"views": 1}}}})
        update, nested = (await trail(infra))[-2:]
        assert update["before"] is None and update["after"]["id"] == alice["id"]
        # The rows a nested write touches are found by comparing them before and after: the image is there.
        assert nested["before"]["views"] == 0 and nested["diff"] == {"views": {"from": 0, "to": 1}}


async def test_a_to_many_written_by_key_alone_is_read_for_those_rows_only(infra: Infrastructure) -> None:
    users = infra.repository("user")
    alice = await users.create({"email": "a@example.com", "posts": {"create": [{"title": f"p{i}"} for i in range(5)]}})
    first = min(p["id"] for p in await infra.repository("post").find_many())
    capture = infra.audit.capture_
    read, seen = capture._read, []

    async def spy(op: Any, model: str, action: Any, args: dict[str, Any]) -> Any:
        found = await read(op, model, action, args)
        if model == "User":
            seen.append(len(found["posts"]))
        return found

    capture._read = spy  # type: ignore[method-assign]
    seq = last_seq(await trail(infra))
    await users.update(alice["id"], {"posts": {"update": {"where": {"id": first}, "data": {"views": 2}}}})
    capture._read = read  # type: ignore[method-assign]
    assert seen == [1, 1]  # before and after: the named post, not the user's five
    assert rows(await trail(infra, seq)) == [("User", "update", {"id": alice["id"]}), ("Post", "update", {"id": first})]
