"""The immutable query builder: refining never changes the original; terminals compile to operations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prisma_infra.data.pagination import CursorPage, Page
from prisma_infra.errors import UnknownFieldError, UnknownModelError, ValidationError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, CacheOptions

from core.tests.doubles import engine_of, memory_infrastructure


@pytest.fixture
async def infra() -> AsyncIterator[Infrastructure]:
    async with memory_infrastructure() as started:
        users = started.repository("user")
        await users.create_many(
            [{"email": f"u{i:02}@x.io", "name": "Ann" if i % 3 == 0 else "Bob", "role": "USER"} for i in range(12)]
        )
        yield started


async def test_every_step_returns_a_new_builder_and_leaves_the_original_unchanged(infra: Infrastructure) -> None:
    base = infra.query("user")
    before = base.explain()
    refined = (
        base.where({"role": "USER"}).search("ann", ["name"]).include(["posts"]).select(["id"]).order_by("-id")
        .paginate(page=2, limit=3).take(3).skip(1).distinct("name").cursor(4).cache(ttl=5)
    )
    assert refined is not base
    assert base.explain() == before
    assert {k: v for k, v in before.items() if k != "cache"} == {
        "model": "User", "action": "findMany", "args": {}, "models_touched": ["User"], "pagination": None,
        "transaction": None,
    }
    assert before["cache"]["cached"] is False  # this infrastructure runs with the cache off
    published = base.where(name="Ann")
    assert base.compile() == {} and published.compile() == {"where": {"name": "Ann"}}
    assert published.order_by("id").compile() != published.compile()


async def test_where_twice_combines_with_and(infra: Infrastructure) -> None:
    query = infra.query("user").where({"name": "Ann"}).where({"id": {"gt": 3}}, role="USER")
    assert query.compile()["where"] == {"AND": [{"name": "Ann"}, {"id": {"gt": 3}}, {"role": "USER"}]}
    rows = await query.execute()
    assert isinstance(rows, list) and [r["id"] for r in rows] == [4, 7, 10]


async def test_include_select_and_order_merge_or_append(infra: Infrastructure) -> None:
    query = infra.query("user").include(["posts"]).include({"posts": {"include": {"tags": True}}, "profile": True})
    assert query.compile()["include"] == {"posts": {"include": {"tags": True}}, "profile": True}
    ordered = infra.query("user").order_by({"name": "asc"}).order_by("-id")
    assert ordered.compile()["orderBy"] == [{"name": "asc"}, {"id": "desc"}]
    assert infra.query("user").select(["id"]).select(["email"]).compile()["select"] == {"id": True, "email": True}


async def test_terminals(infra: Infrastructure) -> None:
    anns = infra.query("user").where(name="Ann")
    assert await anns.count() == 4
    assert await anns.exists() and not await anns.where(name="Zed").exists()
    first = await anns.order_by("-id").first()
    assert first is not None and first["id"] == 10
    assert [r["id"] for r in await anns.order_by("id").take(2).skip(1).all()] == [4, 7]


async def test_paginate_returns_pages(infra: Infrastructure) -> None:
    page = await infra.query("user").order_by("id").paginate(page=2, limit=5).execute()
    assert isinstance(page, Page) and [r["id"] for r in page.items] == [6, 7, 8, 9, 10] and page.total == 12
    first = await infra.query("user").cursor_paginate(limit=5).execute()
    assert isinstance(first, CursorPage) and first.next_cursor == 5
    second = await infra.query("user").cursor_paginate(after=first.next_cursor, limit=5).execute()
    assert isinstance(second, CursorPage) and [r["id"] for r in second.items] == [6, 7, 8, 9, 10]


async def test_search_is_case_insensitive_and_checked_early(infra: Infrastructure) -> None:
    rows = await infra.query("user").search("ANN").execute()
    assert isinstance(rows, list) and len(rows) == 4
    with pytest.raises(UnknownFieldError):
        infra.query("user").search("x", ["nmae"])


async def test_cache_options_travel_on_the_operation_context(infra: Infrastructure) -> None:
    query = infra.query("user").where(name="Ann").cache(ttl=30, swr=5, tags=["users"], key="anns")
    await query.execute()
    await query.count()
    engine = engine_of(infra)
    expected = CacheOptions(enabled=True, ttl=30, swr=5, tags=("users",), key="anns")
    assert [c.context.cache for c in engine.calls[-2:]] == [expected, expected]
    await infra.query("user").no_cache().first()
    assert engine.calls[-1].context.cache == CacheOptions(enabled=False)
    await infra.query("user").first()
    assert engine.calls[-1].context.cache is None


async def test_explain(infra: Infrastructure) -> None:
    plan = (
        infra.query("post").where({"author": {"is": {"email": "a@x.io"}}}).include(["tags"])
        .paginate(page=3, limit=10).cache(ttl=60, tags=["posts"]).explain()
    )
    assert plan["model"] == "Post" and plan["action"] == "findMany"
    assert plan["args"] == {
        "where": {"author": {"is": {"email": "a@x.io"}}}, "include": {"tags": True}, "skip": 20, "take": 10,
    }
    assert plan["models_touched"] == ["Post", "Tag", "User"]
    assert plan["pagination"]["kind"] == "offset"
    assert plan["cache"]["ttl"] == 60 and plan["cache"]["serve_stale"] is True
    assert plan["cache"]["cached"] is False and "disabled" in plan["cache"]["reason"]
    assert engine_of(infra).calls[-1].action is Action.CREATE_MANY  # explain runs nothing


async def test_stream(infra: Infrastructure) -> None:
    batches = [b async for b in infra.query("user").where(name="Bob").stream(batch_size=3)]
    assert [len(b) for b in batches] == [3, 3, 2]
    with pytest.raises(ValidationError, match="remove order_by"):
        infra.query("user").order_by("name").stream()


async def test_unknown_model(infra: Infrastructure) -> None:
    with pytest.raises(UnknownModelError, match="Did you mean 'Post'"):
        infra.query("posts")


async def test_explain_shows_the_cache_key_tags_and_tiers() -> None:
    from core.tests.doubles import memory_infrastructure

    async with memory_infrastructure(cache={"tiers": ["memory"], "ttl": 30}) as infra:
        plan = infra.query("post").include(["author"]).cache(ttl=60, tags=["home"]).explain()
        cache = plan["cache"]
        assert cache["cached"] is True and cache["tiers"] == ["memory"] and cache["ttl"] == 60
        assert cache["key"] and {"m:Post", "m:User", "t:home"} <= set(cache["tags"])
