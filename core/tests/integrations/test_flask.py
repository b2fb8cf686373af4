"""The Flask extension through real HTTP: werkzeug's threaded server, httpx, the real engine on SQLite."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask, request
from prisma_infra.actor import actor_id
from prisma_infra.context import acting_as, current_context
from prisma_infra.errors import AuthenticationError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.integrations.actors import RequestInfo
from prisma_infra.integrations.flask import PrismaInfra
from prisma_infra.integrations.problems import MEDIA_TYPE
from prisma_infra.integrations.wsgi import LoopBridge
from prisma_infra.sync import SyncInfrastructure

from core.tests.integrations.flask_support import as_user, configured, seed, sync_infra, user_header
from tests.http_server import wsgi_server

pytestmark = pytest.mark.integration
__all__ = ["sync_infra"]  # the module-scoped fixture


def refuse_bad_tokens(request: RequestInfo) -> None:
    if request.header("authorization") == "Bearer broken":
        raise AuthenticationError("The bearer token is malformed", reason="invalid_token")


def create_app(infra: SyncInfrastructure) -> Flask:
    """An app factory: ``init_app`` binds the extension to the app."""
    app = Flask(__name__)
    pi = PrismaInfra(infrastructure=infra, resolvers=[refuse_bad_tokens, user_header])
    pi.init_app(app)
    app.register_blueprint(pi.rest_blueprint())

    @app.get("/mine")
    def mine() -> dict[str, Any]:
        context = current_context()
        posts = pi.repository("post").find_many(order_by={"id": "asc"})
        return {"actor": actor_id(context.actor), "request_id": context.request_id, "posts": [p["id"] for p in posts]}

    @app.get("/users/<int:user_id>")
    def user(user_id: int) -> dict[str, Any]:
        found: dict[str, Any] = pi.repository("user").find_unique_or_raise(user_id)
        return found

    @app.get("/typo")
    def typo() -> list[Any]:
        return list(pi.repository("user").find_many(where={"emial": "x@example.com"}))

    @app.post("/users")
    def create_user() -> tuple[dict[str, Any], int]:
        return pi.repository("user").create(request.get_json()), 201

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("internal state with a value: hunter2")

    return app


@pytest.fixture(scope="module")
def served(sync_infra: SyncInfrastructure) -> Iterator[httpx.Client]:
    with wsgi_server(create_app(sync_infra)) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def owned(sync_infra: SyncInfrastructure) -> dict[int, list[int]]:
    return seed(sync_infra)


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"] == f"urn:prisma-infra:problem:{slug}", body
    return body


# -- the facade's loop and the request's context ---------------------------------------------------


def test_context_set_in_a_thread_reaches_the_coroutine_on_the_loop_thread() -> None:
    """``run_coroutine_threadsafe`` schedules with a copy of the caller's context: no per-request loop needed."""
    infra = SyncInfrastructure(Infrastructure())
    bridge = LoopBridge(infra)

    async def seen() -> tuple[Any, str | None, str]:
        return current_context().actor, current_context().request_id, threading.current_thread().name

    def in_thread(n: int) -> tuple[Any, str | None, str]:
        with acting_as({"id": n}, request_id=f"r{n}"):
            return bridge.run(seen())

    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(in_thread, range(64)))
        outside = bridge.run(seen())
    finally:
        infra.close()
    assert [(a, r) for a, r, _ in results] == [({"id": n}, f"r{n}") for n in range(64)]
    assert {thread for _, _, thread in results} == {"prisma-infra-sync"}  # one loop thread for all
    assert outside[:2] == (None, None)


# -- hand-written routes ----------------------------------------------------------------------------


def test_a_hand_written_route_reads_through_the_policies_as_the_requests_actor(
    served: httpx.Client, owned: dict[int, list[int]]
) -> None:
    first, second = owned
    mine = served.get("/mine", headers={**as_user(first), "X-Request-ID": "req-flask-1"})
    theirs = served.get("/mine", headers=as_user(second))
    admin = served.get("/mine", headers=as_user(second, "ADMIN"))
    anonymous = served.get("/mine")
    assert mine.status_code == 200, mine.text
    assert mine.json() == {"actor": first, "request_id": "req-flask-1", "posts": owned[first]}
    assert mine.headers["x-request-id"] == "req-flask-1"
    assert theirs.json()["posts"] == owned[second]
    assert admin.json()["posts"] == sorted(owned[first] + owned[second])
    denied = assert_problem(anonymous, 403, "policy-denied")  # no actor: no rule allows reading posts
    assert denied["policy"] == "posts"
    assert anonymous.headers["x-request-id"]  # one is made when the client sends none


def test_errors_of_hand_written_routes_are_problems(served: httpx.Client, owned: dict[int, list[int]]) -> None:
    typo = assert_problem(served.get("/typo"), 422, "validation")
    assert (typo["model"], typo["field"], typo["suggestion"]) == ("User", "emial", "email")
    missing = assert_problem(served.get("/users/999999"), 404, "not-found")
    assert missing["model"] == "User"
    taken = assert_problem(served.post("/users", json={"email": "u0@example.com", "name": "Again"}), 409, "conflict")
    assert taken["model"] == "User" and taken["fields"] == ["email"]
    assert "u0@example.com" not in str(taken)  # never a value
    boom = assert_problem(served.get("/boom"), 500, "internal")
    assert "hunter2" not in str(boom)
    refused = assert_problem(served.get("/mine", headers={"Authorization": "Bearer broken"}), 401, "unauthenticated")
    assert "bearer token" in refused["detail"]
    flask_404 = served.get("/no-such-page")
    assert flask_404.status_code == 404 and not flask_404.headers["content-type"].startswith(MEDIA_TYPE)


def test_the_actor_reaches_the_audit_trail(
    served: httpx.Client, sync_infra: SyncInfrastructure, owned: dict[int, list[int]]
) -> None:
    first = next(iter(owned))
    created = served.post("/api/post", json={"title": "audited", "authorId": first}, headers=as_user(first))
    assert created.status_code == 201, created.text
    post_id = created.json()["id"]
    with acting_as({"id": first}):  # the trail is scoped by the model's policies too
        history = sync_infra.audit.history("Post", post_id)
    assert [(e["action"], e["actor"]) for e in history] == [("create", str(first))]  # recorded by its id
    assert history[0]["request_id"] == created.headers["x-request-id"]


def test_concurrent_requests_never_see_each_others_actor(served: httpx.Client, owned: dict[int, list[int]]) -> None:
    users = list(owned)

    def client_thread(n: int) -> list[tuple[int, Any, list[int], str, str]]:
        user = users[n % len(users)]
        seen = []
        for k in range(20):
            rid = f"t{n}-{k}"
            response = served.get("/mine", headers={**as_user(user), "X-Request-ID": rid})
            body = response.json()
            seen.append((user, body["actor"], body["posts"], body["request_id"], rid))
        return seen

    with ThreadPoolExecutor(8) as pool:
        results = [row for rows in pool.map(client_thread, range(8)) for row in rows]
    assert len(results) == 160
    for user, actor, posts, got_rid, rid in results:
        assert (actor, posts, got_rid) == (user, owned[user], rid)


# -- the REST API blueprint -------------------------------------------------------------------------


def test_the_rest_blueprint_lists_creates_reads_updates_and_deletes(
    served: httpx.Client, owned: dict[int, list[int]]
) -> None:
    first, second = owned
    me = as_user(first)
    listed = served.get("/api/post", params={"order": "id.asc"}, headers=me)
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()["data"]] == owned[first]  # the row filter applies

    created = served.post("/api/post", json={"title": "via REST", "authorId": first}, headers=me)
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["title"] == "via REST"
    assert created.headers["location"].startswith(str(served.base_url).rstrip("/") + "/api/post/")

    read = served.get(f"/api/post/{post['id']}", headers=me)
    assert read.status_code == 200 and read.json()["title"] == "via REST"
    updated = served.patch(f"/api/post/{post['id']}", json={"title": "renamed"}, headers=me)
    assert updated.status_code == 200 and updated.json()["title"] == "renamed"
    hidden = served.get(f"/api/post/{owned[second][0]}", headers=me)  # another author's post: not there
    assert_problem(hidden, 404, "not-found")

    deleted = served.delete(f"/api/post/{post['id']}", headers=me)
    assert deleted.status_code in (200, 204), deleted.text
    assert_problem(served.get(f"/api/post/{post['id']}", headers=me), 404, "not-found")
    filtered = served.get("/api/post", params={"title": "eq.post 1 of 0"}, headers=as_user(first, "ADMIN"))
    assert [p["title"] for p in filtered.json()["data"]] == ["post 1 of 0"]


def test_rest_errors_are_problems(served: httpx.Client, owned: dict[int, list[int]]) -> None:
    first = next(iter(owned))
    unknown = assert_problem(
        served.get("/api/post", params={"titel": "eq.x"}, headers=as_user(first)), 422, "validation"
    )
    assert (unknown["model"], unknown["field"], unknown["suggestion"]) == ("Post", "titel", "title")
    assert_problem(served.get("/api/post/999999", headers=as_user(first)), 404, "not-found")
    taken = served.post("/api/user", json={"email": "u1@example.com", "name": "Again"})
    assert assert_problem(taken, 409, "conflict")["fields"] == ["email"]
    orphan = served.post("/api/post", json={"title": "orphan", "authorId": 999999}, headers=as_user(999999))
    assert_problem(orphan, 409, "conflict")
    assert_problem(served.get("/api/post", headers={"Authorization": "Bearer broken"}), 401, "unauthenticated")


def test_the_blueprint_takes_api_prefix_and_an_explicit_one(sync_infra: SyncInfrastructure) -> None:
    app = Flask("prefixes")
    ext = PrismaInfra(app, infrastructure=sync_infra)
    app.register_blueprint(ext.rest_blueprint())
    app.register_blueprint(ext.rest_blueprint("/v2", name="v2"))
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/api/", "/api/<path:path>", "/v2/", "/v2/<path:path>"} <= rules


def same_database(infra: SyncInfrastructure) -> dict[str, Any]:
    """Settings for another infrastructure on the module's database (no policies, no audit)."""
    database = infra.config.database
    return {
        "database": {"engine": "prisma", "url": database.url.get_secret_value(), "schema_path": database.schema_path},
        "plugins": {"load": ["prisma"]},
        "cache": {"enabled": False},
    }


def loop_threads() -> int:
    return sum(thread.name == "prisma-infra-sync" for thread in threading.enumerate())


def test_settings_from_app_config_and_lazy_start(tmp_path: Path, sync_infra: SyncInfrastructure) -> None:
    """``PRISMA_INFRA_SETTINGS`` (relative to the app's root) names the settings; the infra starts on first use."""
    database = same_database(sync_infra)["database"]
    (tmp_path / "settings.toml").write_text(
        "[default]\n"
        + "".join(f'database.{key} = "{value}"\n' for key, value in database.items())
        + 'plugins.load = ["prisma"]\ncache.enabled = false\n'
    )
    app = Flask("configured", root_path=str(tmp_path))
    app.config["PRISMA_INFRA_SETTINGS"] = "settings.toml"
    ext = PrismaInfra()
    loops_before = loop_threads()
    ext.init_app(app)
    app.register_blueprint(ext.rest_blueprint())  # reads api.prefix: the settings are loaded already
    assert loop_threads() == loops_before  # no thread before first use: safe to fork (gunicorn --preload)
    try:
        state = app.extensions["prisma_infra"]
        assert not state.started
        with app.app_context():
            assert ext.repository("user").count() >= 0
        assert state.started and loop_threads() == loops_before + 1
    finally:
        ext.close()
    assert state.closed and loop_threads() == loops_before


def test_an_infrastructure_passed_in_serves_every_app_and_is_closed_once(sync_infra: SyncInfrastructure) -> None:
    ext = PrismaInfra(infrastructure=Infrastructure(same_database(sync_infra)))
    apps = [Flask(f"app{n}") for n in range(2)]
    for app in apps:
        ext.init_app(app)

        @app.get("/users")
        def users() -> dict[str, int]:
            return {"users": ext.repository("user").count()}

    counts = [app.test_client().get("/users").get_json() for app in apps]
    assert counts[0] == counts[1] and counts[0]["users"] >= 0
    assert apps[0].extensions["prisma_infra"].bridge.infra is apps[1].extensions["prisma_infra"].bridge.infra
    ext.close()
    ext.close()  # once is enough; twice is harmless
    closed = apps[0].test_client().get("/users")
    assert closed.status_code == 503 and closed.content_type == MEDIA_TYPE
    assert closed.get_json()["type"] == "urn:prisma-infra:problem:unavailable"


def test_api_enabled_is_read_on_every_request(
    served: httpx.Client, sync_infra: SyncInfrastructure, owned: dict[int, list[int]]
) -> None:
    me = as_user(next(iter(owned)))
    with configured(sync_infra, {"api": {"enabled": False}}, after={"api": {"enabled": True}}):
        off = served.get("/api/post", headers=me)
        page = served.get("/mine", headers=me)
    assert_problem(off, 404, "not-found")
    assert page.status_code == 200  # the app's own routes stay
    assert served.get("/api/post", headers=me).status_code == 200


def test_the_blueprint_refuses_a_body_over_api_max_body_size(
    served: httpx.Client, sync_infra: SyncInfrastructure, owned: dict[int, list[int]]
) -> None:
    first = next(iter(owned))
    with configured(sync_infra, {"api": {"max_body_size": 64}}, after={"api": {"max_body_size": 1_048_576}}):
        big = served.post("/api/post", json={"title": "x" * 200, "authorId": first}, headers=as_user(first))
        chunked = served.post("/api/post", content=iter([b'{"title": "', b"y" * 200, b'"}']), headers=as_user(first))
    assert "max_body_size" in assert_problem(big, 413, "content-too-large")["detail"]
    assert chunked.status_code == 413, chunked.text


def test_a_thread_that_serves_many_requests_keeps_no_actor_between_them(
    sync_infra: SyncInfrastructure, owned: dict[int, list[int]]
) -> None:
    """Thread-pool servers (gthread, waitress) reuse threads: the actor's block ends with its request."""
    first = next(iter(owned))
    client = create_app(sync_infra).test_client()  # every request on this very thread
    mine = client.get("/mine", headers=as_user(first))
    assert mine.get_json()["actor"] == first
    assert current_context().actor is None
    refused = client.get("/mine")  # the next request on the same thread: anonymous again
    assert refused.status_code == 403 and current_context().actor is None


def test_an_async_resolver_looks_the_actor_up_through_the_kernel(
    sync_infra: SyncInfrastructure, owned: dict[int, list[int]]
) -> None:
    """An async resolver runs on the facade's loop, in the request's context: ``ext.kernel`` is the async API."""
    app = Flask("lookup")

    async def by_email(request: RequestInfo) -> dict[str, Any] | None:
        email = request.header("x-email")
        user = await ext.kernel.repository("user").find_unique({"email": email}) if email else None
        return {"id": user["id"], "roles": []} if user else None

    ext = PrismaInfra(app, infrastructure=sync_infra, resolvers=[by_email])

    @app.get("/me")
    def me() -> dict[str, Any]:
        return {"actor": actor_id(current_context().actor)}

    with wsgi_server(app) as server, httpx.Client(base_url=server.url) as http:
        found = http.get("/me", headers={"X-Email": "u1@example.com"}).json()
        unknown = http.get("/me", headers={"X-Email": "nobody@example.com"}).json()
    assert found == {"actor": list(owned)[1]} and unknown == {"actor": None}


def test_the_blueprint_passes_http_semantics_through(served: httpx.Client, owned: dict[int, list[int]]) -> None:
    """Request headers reach the API and its headers come back: ETag/304, Link pages, HEAD, the OpenAPI document."""
    admin = as_user(next(iter(owned)), "ADMIN")
    first = served.get("/api/post", params={"per_page": 2, "order": "id.asc"}, headers=admin)
    assert first.status_code == 200 and first.headers["etag"]
    again = served.get(
        "/api/post",
        params={"per_page": 2, "order": "id.asc"},
        headers={**admin, "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    assert (
        'rel="next"' in first.headers["link"]
        and str(served.base_url).rstrip("/") + "/api/post?" in first.headers["link"]
    )
    head = served.head("/api/post", headers=admin)
    assert head.status_code == 200 and head.content == b""
    document = served.get("/api/openapi.json")
    assert document.status_code == 200 and "/post/{id}" in document.json()["paths"]
    ui = served.get("/api/docs")
    assert ui.status_code == 200 and ui.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]*/docs/static/[^"]+)"', ui.text)
    assert assets and all(served.get(asset).status_code == 200 for asset in assets)  # from the package, no CDN
