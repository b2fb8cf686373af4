"""Repositories against real PostgreSQL, MariaDB and SQLite through the Prisma engine."""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.data.pagination import CursorPage, Page
from prisma_infra.errors import RecordNotFoundError, UniqueConstraintError, UnknownFieldError, UnknownModelError
from prisma_infra.infrastructure import Infrastructure

from tests.integration.it_support import Database

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def seed(infra: Infrastructure) -> dict[str, Any]:
    """Ann (2 posts, one published, tags a+b, a profile), Bob (1 draft, tag b), Cid (no posts)."""
    users = infra.repository("user")
    ann = await users.create({
        "email": "ann@x.io", "name": "Ann Smith", "city": "Paris", "karma": 10,
        "profile": {"create": {"bio": "writes"}},
        "posts": {"create": [
            {"title": "Hello Prisma", "published": True, "views": 100,
             "tags": {"create": [{"name": "a"}, {"name": "b"}]}},
            {"title": "Draft one", "views": 5},
        ]},
    })
    bob = await users.create({
        "email": "bob@x.io", "name": "Bob", "city": "paris", "karma": 3,
        "posts": {"create": [{"title": "Bob's draft", "views": 1, "tags": {"connect": [{"name": "b"}]}}]},
    })
    cid = await users.create({"email": "cid@x.io", "name": "Cid Émile", "city": "Lyon"})
    return {"ann": ann, "bob": bob, "cid": cid}


async def test_unknown_model_and_field(infra: Infrastructure) -> None:
    with pytest.raises(UnknownModelError, match="Did you mean 'Post'"):
        infra.repository("pots")
    with pytest.raises(UnknownFieldError, match="Did you mean 'email'"):
        await infra.repository("User").find_many({"emal": "x"})


async def test_crud(infra: Infrastructure) -> None:
    users = infra.repository("USER")
    ann = await users.create({"email": "ann@x.io", "name": "Ann"})
    assert await users.find_unique(ann["id"]) == ann
    slim = await users.find_unique({"email": "ann@x.io"}, select=["id", "email"])
    assert slim == {"id": ann["id"], "email": "ann@x.io"}
    assert await users.find_unique({"email": "nobody@x.io"}) is None
    with pytest.raises(RecordNotFoundError, match="No User record found by email") as info:
        await users.find_unique_or_raise({"email": "nobody@x.io"})
    assert info.value.model == "User" and info.value.where == {"email": "nobody@x.io"}
    assert "nobody" not in str(info.value)  # the e-mail stays out of the message
    assert (await users.find_unique_or_raise(ann["id"]))["name"] == "Ann"
    assert (await users.update(ann["id"], {"karma": {"increment": 5}}))["karma"] == 5
    assert (await users.find_first({"karma": {"gt": 1}}, order_by="-id"))["id"] == ann["id"]  # type: ignore[index]
    assert await users.exists({"email": "ann@x.io"}) and not await users.exists({"email": "zed@x.io"})
    with pytest.raises(UniqueConstraintError):
        await users.create({"email": "ann@x.io"})
    assert await users.delete({"email": "ann@x.io"}) == {**ann, "karma": 5}
    with pytest.raises(RecordNotFoundError):
        await users.delete(ann["id"])
    assert await users.count() == 0


async def test_many_writes_and_upsert(db: Database, infra: Infrastructure) -> None:
    users = infra.repository("user")
    assert await users.create_many([{"email": f"u{i}@x.io", "karma": i} for i in range(5)]) == {"count": 5}
    if db.provider != "sqlite":  # Prisma has no skipDuplicates on SQLite
        again = [{"email": "u0@x.io"}, {"email": "u9@x.io"}]
        assert await users.create_many(again, skip_duplicates=True) == {"count": 1}
    assert await users.update_many({"karma": {"gte": 3}}, {"city": "Oslo"}) == {"count": 2}
    assert await users.count({"city": "Oslo"}) == 2
    first = await users.upsert({"email": "new@x.io"}, create={"email": "new@x.io", "karma": 1},
                               update={"karma": {"increment": 1}})
    again = await users.upsert({"email": "new@x.io"}, create={"email": "new@x.io", "karma": 1},
                               update={"karma": {"increment": 1}})
    assert (first["karma"], again["karma"], first["id"]) == (1, 2, again["id"])
    assert await users.delete_many({"city": "Oslo"}) == {"count": 2}


async def test_relation_filters_include_and_select(infra: Infrastructure) -> None:
    people = await seed(infra)
    users = infra.repository("user")

    async def emails(where: dict[str, Any]) -> list[str]:
        rows = await users.find_many(where, order_by="email")
        assert isinstance(rows, list)
        return [r["email"] for r in rows]

    assert await emails({"posts": {"some": {"published": True}}}) == ["ann@x.io"]
    assert await emails({"posts": {"every": {"published": False}}}) == ["bob@x.io", "cid@x.io"]
    assert await emails({"posts": {"none": {}}}) == ["cid@x.io"]
    assert await emails({"profile": {"is": {"bio": "writes"}}}) == ["ann@x.io"]
    assert await emails({"profile": {"is": None}}) == ["bob@x.io", "cid@x.io"]
    assert await emails({"posts": {"some": {"tags": {"some": {"name": "b"}}}}}) == ["ann@x.io", "bob@x.io"]
    posts = await infra.repository("post").find_many({"author": {"is": {"karma": {"gte": 10}}}}, include=["author"])
    assert isinstance(posts, list) and {p["author"]["email"] for p in posts} == {"ann@x.io"}

    ann = await users.find_unique(people["ann"]["id"], include=["profile", "posts.tags"])
    assert ann is not None and ann["profile"]["bio"] == "writes"
    assert sorted(t["name"] for p in ann["posts"] for t in p["tags"]) == ["a", "b"]
    slim = await users.find_unique(people["ann"]["id"], select={"email": True, "posts": {"select": {"title": True}}})
    assert slim is not None and set(slim) == {"email", "posts"} and len(slim["posts"]) == 2
    counted = await users.find_many(select={"email": True, "_count": {"select": {"posts": True}}}, order_by="email")
    assert isinstance(counted, list) and [c["_count"]["posts"] for c in counted] == [2, 1, 0]
    distinct = await users.find_many(distinct="city", select=["city"], order_by="city")
    assert isinstance(distinct, list) and len(distinct) >= 2


async def test_aggregate_and_group_by(infra: Infrastructure) -> None:
    await seed(infra)
    posts = infra.repository("post")
    agg = await posts.aggregate(count={"_all": True}, sum=["views"], avg=["views"], min=["views"], max=["views"])
    assert agg["_count"]["_all"] == 3 and agg["_sum"]["views"] == 106
    assert agg["_min"]["views"] == 1 and agg["_max"]["views"] == 100
    assert float(agg["_avg"]["views"]) == pytest.approx(106 / 3)
    groups = await posts.group_by("published", count={"_all": True}, sum=["views"], order_by={"published": "asc"})
    assert [(bool(g["published"]), g["_count"]["_all"], g["_sum"]["views"]) for g in groups] == [
        (False, 2, 6), (True, 1, 100),
    ]
    having = await posts.group_by(["authorId"], count=True, having={"views": {"_sum": {"gt": 50}}})
    assert len(having) == 1


async def test_offset_pagination(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i:02}@x.io"} for i in range(23)])
    page = await users.find_many(order_by="email", paginate={"page": 3, "limit": 10})
    assert isinstance(page, Page)
    assert [u["email"] for u in page.items] == ["u20@x.io", "u21@x.io", "u22@x.io"]
    assert (page.total, page.pages, page.has_next, page.has_previous) == (23, 3, False, True)
    filtered = await users.find_many({"email": {"startsWith": "u1"}}, paginate={"page": 1, "limit": 4})
    assert isinstance(filtered, Page) and filtered.total == 10 and len(filtered.items) == 4 and filtered.has_next


async def test_cursor_pagination(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create_many([{"email": f"u{i:02}@x.io", "karma": i % 4} for i in range(23)])
    seen: list[str] = []
    after = None
    while True:
        page = await users.find_many(cursor_paginate={"after": after, "limit": 10})
        assert isinstance(page, CursorPage)
        seen += [u["email"] for u in page.items]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == [f"u{i:02}@x.io" for i in range(23)]
    # with an ordering: Prisma's cursor plus the key as tie-breaker, stable across equal karma
    ordered: list[tuple[int, str]] = []
    after = None
    while True:
        page = await users.find_many(order_by="-karma", cursor_paginate={"after": after, "limit": 4})
        assert isinstance(page, CursorPage)
        ordered += [(u["karma"], u["email"]) for u in page.items]
        if not page.has_next:
            break
        after = page.next_cursor
    assert len(ordered) == 23 and len(set(ordered)) == 23
    assert [k for k, _ in ordered] == sorted((k for k, _ in ordered), reverse=True)


async def test_search_is_case_insensitive_on_every_provider(infra: Infrastructure) -> None:
    await seed(infra)
    users = infra.repository("user")

    async def found(query: str, fields: list[str] | None = None) -> list[str]:
        rows = await users.search(query, fields, order_by="email")
        assert isinstance(rows, list)
        return [r["email"] for r in rows]

    assert await found("SMITH") == ["ann@x.io"]
    assert await found("ann smith", ["name"]) == ["ann@x.io"]
    assert await found("PARIS", ["city"]) == ["ann@x.io", "bob@x.io"]
    assert await found("paris bob") == ["bob@x.io"]
    assert await found("émile", ["name"]) == ["cid@x.io"]
    assert await found("nothing-like-this") == []
    page = await users.search("x.io", paginate={"page": 1, "limit": 2})
    assert isinstance(page, Page) and page.total == 3 and len(page.items) == 2
    assert await infra.query("post").search("PRISMA").count() == 1
