"""The FastAPI integration end to end: the three-line app under uvicorn on a real SQLite database, over HTTP.

One app per module (its lifespan starts the infrastructure on the real Prisma engine in the server's
thread); tests seed through ``served.run`` (the server's loop) and speak HTTP with httpx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Body, FastAPI
from prisma_infra.context import bypass_policies, current_context
from prisma_infra.data.query import QueryBuilder
from prisma_infra.data.repository import Repository
from prisma_infra.integrations.actors import RequestInfo
from prisma_infra.integrations.fastapi import Actor, Infra, PrismaInfra, Query, Repo, actor_resolver
from starlette.requests import Request

from core.tests.integrations.web_site import ANONYMOUS, Site, make_site
from tests.http_server import ServedApp, asgi_server
from tests.waiting import eventually

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def build_app(settings: Path) -> tuple[PrismaInfra, FastAPI]:
    """The three lines, and a few routes of the app's own."""
    infra = PrismaInfra(settings)
    app = FastAPI(lifespan=infra.lifespan)
    infra.install(app)

    @app.post("/users", status_code=201)
    async def create_user(users: Annotated[Repository, Repo("user")], data: Annotated[dict[str, Any], Body()]) -> Any:
        return await users.create(data)

    @app.get("/users/{user_id}")
    async def read_user(user_id: int, users: Annotated[Repository, Repo("USER")]) -> Any:
        return await users.find_unique_or_raise({"id": user_id})

    @app.get("/users")
    async def find_users(request: Request, users: Annotated[Repository, Repo("user")]) -> Any:
        return await users.find_many(where=dict(request.query_params))

    @app.get("/posts")
    async def list_posts(posts: Annotated[QueryBuilder, Query("post")]) -> Any:
        return await posts.order_by({"id": "asc"}).all()

    @app.delete("/posts/{post_id}")
    async def delete_post(post_id: int, posts: Annotated[Repository, Repo("Post")]) -> Any:
        return await posts.delete({"id": post_id})

    @app.get("/whoami")
    async def whoami(actor: Actor, kernel: Infra) -> Any:
        context = current_context()
        return {"actor": actor, "request_id": context.request_id, "started": kernel.schema is not None}

    return infra, app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return make_site(tmp_path_factory.mktemp("fastapi"))


@pytest.fixture(scope="module")
def served(site: Site) -> Iterator[tuple[PrismaInfra, ServedApp]]:
    infra, app = build_app(site.settings)
    with asgi_server(app) as server:
        yield infra, server


@pytest.fixture
def http(served: tuple[PrismaInfra, ServedApp]) -> Iterator[httpx.Client]:
    infra, server = served
    server.run(_clean(infra))
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


async def _clean(infra: PrismaInfra) -> None:
    with bypass_policies():
        await infra.infra.repository("user").delete_many()
        await infra.infra.cache.clear()


async def _seed(infra: PrismaInfra) -> dict[str, Any]:
    with bypass_policies():
        users = infra.infra.repository("user")
        ada = await users.create({"email": "ada@t1.example", "name": "Ada", "tenantId": "t1"})
        bob = await users.create({"email": "bob@t2.example", "name": "Bob", "tenantId": "t2"})
        posts = infra.infra.repository("post")
        p1 = await posts.create({"title": "t1 first", "tenantId": "t1", "authorId": ada["id"]})
        p2 = await posts.create({"title": "t2 first", "tenantId": "t2", "authorId": bob["id"]})
    return {"ada": ada, "bob": bob, "p1": p1, "p2": p2}


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("urn:prisma-infra:problem:")
    return body


def test_the_three_line_app_serves_its_routes_through_the_pipeline(
    http: httpx.Client, served: tuple[PrismaInfra, ServedApp]
) -> None:
    created = http.post("/users", json={"email": "cy@t1.example", "name": "Cy"})
    assert created.status_code == 201, created.text
    read = http.get(f"/users/{created.json()['id']}")
    me = http.get("/whoami").json()
    assert read.status_code == 200 and read.json()["email"] == "cy@t1.example"
    assert me["started"] is True and me["actor"] == ANONYMOUS


def test_the_rest_api_is_mounted_at_the_prefix(http: httpx.Client, served: tuple[PrismaInfra, ServedApp]) -> None:
    seeded = served[1].run(_seed(served[0]))
    users = http.get("/api/user", headers={"X-Forwarded-User": "ops", "X-Forwarded-Tenant": "t1"})
    posts = http.get("/api/post", headers={"X-Forwarded-User": "ops", "X-Forwarded-Tenant": "t1"})
    assert users.status_code == 200, users.text
    assert {u["email"] for u in users.json()["data"]} == {"ada@t1.example", "bob@t2.example"}
    assert [p["id"] for p in posts.json()["data"]] == [seeded["p1"]["id"]]  # the tenant policy applies
    assert "x-request-id" in users.headers


def test_the_rest_api_answers_every_error_through_the_same_mapping(
    http: httpx.Client, served: tuple[PrismaInfra, ServedApp], site: Site
) -> None:
    seeded = served[1].run(_seed(served[0]))
    reader = site.bearer(sub="r1", roles=["READER"], tenant_id="t1")
    unknown = _problem(http.get("/api/user", params={"emial": "eq.hidden-value@example.com"}, headers=reader), 422)
    missing = _problem(http.get("/api/user/987654", headers=reader), 404)
    duplicate = _problem(http.post("/api/user", json={"email": "ada@t1.example", "name": "Ada 2"}, headers=reader), 409)
    denied = _problem(http.delete(f"/api/post/{seeded['p1']['id']}", headers=reader), 403)
    refused = _problem(http.get("/api/user", headers={"Authorization": "Bearer x.y.z"}), 401)
    assert (unknown["model"], unknown["field"], unknown["suggestion"]) == ("User", "emial", "email")
    assert missing["model"] == "User"
    assert duplicate["fields"] == ["email"] and "ada@t1.example" not in json.dumps(duplicate)
    assert (denied["policy"], denied["rule"]) == ("posts", "readers-do-not-delete")
    assert refused["type"].endswith(":unauthenticated")
    assert "hidden-value" not in json.dumps(unknown)


def test_a_key_holding_a_newline_still_reaches_the_rest_api(http: httpx.Client) -> None:
    """A decoded path with a newline is matched by the API's mount (not FastAPI's plain 404)."""
    answer = http.get("/api/user/%0A7")
    assert answer.status_code in (404, 422), answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_unknown_field_is_422_naming_model_field_and_suggestion(http: httpx.Client) -> None:
    body = _problem(http.get("/users", params={"emial": "secret-value@example.com"}), 422)
    assert body["model"] == "User" and body["field"] == "emial" and body["suggestion"] == "email"
    assert "secret-value" not in json.dumps(body)


def test_missing_record_is_404_naming_the_model(http: httpx.Client) -> None:
    body = _problem(http.get("/users/987654"), 404)
    assert body["model"] == "User" and body["type"].endswith(":not-found")


def test_unique_conflict_is_409_naming_the_fields_without_the_value(http: httpx.Client) -> None:
    assert http.post("/users", json={"email": "dup@t1.example", "name": "One"}).status_code == 201
    body = _problem(http.post("/users", json={"email": "dup@t1.example", "name": "Two"}), 409)
    assert body["fields"] == ["email"] and body["model"] == "User" and body["code"] == "unique"
    assert "dup@t1.example" not in json.dumps(body)


def test_policy_denial_is_403_naming_policy_and_rule(
    http: httpx.Client, served: tuple[PrismaInfra, ServedApp], site: Site
) -> None:
    seeded = served[1].run(_seed(served[0]))
    reader = site.bearer(sub="r1", roles=["READER"], tenant_id="t1")
    body = _problem(http.delete(f"/posts/{seeded['p1']['id']}", headers=reader), 403)
    assert body["policy"] == "posts" and body["rule"] == "readers-do-not-delete"
    editor = site.bearer(sub="e1", roles=["EDITOR"], tenant_id="t1")
    assert http.delete(f"/posts/{seeded['p1']['id']}", headers=editor).status_code == 200


@pytest.mark.parametrize(
    ("case", "reason"),
    [("wrong-secret", "bad signature"), ("expired", "expired"), ("audience", "audience"), ("garbage", "malformed")],
)
def test_a_bad_jwt_is_401_with_a_bearer_challenge(http: httpx.Client, site: Site, case: str, reason: str) -> None:
    token = {
        "wrong-secret": lambda: site.token(secret="another-secret-another-secret-0123", sub="u1"),
        "expired": lambda: site.token(expires_in=-600, sub="u1"),
        "audience": lambda: site.token(audience="someone-else", sub="u1"),
        "garbage": lambda: "not.a.jwt",
    }[case]()
    response = http.get("/whoami", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "auth-1"})
    body = _problem(response, 401)
    assert reason in body["detail"] and token not in response.text
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert response.headers["x-request-id"] == "auth-1"


def test_the_jwt_actor_reaches_the_policy_the_cache_scope_and_the_audit_trail(
    http: httpx.Client, served: tuple[PrismaInfra, ServedApp], site: Site
) -> None:
    infra, server = served
    seeded = server.run(_seed(infra))
    t1 = http.get("/posts", headers=site.bearer(sub="u-t1", roles=["EDITOR"], tenant_id="t1"))
    t2 = http.get("/posts", headers=site.bearer(sub="u-t2", roles=["EDITOR"], tenant_id="t2"))
    anonymous = http.get("/posts")
    # Same route, same query: the cache keeps one entry per actor scope, never serving t1's rows to t2.
    assert [p["id"] for p in t1.json()] == [seeded["p1"]["id"]]
    assert [p["id"] for p in t2.json()] == [seeded["p2"]["id"]]
    assert anonymous.json() == []  # the anonymous actor's tenant ("public") has no posts
    deleted = http.delete(
        f"/posts/{seeded['p2']['id']}",
        headers={**site.bearer(sub="u-t2", roles=["EDITOR"], tenant_id="t2"), "X-Request-ID": "req-delete-7"},
    )
    assert deleted.status_code == 200, deleted.text

    async def history() -> list[dict[str, Any]]:
        with bypass_policies():
            return await infra.infra.audit.history("Post", seeded["p2"]["id"])

    server.run(eventually(lambda: _has_delete(history), what="the delete's audit event"))
    events = server.run(history())
    delete = next(e for e in events if e["action"] == "delete")
    assert delete["actor"] == "u-t2" and delete["tenant"] == "t2" and delete["request_id"] == "req-delete-7"


async def _has_delete(history: Any) -> bool:
    return any(event["action"] == "delete" for event in await history())


def test_the_trusted_header_actor_and_the_anonymous_actor(http: httpx.Client) -> None:
    proxied = http.get("/whoami", headers={"X-Forwarded-User": "sam", "X-Forwarded-Roles": "ADMIN, EDITOR"})
    anonymous = http.get("/whoami")
    assert proxied.json()["actor"] == {"id": "sam", "roles": ["ADMIN", "EDITOR"], "tenant_id": None}
    assert anonymous.json()["actor"] == ANONYMOUS


def test_the_request_id_is_echoed_or_made(http: httpx.Client) -> None:
    given = http.get("/whoami", headers={"X-Request-ID": "client-req-1"})
    made = http.get("/whoami")
    hostile = http.get("/whoami", headers={"X-Request-ID": "bad id\twith spaces"})
    assert given.headers["x-request-id"] == "client-req-1" == given.json()["request_id"]
    assert len(made.headers["x-request-id"]) == 36 and made.headers["x-request-id"] == made.json()["request_id"]
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"
    failed = http.get("/users/424242", headers={"X-Request-ID": "client-req-2"})
    assert failed.status_code == 404 and failed.headers["x-request-id"] == "client-req-2"


def test_an_apps_own_resolver_and_dependency_become_the_actor(site: Site) -> None:
    async def from_api_key(request: RequestInfo) -> dict[str, Any] | None:
        key = request.header("x-api-key")
        return {"id": f"key-{key}", "roles": ["EDITOR"], "tenant_id": "t2"} if key else None

    def current_user(request: Request) -> dict[str, Any] | None:
        name = request.headers.get("x-user")
        return {"id": name, "roles": ["EDITOR"], "tenant_id": "t1"} if name else None

    infra = PrismaInfra(site.settings, watch=False)
    app = FastAPI(lifespan=infra.lifespan)
    infra.install(app, resolvers=[from_api_key])

    @app.get("/actor", dependencies=[actor_resolver(current_user)])
    async def actor_route(actor: Actor) -> Any:
        return {"actor": actor, "request_id": current_context().request_id}

    with asgi_server(app) as server, httpx.Client(base_url=server.url) as http:
        by_key = http.get("/actor", headers={"X-API-Key": "k1"})
        by_dependency = http.get("/actor", headers={"X-User": "dee", "X-Request-ID": "dep-1"})
        neither = http.get("/actor")
    assert by_key.json()["actor"] == {"id": "key-k1", "roles": ["EDITOR"], "tenant_id": "t2"}
    assert by_dependency.json()["actor"] == {"id": "dee", "roles": ["EDITOR"], "tenant_id": "t1"}
    assert by_dependency.json()["request_id"] == "dep-1"  # the middleware's request id stays
    assert neither.json()["actor"] == ANONYMOUS


def test_an_unknown_model_stops_the_app_at_start_naming_route_and_model(site: Site) -> None:
    infra = PrismaInfra(site.settings, watch=False)
    app = FastAPI(lifespan=infra.lifespan)
    infra.install(app, api=False)

    @app.get("/oops")
    async def oops(users: Annotated[Repository, Repo("usr")]) -> Any:
        return await users.find_many()

    with pytest.raises(AssertionError) as failed, asgi_server(app):
        pass
    assert "route /oops" in str(failed.value) and "'usr'" in str(failed.value) and "'User'" in str(failed.value)
