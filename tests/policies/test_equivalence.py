"""The same decision in memory and in the database, on real SQLite and PostgreSQL.

For every case (a policy and an actor) and every row of the table, the
in-memory decision ``infra.policies.check(actor, model, "read", row)`` equals
whether the row comes back when the actor queries through the pipeline (the
filter pushed into the SQL): for ``findMany``, ``findUnique`` by id and ``count``.
Rows are loaded for the in-memory side with the relations the filter reads.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.context import acting_as
from prisma_infra.errors import PolicyDeniedError, PrismaInfraError, RecordNotFoundError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.policies import bypass_policies, include_for, policy_registry, relations_needed

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

HERE = Path(__file__).parent
PG_SERVER = os.environ.get("PRISMA_INFRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
PG_DB = "prisma_infra_policies_test" + os.environ.get("PRISMA_INFRA_TEST_DB_SUFFIX", "")

ORGS = [{"id": 1, "name": "one", "tenantId": "t1"}, {"id": 2, "name": "two", "tenantId": "t2"}]
USERS = [
    {"id": 1, "email": "a@x.io", "name": "Alice", "role": "ADMIN", "tenantId": "t1", "orgId": 1},
    {"id": 2, "email": "b@x.io", "name": None, "role": "MEMBER", "tenantId": "t1", "orgId": 1},
    {"id": 3, "email": "c@x.io", "name": "Carol", "role": "EDITOR", "tenantId": "t2", "orgId": 2},
    {"id": 4, "email": "d@x.io", "name": "dave", "role": "MEMBER", "tenantId": "t1", "orgId": None},
]
POSTS = [
    {"id": 1, "title": "Hello", "slug": "p1", "published": True, "score": 5, "tenantId": "t1", "authorId": 1},
    {"id": 2, "title": "draft", "slug": "p2", "published": False, "score": None, "tenantId": "t1", "authorId": 2},
    {"id": 3, "title": "Other", "slug": "p3", "published": True, "score": 10, "tenantId": "t2", "authorId": 3},
    {"id": 4, "title": "hello world", "slug": "p4", "published": False, "score": 3, "tenantId": "t1", "authorId": 4},
    {"id": 5, "title": "Bob", "slug": "p5", "published": True, "score": None, "tenantId": "t1", "authorId": 2},
]
COMMENTS = [
    {"id": 1, "body": "c1", "flagged": False, "postId": 1, "authorId": 2},
    {"id": 2, "body": "c2", "flagged": True, "postId": 1, "authorId": None},
    {"id": 3, "body": "c3", "flagged": False, "postId": 3, "authorId": 3},
    {"id": 4, "body": "c4", "flagged": True, "postId": 4, "authorId": 1},
]

ALICE = {"id": 1, "roles": ["ADMIN"], "tenant_id": "t1", "org_id": 1, "friends": [2, 3]}
BOB = {"id": 2, "role": "MEMBER", "tenant_id": "t1", "org_id": 1, "friends": [1]}
CAROL = {"id": 3, "roles": ["EDITOR"], "tenant_id": "t2", "org_id": 2, "friends": []}
DAVE = {"id": 4, "roles": ["MEMBER"], "tenant_id": "t1", "org_id": None, "friends": [3, 4]}
ACTORS = [ALICE, BOB, CAROL, DAVE, None]


def allow(where: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"effect": "allow", "actions": ["read"], **({"where": where} if where is not None else {}), **extra}


def deny(where: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"effect": "deny", "actions": ["read"], **({"where": where} if where is not None else {}), **extra}


#: (case id, model, rules)
CASES: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("tenant", "Post", [allow({"tenantId": "{actor.tenant_id}"})]),
    ("own-or-published", "Post", [allow({"authorId": "{actor.id}"}), allow({"published": True})]),
    ("org-through-author", "Post", [allow({"author": {"is": {"orgId": "{actor.org_id}"}}})]),
    ("org-shorthand", "Post", [allow({"author": {"orgId": "{actor.org_id}"}})]),
    ("deny-null-score", "Post", [allow(), deny({"score": {"not": 5}})]),
    ("deny-members", "Post", [allow(), deny(roles=["MEMBER"])]),
    ("admins-all-else-tenant", "Post", [allow(roles=["ADMIN"]), allow({"tenantId": "{actor.tenant_id}"})]),
    ("no-flagged-comments", "Post", [allow({"comments": {"every": {"flagged": False}}})]),
    ("commented-by-admin", "Post", [allow({"comments": {"some": {"author": {"is": {"role": "ADMIN"}}}}})]),
    ("no-comments-by-actor", "Post", [allow({"comments": {"none": {"authorId": "{actor.id}"}}})]),
    ("every-comment-by-actor", "Post", [allow({"comments": {"every": {"authorId": "{actor.id}"}}})]),
    ("contains-hello", "Post", [allow({"title": {"contains": "hello"}})]),
    ("friends-posts", "Post", [allow({"authorId": {"in": "{actor.friends}"}})]),
    ("not-friends", "Post", [allow({"authorId": {"notIn": "{actor.friends}"}})]),
    (
        "scored-or-unscored-not-admin",
        "Post",
        [allow({"OR": [{"score": {"gt": 4}}, {"score": None}]}), deny({"author": {"role": "ADMIN"}})],
    ),
    ("editors-when", "Post", [allow(when={"roles": {"has": "EDITOR"}}), allow({"published": True})]),
    ("not-by-nameless", "Post", [allow({"NOT": {"author": {"is": {"name": None}}}})]),
    ("author-name-not-x", "Post", [allow({"author": {"isNot": {"name": {"not": "x"}}}})]),
    ("comment-author-not-member", "Comment", [allow({"author": {"isNot": {"role": "MEMBER"}}})]),
    ("comment-two-hops", "Comment", [allow({"post": {"is": {"author": {"is": {"tenantId": "{actor.tenant_id}"}}}}})]),
    ("comment-no-author-or-own", "Comment", [allow({"OR": [{"author": None}, {"authorId": "{actor.id}"}]})]),
    (
        "users-without-drafts",
        "User",
        [allow({"tenantId": "{actor.tenant_id}", "posts": {"none": {"published": False}}})],
    ),
    ("users-org-isnot", "User", [allow({"org": {"isNot": {"name": "one"}}})]),
    ("users-every-post-scored", "User", [allow({"posts": {"every": {"score": {"gt": 4}}}})]),
    ("users-name-not", "User", [allow({"name": {"not": "dave"}}), deny({"email": {"endsWith": "c@x.io"}})]),
]


def _schema(folder: Path, provider: str) -> Path:
    path = folder / "schema.prisma"
    path.write_text((HERE / "schema_template.prisma").read_text().replace("__PROVIDER__", provider))
    return path


async def _postgres_url(schema: Path) -> str:
    from prisma_infra.config.model import DatabaseConfig
    from prisma_infra.operation import Action, Operation
    from prisma_infra_prisma import PrismaEngine

    admin = PrismaEngine(DatabaseConfig(schema_path=str(schema), url=f"{PG_SERVER}/postgres", pool_size=1))  # type: ignore[arg-type]
    try:
        found = await admin.execute(
            Operation(
                model=None,
                action=Action.QUERY_RAW,
                args={"sql": "SELECT 1 AS x FROM pg_database WHERE datname = $1", "params": [PG_DB]},
            )
        )
        if not found:
            await admin.execute(
                Operation(
                    model=None, action=Action.EXECUTE_RAW, args={"sql": f'CREATE DATABASE "{PG_DB}"', "params": []}
                )
            )
    except PrismaInfraError as exc:
        pytest.fail(f"PostgreSQL not reachable (bash scripts/services.sh starts it): {exc}")
    finally:
        await admin.close()
    return f"{PG_SERVER}/{PG_DB}"


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql"])
async def infra(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Infrastructure]:
    from prisma_infra.config.model import DatabaseConfig
    from prisma_infra_prisma.datasource import resolve_database
    from prisma_infra_prisma.schema_sync import db_push

    provider: str = request.param
    folder = tmp_path_factory.mktemp(f"policies-{provider}")
    schema = _schema(folder, provider)
    url = f"file:{folder / 'policies.db'}" if provider == "sqlite" else await _postgres_url(schema)
    await db_push(resolve_database(DatabaseConfig(schema_path=str(schema), url=url), folder), force=True)  # type: ignore[arg-type]
    settings = {"database": {"engine": "prisma", "schema_path": str(schema), "url": url}, "cache": {"enabled": False}}
    async with Infrastructure(settings) as started:
        with bypass_policies():
            for model in ("Comment", "Post", "User", "Org"):
                await started.call(model, "deleteMany", {})
            for model, rows in (("Org", ORGS), ("User", USERS), ("Post", POSTS), ("Comment", COMMENTS)):
                await started.call(model, "createMany", {"data": rows})
        yield started


async def _in_memory(infra: Infrastructure, model: str, actor: Any) -> set[int] | None:
    """Ids the in-memory check allows (``None``: the action is denied outright)."""
    plan = infra.policies.plan(actor, model, "findMany")
    if not plan.allowed:
        return None
    tree = relations_needed(infra.schema, model, plan.filter) if plan.filter else {}
    with bypass_policies():
        rows = await infra.call(model, "findMany", {"include": include_for(tree)} if tree else {})
    return {r["id"] for r in rows if infra.policies.check(actor, model, "read", r)}


async def _in_database(infra: Infrastructure, model: str, actor: Any) -> set[int] | None:
    all_ids = [r["id"] for r in {"Post": POSTS, "Comment": COMMENTS, "User": USERS}[model]]
    with acting_as(actor):
        try:
            found = {r["id"] for r in await infra.call(model, "findMany", {})}
        except PolicyDeniedError:
            return None
        one_by_one = {i for i in all_ids if await infra.call(model, "findUnique", {"where": {"id": i}}) is not None}
        counted = await infra.call(model, "count", {})
    assert one_by_one == found and counted == len(found)
    return found


@pytest.mark.parametrize(("case", "model", "rules"), CASES, ids=[c[0] for c in CASES])
async def test_same_decision_in_memory_and_in_the_database(
    infra: Infrastructure, case: str, model: str, rules: list[dict[str, Any]]
) -> None:
    builder = infra.define_policy(model, f"case-{case}")
    for index, rule in enumerate(rules):
        options = {k: v for k, v in rule.items() if k not in ("effect", "actions")}
        getattr(builder, rule["effect"])(rule["actions"], name=f"r{index}", **options)
    try:
        for actor in ACTORS:
            memory = await _in_memory(infra, model, actor)
            database = await _in_database(infra, model, actor)
            assert memory == database, f"{case} as {actor}: in memory {memory}, in the database {database}"
    finally:
        policy_registry(infra).remove(model, f"case-{case}")


async def test_the_cases_discriminate(infra: Infrastructure) -> None:
    """Guards the suite itself: the cases give many different answers, not all-or-nothing."""
    answers: set[frozenset[int] | None] = set()
    for case, model, rules in CASES:
        builder = infra.define_policy(model, f"discriminate-{case}")
        for index, rule in enumerate(rules):
            options = {k: v for k, v in rule.items() if k not in ("effect", "actions")}
            getattr(builder, rule["effect"])(rule["actions"], name=f"r{index}", **options)
        try:
            for actor in ACTORS:
                found = await _in_memory(infra, model, actor)
                answers.add(frozenset(found) if found is not None else None)
        finally:
            policy_registry(infra).remove(model, f"discriminate-{case}")
    assert len(answers) >= 12 and None in answers


async def test_writes_outside_the_filter_are_not_found(infra: Infrastructure) -> None:
    builder = infra.define_policy("Post", "writes")
    builder.allow(["read", "update", "delete"], where={"authorId": "{actor.id}"}, name="own")
    try:
        with acting_as(BOB):
            with pytest.raises(RecordNotFoundError):
                await infra.call("Post", "update", {"where": {"id": 1}, "data": {"title": "x"}})
            with pytest.raises(RecordNotFoundError):
                await infra.call("Post", "delete", {"where": {"slug": "p1"}})
            assert await infra.call("Post", "updateMany", {"data": {"score": 7}, "where": {"score": None}}) == {
                "count": 2
            }
            assert await infra.call("Post", "findUnique", {"where": {"slug": "p3"}}) is None
            assert (await infra.call("Post", "findUniqueOrThrow", {"where": {"slug": "p5"}}))["id"] == 5
        with bypass_policies():
            await infra.call("Post", "updateMany", {"data": {"score": None}, "where": {"id": {"in": [2, 5]}}})
    finally:
        policy_registry(infra).remove("Post", "writes")


async def test_included_relations_are_scoped_on_the_real_engine(infra: Infrastructure) -> None:
    infra.define_policy("Comment", "inc-c").allow("read", where={"flagged": False}, name="unflagged")
    infra.define_policy("User", "inc-u").allow("read", where={"tenantId": "{actor.tenant_id}"}, name="tenant")
    try:
        with acting_as(CAROL):
            posts = await infra.call(
                "Post",
                "findMany",
                {
                    "orderBy": {"id": "asc"},
                    "include": {"author": True, "comments": True, "_count": {"select": {"comments": True}}},
                },
            )
        assert [p["author"] and p["author"]["id"] for p in posts] == [None, None, 3, None, None]
        assert [[c["id"] for c in p["comments"]] for p in posts] == [[1], [], [3], [], []]
        assert [p["_count"]["comments"] for p in posts] == [1, 0, 1, 0, 0]
    finally:
        policy_registry(infra).remove("Comment", "inc-c")
        policy_registry(infra).remove("User", "inc-u")
