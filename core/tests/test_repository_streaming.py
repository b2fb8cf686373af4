"""Streaming in key order with bounded batches, and loading relations with one query."""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.errors import ValidationError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation

from core.tests.doubles import MemoryEngine, engine_of, memory_infrastructure


async def test_stream_yields_bounded_batches_in_key_order(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i}@x.io", "name": "even" if i % 2 == 0 else "odd"} for i in range(25)])
    engine = engine_of(infra)
    engine.calls.clear()
    batches = [batch async for batch in users.stream({"name": "even"}, batch_size=5)]
    assert [len(b) for b in batches] == [5, 5, 3]
    ids = [u["id"] for b in batches for u in b]
    assert ids == sorted(ids) and len(set(ids)) == 13
    # one findMany per batch; later batches continue after the last key (keyset)
    assert [c.action for c in engine.calls] == [Action.FIND_MANY] * 3
    assert engine.calls[1].args["where"] == {"AND": [{"name": "even"}, {"id": {"gt": batches[0][-1]["id"]}}]}
    assert engine.calls[0].args["orderBy"] == [{"id": "asc"}]


async def test_stream_survives_deleting_what_it_has_read(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i}@x.io"} for i in range(10)])
    total = 0
    async for batch in users.stream(batch_size=3):
        total += len(batch)
        await users.delete_many({"id": {"in": [u["id"] for u in batch]}})
    assert total == 10 and await users.count() == 0


async def test_stream_of_an_exact_multiple_stops_on_an_empty_batch(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i}@x.io"} for i in range(4)])
    assert [len(b) async for b in users.stream(batch_size=2)] == [2, 2]
    assert [b async for b in infra.repository("tag").stream()] == []


async def test_stream_keeps_the_key_in_a_selection(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i}@x.io"} for i in range(3)])
    batches = [b async for b in users.stream(select=["email"], batch_size=2)]
    assert batches[0][0] == {"email": "u0@x.io", "id": 1}


async def test_stream_rejects_a_bad_batch_size(infra: Infrastructure) -> None:
    with pytest.raises(ValidationError, match="batch_size"):
        async for _ in infra.repository("user").stream(batch_size=0):
            pass


async def test_stream_over_a_compound_key() -> None:
    async with memory_infrastructure(fixture="shop_mysql", provider="mysql") as infra:
        items = infra.repository("orderItem")
        assert items.info.key_fields == ("orderId", "productId")
        rows = [{"orderId": o, "productId": p, "unitPrice": 1} for o in (1, 2, 3) for p in (1, 2)]
        await items.create_many(rows)
        batches = [b async for b in items.stream(batch_size=4)]
        walked = [(r["orderId"], r["productId"]) for b in batches for r in b]
        assert walked == [(r["orderId"], r["productId"]) for r in rows]
        engine = infra.engine
        assert isinstance(engine, MemoryEngine)
        assert engine.calls[-1].args["where"] == {
            "OR": [{"orderId": {"gt": 2}}, {"orderId": 2, "productId": {"gt": 2}}]
        }
        assert engine.calls[-1].args["orderBy"] == [{"orderId": "asc"}, {"productId": "asc"}]


# -- load --------------------------------------------------------------------------------


async def test_load_one_to_many_with_one_query(infra: Infrastructure) -> None:
    users = infra.repository("user")
    posts = infra.repository("post")
    ann = await users.create({"email": "ann@x.io"})
    bob = await users.create({"email": "bob@x.io"})
    cid = await users.create({"email": "cid@x.io"})
    for i, author in enumerate([ann, bob, ann]):
        await posts.create({"id": f"p{i}", "title": f"t{i}", "body": "b", "authorId": author["id"]})
    records = await users.find_many()
    assert isinstance(records, list)
    engine = engine_of(infra)
    engine.calls.clear()
    assert await users.load(records, "posts", order_by="title") is records
    assert len(engine.calls) == 1
    (call,) = engine.calls
    assert call.model == "Post" and call.args["orderBy"] == [{"title": "asc"}]
    assert sorted(call.args["where"]["authorId"]["in"]) == [ann["id"], bob["id"], cid["id"]]
    by_email = {r["email"]: [p["title"] for p in r["posts"]] for r in records}
    assert by_email == {"ann@x.io": ["t0", "t2"], "bob@x.io": ["t1"], "cid@x.io": []}


async def test_load_many_to_one_from_the_foreign_key_side(infra: Infrastructure) -> None:
    users = infra.repository("user")
    posts = infra.repository("post")
    ann = await users.create({"email": "ann@x.io"})
    for i in range(3):
        await posts.create({"id": f"p{i}", "title": f"t{i}", "body": "b", "authorId": ann["id"]})
    records = await posts.find_many()
    assert isinstance(records, list)
    engine = engine_of(infra)
    engine.calls.clear()
    await posts.load(records, "author", select=["email"])
    (call,) = engine.calls
    assert call.model == "User"
    assert call.args == {"select": {"email": True, "id": True}, "where": {"id": {"in": [ann["id"]]}}}
    assert all(r["author"] == {"email": "ann@x.io", "id": ann["id"]} for r in records)


async def test_load_one_to_one_both_sides(infra: Infrastructure) -> None:
    users = infra.repository("user")
    profiles = infra.repository("profile")
    ann = await users.create({"email": "ann@x.io"})
    bob = await users.create({"email": "bob@x.io"})
    await profiles.create({"id": "pr1", "bio": "hi", "userId": ann["id"]})
    records = await users.find_many(order_by="id")
    assert isinstance(records, list)
    await users.load(records, "profile")
    assert records[0]["profile"]["bio"] == "hi" and records[1]["profile"] is None
    owned = await profiles.find_many()
    assert isinstance(owned, list)
    await profiles.load(owned, "user")
    assert owned[0]["user"]["email"] == "ann@x.io"
    assert bob["id"] != ann["id"]


async def test_load_skips_null_foreign_keys_and_empty_lists(infra: Infrastructure) -> None:
    comments = [{"id": 1, "authorId": None}, {"id": 2, "authorId": None}]
    engine = engine_of(infra)
    await infra.repository("comment").load(comments, "author")
    assert engine.calls == [] and [c["author"] for c in comments] == [None, None]
    assert await infra.repository("comment").load([], "author") == []


async def test_load_implicit_many_to_many_with_one_query(infra: Infrastructure) -> None:
    engine = engine_of(infra)
    links = {"t1": ["p1", "p2"], "t2": ["p2"], "t3": ["p9"]}

    def tags(op: Operation) -> list[dict[str, Any]]:
        asked = op.args["include"]["posts"]["where"]["id"]["in"]
        out = []
        for name, post_ids in links.items():
            owners = [{"id": p} for p in post_ids if p in asked]
            if owners:
                out.append({"id": name, "name": name, "posts": owners})
        return out

    engine.responses[Action.FIND_MANY] = tags
    posts = [{"id": "p1"}, {"id": "p2"}, {"id": "p3"}]
    await infra.repository("post").load(posts, "tags")
    (call,) = engine.calls
    assert call.model == "Tag"
    assert call.args["where"] == {"posts": {"some": {"id": {"in": call.args["include"]["posts"]["where"]["id"]["in"]}}}}
    assert call.args["include"] == {"posts": {"select": {"id": True}, "where": call.args["where"]["posts"]["some"]}}
    assert sorted(call.args["include"]["posts"]["where"]["id"]["in"]) == ["p1", "p2", "p3"]
    assert [[t["name"] for t in p["tags"]] for p in posts] == [["t1"], ["t1", "t2"], []]
    assert "posts" not in posts[1]["tags"][0]  # the back-reference used for grouping is removed


async def test_load_rejects_scalar_fields_and_missing_keys(infra: Infrastructure) -> None:
    posts = infra.repository("post")
    with pytest.raises(ValidationError, match="not a relation"):
        await posts.load([{"id": "p"}], "title")
    with pytest.raises(ValidationError, match="lack authorId"):
        await posts.load([{"id": "p"}], "author")
