"""The cache validator across two processes sharing Redis or memcached, on the real Prisma engine (SQLite).

The generation poll is set to an hour: everything these tests see comes from the
validator's own read of the store, never from the background sync.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action
from prisma_infra.ports.caching import CACHE_VALIDATOR

from tests.cache.cache_support import prisma_settings, shared_cache
from tests.cache.servers import Server

pytestmark = pytest.mark.integration

POSTS_WITH_AUTHORS = {"include": {"author": True}, "orderBy": {"id": "asc"}}
NO_POLL = {"sync_interval": 3600}


@pytest.fixture
async def two(sqlite_url: str, shared: str, namespace: str) -> AsyncIterator[tuple[Infrastructure, Infrastructure]]:
    """Instances A and B of one deployment: one database, one shared store, an L1 each."""
    cache = shared_cache(shared, namespace, ttl=600, store_options=NO_POLL)
    a = Infrastructure(prisma_settings(sqlite_url, cache))
    b = Infrastructure(prisma_settings(sqlite_url, cache))
    async with a, b:
        ann = await b.repository("user").create({"email": "ann@x.io", "name": "Ann"})
        await b.repository("post").create({"title": "Hello", "authorId": ann["id"]})
        yield a, b


async def validator(infra: Infrastructure, args: dict[str, Any]) -> str | None:
    service = infra.services.get(CACHE_VALIDATOR)
    assert service is not None
    return await service.validator(infra.repository("post").operation(Action.FIND_MANY, dict(args)))


async def names(infra: Infrastructure) -> set[str]:
    posts = await infra.repository("post").run(Action.FIND_MANY, dict(POSTS_WITH_AUTHORS))
    return {p["author"]["name"] for p in posts}


async def test_a_write_in_b_changes_the_validator_in_a_at_once(two: tuple[Infrastructure, Infrastructure]) -> None:
    a, b = two
    assert await names(a) == {"Ann"}  # A's L1 (and the store) hold the entry
    first = await validator(a, POSTS_WITH_AUTHORS)
    assert first is not None
    assert await validator(b, POSTS_WITH_AUTHORS) == first  # one deployment, one validator
    plain = await validator(a, {"orderBy": {"id": "asc"}})

    await b.repository("user").update_many(where={"email": "ann@x.io"}, data={"name": "Bea"})

    changed = await validator(a, POSTS_WITH_AUTHORS)  # no poll in between: read from the store
    assert changed is not None and changed != first
    assert await validator(b, POSTS_WITH_AUTHORS) == changed
    # The read A runs after asking is as new as the validator, although its poll never ran.
    assert await names(a) == {"Bea"}
    # A read that does not include the author keeps its validator in both processes.
    assert await validator(a, {"orderBy": {"id": "asc"}}) == plain
    assert await validator(b, {"orderBy": {"id": "asc"}}) == plain


async def test_a_write_to_an_unrelated_model_keeps_it(two: tuple[Infrastructure, Infrastructure]) -> None:
    a, b = two
    await names(a)
    first = await validator(a, POSTS_WITH_AUTHORS)
    await b.repository("enrollment").create({"studentId": 1, "courseId": 2})
    assert await validator(a, POSTS_WITH_AUTHORS) == first
    await b.repository("post").create({"title": "Second", "authorId": 1})
    assert await validator(a, POSTS_WITH_AUTHORS) not in (None, first)


async def test_none_while_the_store_is_unreachable(
    sqlite_url: str, shared: str, namespace: str, private_server: Server
) -> None:
    cache = shared_cache(shared, namespace, ttl=600, store_options={**NO_POLL, **private_server.store_options()})
    cache["stores"][shared]["timeout"] = 0.2
    async with Infrastructure(prisma_settings(sqlite_url, cache)) as infra:
        assert await validator(infra, {}) is not None
        private_server.kill()
        assert await validator(infra, {}) is None  # the REST layer falls back to a digest of the body
