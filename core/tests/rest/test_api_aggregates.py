"""RestApi numbers (rest/aggregates.py): aggregate, group-by and analytics bodies and parameters."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from core.tests.rest.api_support import ApiClient, api_database, clean
from core.tests.rest.rest_support import RestDatabase

__all__ = ["api_database"]

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module")
async def client(api_database: RestDatabase) -> AsyncIterator[ApiClient]:
    await clean(api_database.infra)
    users = api_database.infra.repository("user")
    await users.create(
        {
            "email": "a@x.io",
            "role": "EDITOR",
            "karma": 10,
            "createdAt": "2026-01-05T10:00:00Z",
            "posts": {
                "create": [{"title": "a1", "views": 3, "price": "1.50"}, {"title": "a2", "views": 4, "price": "2.25"}]
            },
        }
    )
    await users.create({"email": "b@x.io", "karma": 1, "createdAt": "2026-01-06T10:00:00Z"})
    await users.create({"email": "c@x.io", "karma": 2, "createdAt": "2026-01-06T11:00:00Z"})
    yield ApiClient(api_database.infra)


async def test_aggregate(client: ApiClient) -> None:
    answer = await client.post(
        "/user/aggregate", {"_count": True, "_sum": {"karma": True}, "where": {"karma": {"gt": 1}}}
    )
    assert answer.status == 200, answer.json
    assert answer.json == {"_count": 2, "_sum": {"karma": 12}}
    money = await client.post("/post/aggregate", {"_sum": {"price": True}, "_max": {"views": True}})
    assert money.json == {"_sum": {"price": "3.75"}, "_max": {"views": 4}}


async def test_aggregate_refuses_hidden_and_unknown_fields(client: ApiClient) -> None:
    hidden = await client.post("/user/aggregate", {"_max": {"secretNote": True}})
    assert hidden.status == 422 and hidden.json["field"] == "secretNote"
    assert (await client.post("/user/aggregate", {"where": {"secretNote": None}, "_count": True})).status == 422
    assert (await client.post("/user/aggregate", {"_sum": {"krma": True}})).json["suggestion"] == "karma"
    assert (await client.post("/user/aggregate", {"take": "5", "_count": True})).status == 422
    assert (await client.post("/user/aggregate", {"groupBy": ["role"]})).status == 422
    assert (await client.post("/user/aggregate", {"cursor": {"id": 1}, "_count": True})).status == 422


async def test_group_by(client: ApiClient) -> None:
    answer = await client.post(
        "/user/group-by",
        {"by": ["role"], "_count": {"_all": True}, "_sum": {"karma": True}, "orderBy": [{"role": "asc"}]},
    )
    assert answer.status == 200, answer.json
    # SQLite orders enums by their text, PostgreSQL by declaration: compare as a set of groups
    assert sorted(answer.json["data"], key=lambda g: g["role"]) == [
        {"role": "EDITOR", "_count": {"_all": 1}, "_sum": {"karma": 10}},
        {"role": "READER", "_count": {"_all": 2}, "_sum": {"karma": 3}},
    ]
    assert (await client.post("/user/group-by", {"_count": True})).status == 422  # no by
    assert (await client.post("/user/group-by", {"by": ["secretNote"]})).status == 422
    assert (await client.post("/user/group-by", {"by": ["role"], "take": 1})).status == 422  # take needs an orderBy
    unordered = await client.post("/user/group-by", {"by": ["role"], "orderBy": [{"karma": "asc"}]})
    assert unordered.status == 422 and unordered.json["field"] == "karma"  # not one of the by fields
    paged = await client.post(
        "/user/group-by", {"by": ["role"], "orderBy": [{"role": "asc"}], "take": 1, "_count": True}
    )
    assert paged.status == 200 and len(paged.json["data"]) == 1


async def test_analytics(client: ApiClient) -> None:
    answer = await client.get(
        "/user/analytics",
        query=[
            ("metrics", "count,sum:karma"),
            ("interval", "day"),
            ("date_field", "createdAt"),
            ("since", "2026-01-05T00:00:00Z"),
            ("until", "2026-01-07T00:00:00Z"),
        ],
    )
    assert answer.status == 200, answer.json
    points = answer.json["groups"][0]["points"]
    assert [(p["count"], p["sum:karma"]) for p in points] == [(1, 10), (2, 3)]
    assert answer.json["totals"]["count"] == 3
    grouped = await client.get(
        "/user/analytics", query=[("metrics", "count"), ("group_by", "role"), ("karma", "gte.2")]
    )
    counts = {g["key"]["role"]: g["points"][0]["count"] for g in grouped.json["groups"]}
    assert counts == {"EDITOR": 1, "READER": 1}
    hidden = await client.get("/user/analytics", query=[("metrics", "count"), ("group_by", "secretNote")])
    assert hidden.status == 422
    bad = await client.get("/user/analytics", query=[("metrics", "nonsense")])
    assert bad.status == 422
