"""RestApi bulk (rest/bulk.py): creates, updates and deletes in batches of api.bulk_batch_size, each all-or-nothing."""

from __future__ import annotations

import pytest

from core.tests.rest.api_support import ApiClient, api_database, client

__all__ = ["api_database", "client"]  # the fixtures

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def emails(client: ApiClient) -> list[str]:
    return sorted(u["email"] for u in await client.infra.repository("user").find_many())


async def test_bulk_creates_updates_deletes(client: ApiClient) -> None:
    users = client.infra.repository("user")
    old = await users.create({"email": "old@x.io"})
    gone = await users.create({"email": "gone@x.io"})
    answer = await client.post(
        "/user/bulk",
        {
            "create": [{"email": "a@x.io"}, {"email": "b@x.io"}, {"email": "c@x.io"}],
            "update": [{"where": {"id": old["id"]}, "data": {"karma": 7}}],
            "delete": [{"email": "gone@x.io"}],
        },
    )
    assert answer.status == 200, answer.json
    assert answer.json["ok"] is True
    assert (answer.json["created"], answer.json["updated"], answer.json["deleted"]) == (3, 1, 1)
    assert [b["size"] for b in answer.json["batches"]] == [2, 2, 1]  # api.bulk_batch_size = 2
    assert await emails(client) == ["a@x.io", "b@x.io", "c@x.io", "old@x.io"]
    assert (await users.find_unique(old["id"]))["karma"] == 7  # type: ignore[index]
    assert await users.find_unique(gone["id"]) is None


async def test_a_failing_batch_is_rolled_back_whole_and_the_others_commit(client: ApiClient) -> None:
    await client.infra.repository("user").create({"email": "taken@x.io"})
    answer = await client.post(
        "/user/bulk",
        {
            "create": [
                {"email": "a@x.io"},
                {"email": "b@x.io"},  # batch 0: commits
                {"email": "c@x.io"},
                {"email": "taken@x.io"},  # batch 1: the conflict rolls c back too
                {"email": "d@x.io"},  # batch 2: commits
            ]
        },
    )
    assert answer.status == 207, answer.json
    body = answer.json
    assert body["ok"] is False and body["created"] == 3
    assert [b["ok"] for b in body["batches"]] == [True, False, True]
    failed = body["batches"][1]
    assert failed["operation"] == 3 and failed["error"]["status"] == 409
    assert "taken@x.io" not in answer.raw.decode()
    assert await emails(client) == ["a@x.io", "b@x.io", "d@x.io", "taken@x.io"]


async def test_bulk_limits_and_shape(client: ApiClient) -> None:
    too_many = await client.post("/user/bulk", {"create": [{"email": f"{i}@x.io"} for i in range(11)]})
    assert too_many.status == 413  # api.bulk_max = 10
    assert await emails(client) == []
    assert (await client.post("/user/bulk", {"upsert": []})).status == 422
    assert (await client.post("/user/bulk", {"create": {"email": "x@x.io"}})).status == 422
    hidden = await client.post("/user/bulk", {"create": [{"email": "x@x.io", "secretNote": "s"}]})
    assert hidden.status == 422 and hidden.json["field"] == "secretNote"
    assert await emails(client) == []
