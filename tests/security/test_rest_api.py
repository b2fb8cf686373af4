"""The auto REST API attacked: an acme READER sends `RestApi.handle` requests for globex rows and hidden fields.

Every route of `prisma_infra.rest.api.ROUTES` is attacked (the path matrix lists each
under ``rest routes``). The API runs through the same pipeline as the facade, so the
attacker's reads return only acme rows, masked, and its writes to globex rows are
refused or "not found" — and no response, problem body included, carries a secret.
Each attack has a control: the platform admin gets what the attacker may not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.rest.api import RestApi
from prisma_infra.rest.request import ApiRequest, ApiResponse

from tests.security.policy_set import ADMIN, ATTACKER
from tests.security.security_support import ACME_POSTS, ACME_USERS, assert_no_secret, snapshot

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

Query = list[tuple[str, str]]


async def send(
    infra: Infrastructure, actor: Any, method: str, path: str, body: Any = None, query: Query | None = None
) -> tuple[int, Any]:
    """One request as ``actor``; the answer's status and decoded body, checked for secrets unless the admin's."""
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"content-type": "application/json"} if data else {}
    with infra.acting_as(actor):
        response: ApiResponse = await RestApi(infra).handle(
            ApiRequest(method, path, query or [], headers, data, "http://attack.test/api")
        )
    if actor is not ADMIN:
        assert_no_secret(response.body.decode())
        assert_no_secret(response.headers)
    return response.status, json.loads(response.body) if response.body else None


def ids_of(body: Any) -> set[int]:
    return {row["id"] for row in body["data"]}


async def test_rest_list_and_search_see_only_the_actors_tenant(infra: Infrastructure) -> None:
    for query in (
        [],
        [("tenantId", "eq.globex")],
        [("include", "comments,author")],
        [("cursor", "")],
        [("where", '{"tenantId": "globex"}')],
        [("search", "globex")],
        [("order", "views.desc")],
    ):
        status, body = await send(infra, ATTACKER, "GET", "/post", query=query)
        assert status == 200, (query, body)
        assert ids_of(body) <= ACME_POSTS
        for post in body["data"]:
            assert "secret" not in post
            for comment in post.get("comments", []):
                assert comment["tenantId"] == "acme"
    status, body = await send(infra, ATTACKER, "POST", "/post/search", {"where": {"tenantId": "globex"}})
    assert status == 200 and body["data"] == []
    status, users = await send(infra, ATTACKER, "GET", "/user", query=[("include", "posts")])
    assert ids_of(users) == ACME_USERS and all("cardNumber" not in u for u in users["data"])
    status, body = await send(infra, ADMIN, "GET", "/post", query=[("tenantId", "eq.globex")])
    assert ids_of(body) == {20, 21}  # the control


async def test_rest_field_oracles_are_refused(infra: Infrastructure) -> None:
    for query in (
        [("secret", "like.globex*")],
        [("order", "secret.asc")],
        [("where", '{"secret": {"startsWith": "g"}}')],
    ):
        status, body = await send(infra, ATTACKER, "GET", "/post", query=query)
        assert status in (403, 422), (query, status, body)
    status, body = await send(infra, ATTACKER, "GET", "/post", query=[("select", "id,secret")])
    assert status == 200 and all("secret" not in post for post in body["data"])  # hidden by the policy
    status, _ = await send(infra, ATTACKER, "POST", "/post/search", {"where": {"secret": {"startsWith": "globex"}}})
    assert status in (403, 422)
    status, _ = await send(infra, ATTACKER, "GET", "/post/count", query=[("secret", "like.globex*")])
    assert status in (403, 422)
    status, _ = await send(infra, ATTACKER, "POST", "/post/aggregate", {"_max": {"secret": True}})
    assert status in (403, 422)


async def test_rest_read_of_a_globex_record_is_not_found(infra: Infrastructure) -> None:
    for path in ("/post/20", "/user/3", "/tenant/globex", "/comment/100"):
        status, body = await send(infra, ATTACKER, "GET", path)
        assert status == 404, (path, body)
    status, body = await send(infra, ATTACKER, "GET", "/post/10")
    assert status == 200 and "secret" not in body
    status, body = await send(infra, ADMIN, "GET", "/post/20")
    assert status == 200 and body["secret"] == "globex-plan-z"


async def test_rest_numbers_count_only_the_actors_tenant(infra: Infrastructure) -> None:
    assert await send(infra, ATTACKER, "GET", "/post/count") == (200, {"count": 2})
    assert await send(infra, ATTACKER, "GET", "/post/count", query=[("tenantId", "eq.globex")]) == (200, {"count": 0})
    status, body = await send(infra, ATTACKER, "POST", "/post/aggregate", {"_sum": {"views": True}, "_count": True})
    assert status == 200 and body == {"_sum": {"views": 12}, "_count": 2}
    status, body = await send(infra, ATTACKER, "POST", "/post/group-by", {"by": ["tenantId"], "_count": True})
    assert status == 200 and [g["tenantId"] for g in body["data"]] == ["acme"]
    status, body = await send(
        infra, ATTACKER, "GET", "/post/analytics", query=[("metrics", "count,sum:views"), ("group_by", "tenantId")]
    )
    assert status == 200, body
    assert [g["key"] for g in body["groups"]] == [{"tenantId": "acme"}] and body["totals"]["sum:views"] == 12
    status, body = await send(infra, ADMIN, "POST", "/post/aggregate", {"_sum": {"views": True}})
    assert body == {"_sum": {"views": 36}}  # the control


async def test_rest_writes_to_globex_change_nothing(infra: Infrastructure) -> None:
    before = await snapshot(infra)
    attacks: list[tuple[str, str, Any]] = [
        ("POST", "/post", {"id": 30, "tenantId": "globex", "authorId": 3, "title": "planted"}),
        (
            "POST",
            "/post",
            {"id": 31, "tenant": {"connect": {"id": "globex"}}, "author": {"connect": {"id": 1}}, "title": "planted"},
        ),
        ("PATCH", "/post/20", {"title": "pwned"}),
        ("PATCH", "/post/10", {"tenantId": "globex"}),
        ("PUT", "/post/20", {"tenantId": "globex", "authorId": 3, "title": "pwned"}),
        ("DELETE", "/post/20", None),
        ("DELETE", "/user/3", None),
        ("POST", "/post/bulk", {"update": [{"where": {"id": 21}, "data": {"title": "pwned"}}], "delete": [{"id": 20}]}),
    ]
    for method, path, body in attacks:
        status, answer = await send(infra, ATTACKER, method, path, body)
        if path.endswith("/bulk"):
            assert status == 207 and not any(b["ok"] for b in answer["batches"]), answer
        else:
            assert status in (403, 404), (method, path, status, answer)
    assert await snapshot(infra) == before
    status, _ = await send(infra, ATTACKER, "PATCH", "/post/10", {"title": "acme edit"})  # the control
    assert status == 200
