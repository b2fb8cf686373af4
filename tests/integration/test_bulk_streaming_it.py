"""Bulk writes, streaming and relation loading against real databases."""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.errors import UniqueConstraintError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import Middleware

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


class CountQueries(Middleware):
    """Counts the operations of one model reaching the engine (installed on the runtime for a test)."""

    name = "count-queries"

    def __init__(self) -> None:
        self.seen: list[Operation] = []

    async def before(self, operation: Operation) -> Operation | None:
        self.seen.append(operation)
        return None


def spy(infra: Infrastructure) -> tuple[CountQueries, Any]:
    counter = CountQueries()
    runtime = infra.runtime
    original = runtime.handler
    runtime.handler = counter.wrap(original)
    return counter, original


async def test_bulk_create_with_a_failing_batch(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create({"email": "taken@x.io"})
    batch1 = [{"email": f"a{i}@x.io"} for i in range(4)]
    batch2 = [{"email": "b0@x.io"}, {"email": "b1@x.io"}, {"email": "taken@x.io"}, {"email": "b3@x.io"}]
    batch3 = [{"email": f"c{i}@x.io"} for i in range(4)]
    progress: list[tuple[int, int | None]] = []
    result = await users.bulk_create(batch1 + batch2 + batch3, batch_size=4,
                                     on_progress=lambda done, total: progress.append((done, total)))
    assert (result.matched, result.affected, result.batches) == (12, 8, 3)
    (failure,) = result.failures
    assert failure.batch_index == 1 and isinstance(failure.error, UniqueConstraintError)
    assert progress == [(4, 12), (8, 12), (12, 12)]
    assert await users.count({"email": {"startsWith": "b"}}) == 0  # batch 2: nothing written
    assert await users.count({"email": {"startsWith": "a"}}) == 4
    assert await users.count({"email": {"startsWith": "c"}}) == 4


async def test_bulk_create_stop_on_error(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create({"email": "taken@x.io"})
    records = [{"email": "a@x.io"}, {"email": "taken@x.io"}, {"email": "c@x.io"}]
    result = await users.bulk_create(records, batch_size=1, stop_on_error=True)
    assert result.stopped and result.batches == 2 and result.affected == 1
    assert not await users.exists({"email": "c@x.io"})


async def test_bulk_update_and_delete(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i:03}@x.io", "karma": i % 3} for i in range(250)])
    updated = await users.bulk_update({"karma": 0}, {"city": "Zero"}, batch_size=40)
    assert (updated.matched, updated.affected, updated.batches, updated.failures) == (84, 84, 3, [])
    assert await users.count({"city": "Zero"}) == 84
    deleted = await users.bulk_delete({"karma": {"gt": 0}}, batch_size=50)
    assert (deleted.matched, deleted.affected, deleted.batches) == (166, 166, 4)
    assert await users.count() == 84


async def test_bulk_upsert(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i}@x.io", "karma": 0} for i in range(5)])
    records = [{"email": f"u{i}@x.io", "karma": 10 + i, "name": f"n{i}"} for i in range(3, 9)]
    result = await users.bulk_upsert(records, key=["email"], batch_size=4)
    assert (result.matched, result.affected, result.batches, result.failures) == (6, 6, 2, [])
    rows = await users.find_many(order_by="email")
    assert isinstance(rows, list)
    assert [(r["email"], r["karma"]) for r in rows] == [
        ("u0@x.io", 0), ("u1@x.io", 0), ("u2@x.io", 0), ("u3@x.io", 13), ("u4@x.io", 14),
        ("u5@x.io", 15), ("u6@x.io", 16), ("u7@x.io", 17), ("u8@x.io", 18),
    ]


async def test_stream_in_key_order_with_bounded_batches(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.bulk_create([{"email": f"u{i:04}@x.io", "karma": i % 2} for i in range(2500)], batch_size=1000)
    sizes: list[int] = []
    last = 0
    total = 0
    async for batch in users.stream({"karma": 1}, batch_size=400, select=["email"]):
        sizes.append(len(batch))
        assert all(row["id"] > last for row in batch)
        last = batch[-1]["id"]
        total += len(batch)
    assert total == 1250 and max(sizes) == 400 and sizes[-1] == 50


async def test_stream_over_a_compound_key(infra: Infrastructure) -> None:
    enrollments = infra.repository("enrollment")
    rows = [{"studentId": s, "courseId": c, "grade": s * c} for s in range(1, 8) for c in range(1, 6)]
    await enrollments.create_many(rows)
    seen = [(r["studentId"], r["courseId"]) async for batch in enrollments.stream(batch_size=6) for r in batch]
    assert seen == sorted((r["studentId"], r["courseId"]) for r in rows)
    page = await enrollments.find_many(cursor_paginate={"after": {"studentId": 2, "courseId": 5}, "limit": 3})
    assert [(r["studentId"], r["courseId"]) for r in page.items] == [(3, 1), (3, 2), (3, 3)]  # type: ignore[union-attr]


async def test_load_relations_with_one_query_each(infra: Infrastructure) -> None:
    users = infra.repository("user")
    posts = infra.repository("post")
    for i in range(4):
        await users.create({
            "email": f"u{i}@x.io",
            **({"profile": {"create": {"bio": f"bio{i}"}}} if i % 2 == 0 else {}),
            "posts": {"create": [
                {"title": f"p{i}-{j}", "tags": {"connectOrCreate": [
                    {"where": {"name": f"t{j}"}, "create": {"name": f"t{j}"}},
                ]}} for j in range(i)
            ]},
        })
    all_users = await users.find_many(order_by="id")
    all_posts = await posts.find_many(order_by="id")
    assert isinstance(all_users, list) and isinstance(all_posts, list)
    counter, original = spy(infra)
    try:
        await users.load(all_users, "posts", order_by="title")  # 1-n
        await users.load(all_users, "profile")  # 1-1, the other side holds the key
        await posts.load(all_posts, "author", select=["email"])  # n-1
        await posts.load(all_posts, "tags")  # implicit m-n
        tags = await infra.repository("tag").find_many(order_by="name")
        assert isinstance(tags, list)
        await infra.repository("tag").load(tags, "posts", select=["title"])  # implicit m-n, other side
    finally:
        infra.runtime.handler = original
    assert [(op.model, op.action) for op in counter.seen] == [
        ("Post", Action.FIND_MANY), ("Profile", Action.FIND_MANY), ("User", Action.FIND_MANY),
        ("Tag", Action.FIND_MANY), ("Tag", Action.FIND_MANY), ("Post", Action.FIND_MANY),
    ]
    assert [[p["title"] for p in u["posts"]] for u in all_users] == [[], ["p1-0"], ["p2-0", "p2-1"],
                                                                      ["p3-0", "p3-1", "p3-2"]]
    assert [u["profile"]["bio"] if u["profile"] else None for u in all_users] == ["bio0", None, "bio2", None]
    assert all(p["author"]["email"] == f"u{p['title'][1]}@x.io" for p in all_posts)
    assert {p["title"]: [t["name"] for t in p["tags"]] for p in all_posts} == {
        "p1-0": ["t0"], "p2-0": ["t0"], "p2-1": ["t1"], "p3-0": ["t0"], "p3-1": ["t1"], "p3-2": ["t2"],
    }
    assert all("posts" not in t for p in all_posts for t in p["tags"])
    assert {t["name"]: sorted(p["title"] for p in t["posts"]) for t in tags} == {
        "t0": ["p1-0", "p2-0", "p3-0"], "t1": ["p2-1", "p3-1"], "t2": ["p3-2"],
    }
