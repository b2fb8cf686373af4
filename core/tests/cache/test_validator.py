"""The cache validator (``CACHE_VALIDATOR``, the REST API's ETags) on the real Prisma engine (SQLite, memory tier).

It must change exactly when the cache drops the read's entry: each test checks the
validator and, next to it, whether the same read was answered by the cache or the engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, CacheOptions
from prisma_infra.ports.caching import CACHE_VALIDATOR

from tests.integration.it_support import fresh_database, settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

POSTS_WITH_AUTHORS = {"include": {"author": True}, "orderBy": {"id": "asc"}}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return await fresh_database("sqlite", tmp_path_factory.mktemp("validator"))


def cached_settings(url: str, cache: dict[str, Any]) -> dict[str, Any]:
    return {**settings("sqlite", url), "cache": cache}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def infra(sqlite_url: str) -> AsyncIterator[Infrastructure]:
    config = cached_settings(sqlite_url, {"tiers": ["memory"], "ttl": 600})
    config["models"] = {"Tag": {"cache": {"enabled": False}}}
    async with Infrastructure(config) as started:
        ann = await started.repository("user").create({"email": "ann@x.io", "name": "Ann"})
        await started.repository("post").create({"title": "Hello", "authorId": ann["id"]})
        yield started


async def validator(infra: Infrastructure, model: str, args: dict[str, Any], **options: Any) -> str | None:
    service = infra.services.get(CACHE_VALIDATOR)
    assert service is not None, "the cache publishes its validator"
    cache = CacheOptions(**options) if options else None
    return await service.validator(infra.repository(model).operation(Action.FIND_MANY, dict(args), cache=cache))


def memory_hits(infra: Infrastructure, model: str) -> int:
    return int(infra.cache_for(model).stats()["tiers"]["memory"]["hits"])


async def read_posts(infra: Infrastructure) -> list[dict[str, Any]]:
    result = await infra.repository("post").run(Action.FIND_MANY, dict(POSTS_WITH_AUTHORS))
    assert isinstance(result, list)
    return result


async def test_stable_without_writes_and_across_fills(infra: Infrastructure) -> None:
    before = await validator(infra, "post", POSTS_WITH_AUTHORS)
    assert isinstance(before, str) and before
    await read_posts(infra)  # fills the entry
    hits = memory_hits(infra, "post")
    await read_posts(infra)
    assert memory_hits(infra, "post") == hits + 1  # the entry is valid ...
    assert await validator(infra, "post", POSTS_WITH_AUTHORS) == before  # ... and the validator unchanged
    # Another read (other args) has another validator.
    other = await validator(infra, "post", {"where": {"title": "Hello"}})
    assert other is not None and other != before


async def test_changes_after_a_write_to_the_model(infra: Infrastructure) -> None:
    await read_posts(infra)
    before = await validator(infra, "post", POSTS_WITH_AUTHORS)
    author = await infra.repository("user").find_first(where={"email": "ann@x.io"})
    assert author is not None
    await infra.repository("post").create({"title": "Second", "authorId": author["id"]})
    after = await validator(infra, "post", POSTS_WITH_AUTHORS)
    assert after is not None and after != before
    hits = memory_hits(infra, "post")
    assert [p["title"] for p in await read_posts(infra)][-1] == "Second"  # the entry was dropped
    assert memory_hits(infra, "post") == hits


async def test_changes_after_a_write_to_an_included_model(infra: Infrastructure) -> None:
    await read_posts(infra)
    before = await validator(infra, "post", POSTS_WITH_AUTHORS)
    without_include = await validator(infra, "post", {"orderBy": {"id": "asc"}})
    await infra.repository("user").update_many(where={"email": "ann@x.io"}, data={"name": "Bea"})
    after = await validator(infra, "post", POSTS_WITH_AUTHORS)
    assert after is not None and after != before
    # A read of posts that does not include the author keeps its validator (and its entry).
    assert await validator(infra, "post", {"orderBy": {"id": "asc"}}) == without_include
    hits = memory_hits(infra, "post")
    assert {p["author"]["name"] for p in await read_posts(infra)} == {"Bea"}
    assert memory_hits(infra, "post") == hits  # relation-aware invalidation dropped the entry
    assert await validator(infra, "post", POSTS_WITH_AUTHORS) == after


async def test_unchanged_after_a_write_to_an_unrelated_model(infra: Infrastructure) -> None:
    await read_posts(infra)
    before = await validator(infra, "post", POSTS_WITH_AUTHORS)
    await infra.repository("enrollment").create({"studentId": 1, "courseId": 2})
    assert await validator(infra, "post", POSTS_WITH_AUTHORS) == before
    hits = memory_hits(infra, "post")
    await read_posts(infra)
    assert memory_hits(infra, "post") == hits + 1  # the entry survived the unrelated write


async def test_changes_after_invalidate_and_clear(infra: Infrastructure) -> None:
    before = await validator(infra, "post", POSTS_WITH_AUTHORS)
    await infra.cache_for("user").invalidate()
    after_invalidate = await validator(infra, "post", POSTS_WITH_AUTHORS)
    assert after_invalidate not in (None, before)
    await infra.cache.clear()
    assert await validator(infra, "post", POSTS_WITH_AUTHORS) not in (None, before, after_invalidate)


async def test_none_for_reads_the_cache_does_not_keep(infra: Infrastructure) -> None:
    assert await validator(infra, "tag", {}) is None  # models.Tag.cache.enabled = false
    assert await validator(infra, "post", POSTS_WITH_AUTHORS, enabled=False) is None  # cache=False
    assert await validator(infra, "post", POSTS_WITH_AUTHORS, ttl=0, swr=0) is None
    service = infra.services.get(CACHE_VALIDATOR)
    assert service is not None
    async with infra.transaction() as tx:
        operation = tx.repository("post").operation(Action.FIND_MANY, {})
        assert operation.context.transaction is not None
        assert await service.validator(operation) is None
    create = infra.repository("post").operation(Action.CREATE, {"data": {"title": "x", "authorId": 1}})
    assert await service.validator(create) is None


async def test_none_when_the_cache_is_disabled(sqlite_url: str) -> None:
    async with Infrastructure(cached_settings(sqlite_url, {"enabled": False, "tiers": ["memory"]})) as off:
        assert await validator(off, "post", POSTS_WITH_AUTHORS) is None
        assert await validator(off, "user", {}) is None
