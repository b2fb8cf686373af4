"""RestApi lists (rest/listing.py): pages and cursors with Link headers, filters, search, POST search, count."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from core.tests.rest.api_support import BASE, ApiClient, api_database, client

__all__ = ["api_database", "client"]  # the fixtures

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def seed_users(client: ApiClient, n: int = 5) -> list[dict[str, Any]]:
    users = client.infra.repository("user")
    return [await users.create({"email": f"u{i}@x.io", "name": f"User {i}", "karma": i}) for i in range(1, n + 1)]


def links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="([a-z]+)"', header)}


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


async def test_page_pagination_with_links_and_metadata(client: ApiClient) -> None:
    users = await seed_users(client)
    first = await client.get("/user", query=[("order", "id.asc")])
    assert first.status == 200
    assert [u["id"] for u in first.json["data"]] == [users[0]["id"], users[1]["id"]]  # api.page_size = 2
    assert first.json["page"] == {"page": 1, "per_page": 2, "total": 5, "pages": 3}
    found = links(first.headers["link"])
    assert set(found) == {"first", "next", "last"}
    assert found["next"].startswith(f"{BASE}/user?")
    assert query_of(found["next"]) == {"order": ["id.asc"], "page": ["2"], "per_page": ["2"]}
    assert query_of(found["last"])["page"] == ["3"]
    middle = await client.get("/user", query=[("order", "id.asc"), ("page", "2")])
    assert set(links(middle.headers["link"])) == {"first", "prev", "next", "last"}
    last = await client.get(urlsplit(found["last"]).path.removeprefix("/api"), query=query_of_pairs(found["last"]))
    assert [u["id"] for u in last.json["data"]] == [users[4]["id"]]
    assert "next" not in links(last.headers["link"])
    assert all("secretNote" not in u for u in first.json["data"])


def query_of_pairs(url: str) -> list[tuple[str, str]]:
    return [(k, v) for k, values in query_of(url).items() for v in values]


async def test_cursor_pagination_follows_next_links(client: ApiClient) -> None:
    users = await seed_users(client)
    seen: list[int] = []
    answer = await client.get("/user", query=[("cursor", ""), ("per_page", "2")])
    pages = 0
    while True:
        assert answer.status == 200, answer.json
        pages += 1
        seen += [u["id"] for u in answer.json["data"]]
        found = links(answer.headers.get("link", ""))
        if "next" not in found:
            assert answer.json["page"]["next_cursor"] is None
            break
        assert answer.json["page"]["next_cursor"] == query_of(found["next"])["cursor"][0]
        answer = await client.get("/user", query=query_of_pairs(found["next"]))
    assert seen == [u["id"] for u in users] and pages == 3
    bad = await client.get("/user", query=[("cursor", "not-a-cursor")])
    assert bad.status == 400


async def test_cursor_pages_over_a_compound_key(client: ApiClient) -> None:
    rows = client.infra.repository("enrollment")
    for s in (1, 2):
        for c in (1, 2):
            await rows.create({"studentId": s, "courseId": c})
    first = await client.get("/enrollment", query=[("cursor", ""), ("per_page", "3")])
    nxt = links(first.headers["link"])["next"]
    second = await client.get("/enrollment", query=query_of_pairs(nxt))
    keys = [(r["studentId"], r["courseId"]) for r in first.json["data"] + second.json["data"]]
    assert keys == [(1, 1), (1, 2), (2, 1), (2, 2)]


async def test_filters_order_and_search(client: ApiClient) -> None:
    await seed_users(client)
    high = await client.get("/user", query=[("karma", "gte.4"), ("order", "karma.desc")])
    assert [u["karma"] for u in high.json["data"]] == [5, 4] and high.json["page"]["total"] == 2
    named = await client.get("/user", query=[("search", "user 3")])
    assert [u["email"] for u in named.json["data"]] == ["u3@x.io"]
    as_json = await client.get("/user", query=[("where", '{"karma": {"lt": 2}}')])
    assert [u["karma"] for u in as_json.json["data"]] == [1]


async def test_excluded_fields_are_not_filterable_or_orderable(client: ApiClient) -> None:
    await seed_users(client, 1)
    for query in (
        [("secretNote", "eq.x")],
        [("order", "secretNote.asc")],
        [("where", '{"secretNote": "x"}')],
        [("select", "secretNote")],
    ):
        refused = await client.get("/user", query=query)
        assert refused.status == 422, (query, refused.json)
        assert refused.json.get("suggestion") != "secretNote"
    body = await client.post("/user/search", {"where": {"secretNote": {"contains": "x"}}})
    assert body.status == 422
    order = await client.post("/user/search", {"orderBy": [{"secretNote": "asc"}]})
    assert order.status == 422
    assert (await client.get("/user/count", query=[("secretNote", "is.null")])).status == 422


async def test_post_search_takes_a_full_where(client: ApiClient) -> None:
    await seed_users(client)
    found = await client.post(
        "/user/search",
        {"where": {"OR": [{"karma": {"in": [1, 5]}}, {"email": {"startsWith": "u3"}}]}, "orderBy": [{"karma": "asc"}]},
        query=[("per_page", "2")],
    )
    assert found.status == 200, found.json
    assert [u["karma"] for u in found.json["data"]] == [1, 3]
    assert found.json["page"]["total"] == 3
    assert links(found.headers["link"])["next"].startswith(f"{BASE}/user/search?")
    wrong = await client.post("/user/search", {"filter": {}})
    assert wrong.status == 422
    bare = await client.post("/user/search", query=[("karma", "gt.4")])  # no body: the query string alone
    assert bare.status == 200 and [u["karma"] for u in bare.json["data"]] == [5]


async def test_count(client: ApiClient) -> None:
    await seed_users(client)
    assert (await client.get("/user/count")).json == {"count": 5}
    assert (await client.get("/user/count", query=[("karma", "gt.3")])).json == {"count": 2}


async def test_include_a_relation_in_a_list(client: ApiClient) -> None:
    users = client.infra.repository("user")
    await users.create({"email": "a@x.io", "posts": {"create": [{"title": "P1"}, {"title": "P2"}]}})
    listed = await client.get("/user", query=[("include", "posts")])
    assert sorted(p["title"] for p in listed.json["data"][0]["posts"]) == ["P1", "P2"]
    assert listed.json["data"][0]["posts"][0]["price"] == "0"  # Decimal as a string
