"""RestApi HTTP caching (rest/etag.py): ETags from the cache's validators, If-None-Match → 304, Cache-Control.

With the cache on, the ETag of a read is known before it runs (the cache's validator
of the read) and a matching If-None-Match answers 304 without running it; it changes
after a write to the model or to a model the read includes, and only then. With the
cache off, the ETag is the body's digest (304 still, after the read ran).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure

from core.tests.rest.api_support import ApiClient, api_database, clean
from core.tests.rest.rest_support import RestDatabase
from tests.cache.cache_support import shared_cache

__all__ = ["api_database"]

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

ANN = {"id": 1, "roles": ["EDITOR"]}
BOB = {"id": 2, "roles": ["EDITOR"]}


@pytest_asyncio.fixture(loop_scope="module")
async def cached(api_database: RestDatabase) -> AsyncIterator[Infrastructure]:
    await clean(api_database.infra)
    infra = await api_database.start(cache={"enabled": True, "ttl": 300}, api={"cache_control": "private, max-age=0"})
    try:
        yield infra
    finally:
        await infra.close()


class Counting:
    """Counts the operations `RestApi` hands the kernel (a 304 from a validator must run none)."""

    def __init__(self, infra: Infrastructure, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = infra.execute

        async def execute(operation: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return await original(operation, **kwargs)

        monkeypatch.setattr(infra, "execute", execute)


async def test_a_matching_etag_answers_304_without_running_the_read(
    cached: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = ApiClient(cached)
    with cached.acting_as(ANN):
        ann = (await client.post("/user", {"email": "ann@x.io"})).json
        first = await client.get(f"/user/{ann['id']}")
        assert first.status == 200 and first.headers["cache-control"] == "private, max-age=0"
        etag = first.headers["etag"]
        assert etag.startswith('W/"')
        counting = Counting(cached, monkeypatch)
        again = await client.get(f"/user/{ann['id']}", headers={"If-None-Match": etag})
        assert again.status == 304 and again.raw == b"" and again.headers["etag"] == etag
        assert counting.calls == 0  # the validator answered: no read ran
        other = await client.get(f"/user/{ann['id']}", headers={"If-None-Match": 'W/"other"'})
        assert other.status == 200 and counting.calls == 1
    with cached.acting_as(BOB):  # another actor: another ETag (the cache scope differs)
        assert (await client.get(f"/user/{ann['id']}")).headers["etag"] != etag


async def test_the_etag_of_a_list_changes_after_a_write_to_an_included_model(cached: Infrastructure) -> None:
    client = ApiClient(cached)
    with cached.acting_as(ANN):
        ann = (await client.post("/user", {"email": "ann@x.io"})).json
        query = [("include", "posts")]
        listed = await client.get("/user", query=query)
        etag = listed.headers["etag"]
        assert (await client.get("/user", query=query)).headers["etag"] == etag  # stable without writes
        await client.post("/enrollment", {"studentId": 1, "courseId": 1})  # an unrelated model
        assert (await client.get("/user", query=query, headers={"If-None-Match": etag})).status == 304
        await client.post("/post", {"title": "new", "authorId": ann["id"]})  # the included model
        changed = await client.get("/user", query=query, headers={"If-None-Match": etag})
        assert changed.status == 200 and changed.headers["etag"] != etag
        assert [p["title"] for p in changed.json["data"][0]["posts"]] == ["new"]
        # the same write does not touch a list that does not include posts... but the user list itself
        plain = (await client.get("/user")).headers["etag"]
        await client.post("/post", {"title": "newer", "authorId": ann["id"]})
        assert (await client.get("/user")).headers["etag"] == plain
        await client.send("PATCH", f"/user/{ann['id']}", {"karma": 3})
        assert (await client.get("/user")).headers["etag"] != plain


async def test_count_and_pages_have_their_own_etags(cached: Infrastructure) -> None:
    client = ApiClient(cached)
    with cached.acting_as(ANN):
        for i in range(3):
            await client.post("/user", {"email": f"u{i}@x.io"})
        one = (await client.get("/user", query=[("page", "1")])).headers["etag"]
        two = (await client.get("/user", query=[("page", "2")])).headers["etag"]
        count = await client.get("/user/count")
        assert len({one, two, count.headers["etag"]}) == 3
        assert (await client.get("/user/count", headers={"If-None-Match": count.headers["etag"]})).status == 304


async def test_a_write_in_another_instance_changes_the_etag_at_once(api_database: RestDatabase) -> None:
    """Two instances of one deployment (one database, one Redis, an L1 each; no generation poll)."""
    await clean(api_database.infra)
    cache = shared_cache("redis", f"rest{uuid.uuid4().hex[:8]}", ttl=600, store_options={"sync_interval": 3600})
    plugins = {"load": ["prisma", "redis"]}
    a = await api_database.start(cache=cache, plugins=plugins)
    b = await api_database.start(cache=cache, plugins=plugins)
    try:
        first, second = ApiClient(a), ApiClient(b)
        with a.acting_as(ANN):
            ann = (await first.post("/user", {"email": "ann@x.io"})).json
            query = [("include", "posts")]
            etag = (await first.get("/user", query=query)).headers["etag"]
            assert (await first.get("/user", query=query, headers={"If-None-Match": etag})).status == 304
        with b.acting_as(ANN):
            assert (await second.get("/user", query=query)).headers["etag"] == etag  # one deployment, one ETag
            await second.post("/post", {"title": "from b", "authorId": ann["id"]})
        with a.acting_as(ANN):
            changed = await first.get("/user", query=query, headers={"If-None-Match": etag})
        assert changed.status == 200 and changed.headers["etag"] != etag
        assert [p["title"] for p in changed.json["data"][0]["posts"]] == ["from b"]
    finally:
        await a.close()
        await b.close()


async def test_without_a_validator_the_etag_is_the_bodys(api_database: RestDatabase) -> None:
    await clean(api_database.infra)
    client = ApiClient(api_database.infra)  # cache off
    ann = (await client.post("/user", {"email": "ann@x.io"})).json
    first = await client.get(f"/user/{ann['id']}")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"  # api.cache_control's default
    assert (await client.get(f"/user/{ann['id']}", headers={"If-None-Match": etag})).status == 304
    await client.send("PATCH", f"/user/{ann['id']}", {"karma": 1})
    changed = await client.get(f"/user/{ann['id']}", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["etag"] != etag
    assert "etag" not in (await client.post("/user/search", {})).headers  # only GET reads
