"""READ attacks: an acme READER asks every read path for globex rows and for hidden fields of its own tenant.

Each attack has a control: the platform admin runs the same query and gets the
rows (so a test cannot pass because the query finds nothing anyway).
"""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.errors import RecordNotFoundError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action

from tests.security.policy_set import ADMIN, ATTACKER
from tests.security.security_support import ACME_COMMENTS, ACME_POSTS, ACME_USERS, assert_no_secret, ids

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

GLOBEX = {"tenantId": "globex"}


def assert_acme_view_of_users(rows: list[dict[str, Any]]) -> None:
    """Own-tenant users: e-mail masked, card number absent, salary null."""
    assert ids(rows) <= ACME_USERS
    for row in rows:
        assert "cardNumber" not in row, row
        assert row.get("salary") is None, row
    assert_no_secret(rows)


async def test_repository_find_unique_of_a_globex_row(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        assert await infra.repository("post").find_unique(20) is None
        assert await infra.repository("tenant").find_unique("globex") is None
    with infra.acting_as(ADMIN):
        assert (await infra.repository("post").find_unique(20))["secret"] == "globex-plan-z"


async def test_repository_find_unique_or_raise_of_a_globex_row(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER), pytest.raises(RecordNotFoundError) as caught:
        await infra.repository("post").find_unique_or_raise(20)
    assert_no_secret(str(caught.value))
    with infra.acting_as(ADMIN):
        assert (await infra.repository("post").find_unique_or_raise(20))["id"] == 20


async def test_repository_find_first_and_exists_of_globex(infra: Infrastructure) -> None:
    repo = infra.repository("user")
    with infra.acting_as(ATTACKER):
        assert await repo.find_first(GLOBEX) is None
        assert await repo.exists(GLOBEX) is False
        assert await repo.exists({"id": 3}) is False
    with infra.acting_as(ADMIN):
        assert (await repo.find_first(GLOBEX, order_by={"id": "asc"}))["cardNumber"] == "5500000033330003"
        assert await repo.exists({"id": 3}) is True


async def test_repository_find_many_sees_own_tenant_masked(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        users = await infra.repository("user").find_many(order_by={"id": "asc"})
        explicit = await infra.repository("user").find_many(select={"id": True, "cardNumber": True, "salary": True})
        globex = await infra.repository("user").find_many(GLOBEX)
    assert ids(users) == ACME_USERS
    assert [u["email"] for u in users] != ["alice@acme.test", "bob@acme.test"]
    assert all(u["email"].endswith("@acme.test") for u in users)  # partial mask keeps the domain
    assert_acme_view_of_users(users)
    assert_acme_view_of_users(explicit)
    assert globex == []
    with infra.acting_as(ADMIN):
        assert len(await infra.repository("user").find_many(GLOBEX)) == 2


async def test_repository_find_many_with_includes_across_tenants(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        posts = await infra.repository("post").find_many(
            include={"author": True, "comments": {"include": {"author": True}}, "tenant": True,
                     "_count": {"select": {"comments": True}}},
            order_by={"id": "asc"},
        )
        comments = await infra.repository("comment").find_many(include={"author": True, "post": True})
        tenants = await infra.repository("tenant").find_many(include={"users": True, "posts": True, "comments": True})
    assert ids(posts) == ACME_POSTS
    assert ids(comments) == ACME_COMMENTS
    # post 10 has a globex comment (100): neither listed nor counted
    assert {c["id"] for c in posts[0]["comments"]} == {101}
    assert posts[0]["_count"]["comments"] == 1
    # comment 103 is by a globex user: the included author is withheld
    guest = next(c for c in comments if c["id"] == 103)
    assert guest["author"] is None
    assert [t["id"] for t in tenants] == ["acme"]
    assert_no_secret([posts, comments, tenants])


async def test_repository_count(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        repo = infra.repository("comment")
        assert await repo.count() == 2
        assert await repo.count(GLOBEX) == 0
        assert await repo.count(select={"_all": True, "body": True}) == {"_all": 2, "body": 2}
    with infra.acting_as(ADMIN):
        assert await infra.repository("comment").count(GLOBEX) == 2


async def test_repository_search_across_tenants(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        assert await infra.repository("post").search("globex") == []
        assert ids(await infra.repository("post").search("acme")) == ACME_POSTS
        page = await infra.repository("post").search("globex", paginate={"page": 1, "limit": 5})
    assert page.items == [] and page.total == 0
    with infra.acting_as(ADMIN):
        assert ids(await infra.repository("post").search("globex")) == {20, 21}


async def test_repository_offset_pagination(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        page = await infra.repository("user").find_many(paginate={"page": 1, "limit": 10})
    assert page.total == 2 and ids(page) == ACME_USERS
    assert_acme_view_of_users(page.items)
    with infra.acting_as(ADMIN):
        assert (await infra.repository("user").find_many(paginate={"page": 1, "limit": 10})).total == 4


async def test_repository_cursor_pagination(infra: Infrastructure) -> None:
    seen: list[dict[str, Any]] = []
    with infra.acting_as(ATTACKER):
        after = None
        while True:
            page = await infra.repository("user").find_many(cursor_paginate={"after": after, "limit": 1})
            seen.extend(page.items)
            if not page.has_next:
                break
            after = page.next_cursor
        # a cursor on a globex row reveals nothing after it
        forged = await infra.repository("user").find_many(cursor_paginate={"after": 3, "limit": 10})
    assert ids(seen) == ACME_USERS
    assert ids(forged) <= ACME_USERS
    assert_acme_view_of_users(seen + forged.items)


async def test_repository_stream(infra: Infrastructure) -> None:
    batches: list[list[dict[str, Any]]] = []
    with infra.acting_as(ATTACKER):
        async for batch in infra.repository("user").stream(batch_size=1):
            batches.append(batch)
        globex = [b async for b in infra.repository("post").stream(GLOBEX)]
    assert ids([r for b in batches for r in b]) == ACME_USERS
    assert_acme_view_of_users([r for b in batches for r in b])
    assert globex == [] or all(b == [] for b in globex)
    with infra.acting_as(ADMIN):
        assert len([r async for b in infra.repository("post").stream(GLOBEX) for r in b]) == 2


async def test_repository_load_relation_across_tenants(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        posts = await infra.repository("post").find_many(order_by={"id": "asc"})
        await infra.repository("post").load(posts, "comments")
        comments = await infra.repository("comment").find_many(order_by={"id": "asc"})
        await infra.repository("comment").load(comments, "author")
    assert {c["id"] for c in posts[0]["comments"]} == {101}
    assert next(c for c in comments if c["id"] == 103)["author"] in (None, [])
    assert_no_secret([posts, comments])


async def test_repository_aggregate_and_group_by_rows(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        repo = infra.repository("post")
        totals = await repo.aggregate(count={"_all": True}, sum=["views"], max=["views"])
        groups = await repo.group_by("tenantId", count={"_all": True}, sum=["views"])
    assert totals["_count"]["_all"] == 2 and totals["_sum"]["views"] == 12 and totals["_max"]["views"] == 7
    assert [g["tenantId"] for g in groups] == ["acme"] and groups[0]["_sum"]["views"] == 12
    with infra.acting_as(ADMIN):
        assert (await infra.repository("post").aggregate(sum=["views"]))["_sum"]["views"] == 36


@pytest.mark.parametrize("terminal", ["execute", "all", "first", "count", "exists", "stream", "paginate",
                                      "cursor_paginate"])
async def test_query_builder_terminal_sees_no_globex_row(infra: Infrastructure, terminal: str) -> None:
    async def run(actor: dict[str, Any]) -> Any:
        query = infra.query("user").where(GLOBEX)
        with infra.acting_as(actor):
            if terminal == "stream":
                return [r async for b in query.stream() for r in b]
            if terminal == "paginate":
                return (await query.paginate(1, 10).execute()).items
            if terminal == "cursor_paginate":
                return (await query.cursor_paginate(None, 10).execute()).items
            return await getattr(query, terminal)()

    found = await run(ATTACKER)
    assert found in ([], None, 0, False), found
    control = await run(ADMIN)
    assert control not in ([], None, 0, False)


async def test_query_builder_explain_and_search(infra: Infrastructure) -> None:
    query = infra.query("post").search("globex").include(["comments"])
    with infra.acting_as(ATTACKER):
        assert await query.execute() == []
        explained = query.explain()
    assert explained["model"] == "Post"
    assert_no_secret(explained)


READ_CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("User", "findUnique", {"where": {"id": 3}}),
    ("User", "findFirst", {"where": {"id": 3}}),
    ("User", "findMany", {"where": GLOBEX}),
    ("Post", "findMany", {"where": {"id": {"in": [20, 21]}}, "include": {"author": True}}),
    ("Comment", "findFirst", {"where": {"id": 100}}),
    ("Tenant", "findUnique", {"where": {"id": "globex"}}),
]


@pytest.mark.parametrize(("model", "action", "args"), READ_CALLS, ids=[f"{m}-{a}" for m, a, _ in READ_CALLS])
async def test_call_read_action_on_globex(infra: Infrastructure, model: str, action: str, args: dict[str, Any]) -> None:
    with infra.acting_as(ATTACKER):
        assert await infra.call(model, action, args) in (None, [])
    with infra.acting_as(ADMIN):
        assert await infra.call(model, action, args) not in (None, [])


@pytest.mark.parametrize("action", [Action.FIND_UNIQUE_OR_THROW, Action.FIND_FIRST_OR_THROW])
async def test_call_or_throw_on_globex(infra: Infrastructure, action: Action) -> None:
    with infra.acting_as(ATTACKER), pytest.raises(RecordNotFoundError) as caught:
        await infra.call("User", action, {"where": {"id": 3}})
    assert_no_secret(str(caught.value))
    with infra.acting_as(ADMIN):
        assert (await infra.call("User", action, {"where": {"id": 3}}))["id"] == 3


async def test_call_count_aggregate_group_by_on_globex(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        assert await infra.call("Post", "count", {"where": GLOBEX}) == 0
        aggregate = await infra.call("Post", "aggregate", {"where": GLOBEX, "_count": {"_all": True},
                                                           "_sum": {"views": True}})
        groups = await infra.call("Post", "groupBy", {"by": ["tenantId"], "where": GLOBEX, "_count": {"_all": True}})
    assert aggregate["_count"]["_all"] == 0 and aggregate["_sum"]["views"] is None
    assert groups == []
    with infra.acting_as(ADMIN):
        assert await infra.call("Post", "count", {"where": GLOBEX}) == 2
