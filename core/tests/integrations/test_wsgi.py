"""`InfraWSGIMiddleware` around a plain WSGI app, through real HTTP (werkzeug's threaded server, httpx, SQLite)."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from prisma_infra.actor import actor_id
from prisma_infra.context import bypass_policies, current_context
from prisma_infra.errors import RecordNotFoundError
from prisma_infra.integrations.problems import MEDIA_TYPE
from prisma_infra.integrations.wsgi import InfraWSGIMiddleware
from prisma_infra.sync import SyncInfrastructure
from werkzeug.test import EnvironBuilder

from core.tests.integrations.flask_support import as_user, configured, seed, sync_infra, user_header
from tests.http_server import wsgi_server

pytestmark = pytest.mark.integration
__all__ = ["sync_infra"]  # the module-scoped fixture

StartResponse = Callable[..., Any]


def plain_app(infra: SyncInfrastructure) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """A WSGI app that knows nothing of the middleware but uses the infrastructure."""

    def json_body(value: Any) -> bytes:
        return json.dumps(value).encode()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path == "/mine":
            start_response("200 OK", [("Content-Type", "application/json")])

            def lazily() -> Iterator[bytes]:  # runs after app() returned, while the server iterates
                context = current_context()
                posts = infra.repository("post").find_many(order_by={"id": "asc"})
                yield json_body(
                    {"actor": actor_id(context.actor), "rid": context.request_id, "posts": [p["id"] for p in posts]}
                )

            return lazily()
        if path == "/whoami":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json_body({"actor": current_context().actor})]
        if path == "/typo":
            infra.repository("user").find_many(where={"emial": "x"})
        if path == "/late":
            start_response("200 OK", [("Content-Type", "text/plain")])
            raise RecordNotFoundError("No User matches the key", model="User")
        if path == "/crash":
            raise RuntimeError("not ours")
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"the app's own 404"]

    return app


@pytest.fixture(scope="module")
def served(sync_infra: SyncInfrastructure) -> Iterator[httpx.Client]:
    wrapped = InfraWSGIMiddleware(plain_app(sync_infra), sync_infra, resolvers=[user_header])
    with wsgi_server(wrapped) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def owned(sync_infra: SyncInfrastructure) -> dict[int, list[int]]:
    return seed(sync_infra)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    return body


def test_the_wrapped_app_acts_as_the_requests_actor_even_while_its_response_is_iterated(
    served: httpx.Client, owned: dict[int, list[int]]
) -> None:
    first, second = owned
    mine = served.get("/mine", headers={**as_user(first), "X-Request-ID": "wsgi-1"})
    admin = served.get("/mine", headers=as_user(second, "ADMIN"))
    assert mine.json() == {"actor": first, "rid": "wsgi-1", "posts": owned[first]}
    assert mine.headers["x-request-id"] == "wsgi-1"
    assert admin.json()["posts"] == sorted(owned[first] + owned[second])
    assert served.get("/nowhere").text == "the app's own 404"  # everything else passes through


def test_the_settings_resolver_answers_when_the_apps_does_not(served: httpx.Client) -> None:
    proxied = served.get("/whoami", headers={"X-Forwarded-User": "alice", "X-Forwarded-Roles": "EDITOR"})
    assert proxied.json()["actor"] == {"id": "alice", "roles": ["EDITOR"], "tenant_id": None}
    assert served.get("/whoami", headers={**as_user(3), "X-Forwarded-User": "alice"}).json()["actor"]["id"] == 3
    assert served.get("/whoami").json() == {"actor": None}  # anonymous (api.auth.anonymous)


def test_our_errors_raised_through_the_app_are_problems(served: httpx.Client) -> None:
    typo = problem(served.get("/typo"), 422)
    assert (typo["model"], typo["field"], typo["suggestion"]) == ("User", "emial", "email")
    late = problem(served.get("/late"), 404)  # start_response was called already: replaced
    assert late["model"] == "User"
    assert served.get("/crash").status_code == 500  # not ours: the server's own handling


def test_concurrent_requests_never_see_each_others_actor(served: httpx.Client, owned: dict[int, list[int]]) -> None:
    users = list(owned)

    def client_thread(n: int) -> list[tuple[int, dict[str, Any], str]]:
        user = users[n % 2]
        path = "/mine" if n % 4 < 2 else "/api/post"
        return [
            (user, served.get(path, headers={**as_user(user), "X-Request-ID": f"w{n}-{k}"}).json(), path)
            for k in range(20)
        ]

    with ThreadPoolExecutor(8) as pool:
        results = [row for rows in pool.map(client_thread, range(8)) for row in rows]
    assert len(results) == 160
    for user, body, path in results:
        if path == "/mine":
            assert (body["actor"], body["posts"]) == (user, owned[user])
        else:
            assert sorted(p["id"] for p in body["data"]) == owned[user]


def test_the_rest_api_is_served_under_the_prefix(
    served: httpx.Client, sync_infra: SyncInfrastructure, owned: dict[int, list[int]]
) -> None:
    first = next(iter(owned))
    listed = served.get("/api/post", params={"order": "id.asc"}, headers=as_user(first))
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()["data"]] == owned[first]
    proxied = {"X-Forwarded-User": "alice"}
    created = served.post("/api/user", json={"email": "rest@example.com", "name": "Rest"}, headers=proxied)
    assert created.status_code == 201, created.text
    user = created.json()
    assert created.headers["location"].endswith(f"/api/user/{user['id']}")
    with bypass_policies():
        history = sync_infra.audit.history("User", user["id"])
    assert [(e["action"], e["actor"]) for e in history] == [("create", "alice")]
    unknown = problem(served.get("/api/post", params={"titel": "eq.x"}, headers=as_user(first)), 422)
    assert (unknown["field"], unknown["suggestion"]) == ("titel", "title")


def test_a_prefix_of_its_own_and_no_api(sync_infra: SyncInfrastructure, owned: dict[int, list[int]]) -> None:
    app = plain_app(sync_infra)
    own_prefix = InfraWSGIMiddleware(app, sync_infra, resolvers=[user_header], prefix="/rest/v1")
    no_api = InfraWSGIMiddleware(app, sync_infra, api=False)
    first = next(iter(owned))
    with wsgi_server(own_prefix) as one, wsgi_server(no_api) as other, httpx.Client(timeout=30) as http:
        under = http.get(f"{one.url}/rest/v1/post", headers=as_user(first))
        elsewhere = http.get(f"{one.url}/api/post", headers=as_user(first))
        off = http.get(f"{other.url}/api/post")
    assert sorted(p["id"] for p in under.json()["data"]) == owned[first]
    assert elsewhere.text == off.text == "the app's own 404"


def test_a_response_the_server_drops_unread_ends_the_actors_block_cleanly(
    sync_infra: SyncInfrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that neither iterates nor closes the response must not leave a context token behind."""
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    wrapped = InfraWSGIMiddleware(plain_app(sync_infra), sync_infra, resolvers=[user_header])
    environ = EnvironBuilder(path="/whoami", headers=as_user(5)).get_environ()
    result = wrapped(environ, lambda status, headers, exc_info=None: None)
    assert current_context().actor is None  # the caller's context never had it
    del result
    gc.collect()
    assert unraisable == []


def test_a_failing_resolver_is_a_generic_500_problem(sync_infra: SyncInfrastructure) -> None:
    def broken(request: Any) -> None:
        raise RuntimeError("key file unreadable: /secret/path")

    wrapped = InfraWSGIMiddleware(plain_app(sync_infra), sync_infra, resolvers=[broken])
    with wsgi_server(wrapped) as server, httpx.Client(base_url=server.url) as http:
        failed = http.get("/whoami", headers={"X-Request-ID": "broken-1"})
    body = problem(failed, 500)
    assert body["type"] == "urn:prisma-infra:problem:internal" and "/secret/path" not in failed.text
    assert failed.headers["x-request-id"] == "broken-1"


def test_a_body_over_api_max_body_size_is_refused_unread(
    served: httpx.Client, sync_infra: SyncInfrastructure, owned: dict[int, list[int]]
) -> None:
    first = next(iter(owned))
    with configured(sync_infra, {"api": {"max_body_size": 64}}, after={"api": {"max_body_size": 1_048_576}}):
        big = served.post("/api/post", json={"title": "x" * 200, "authorId": first}, headers=as_user(first))
        small = served.post("/api/post", json={"title": "small", "authorId": first}, headers=as_user(first))
    assert "max_body_size" in problem(big, 413)["detail"]
    assert small.status_code == 201, small.text


def test_a_thread_that_serves_many_requests_keeps_no_actor_between_them(
    sync_infra: SyncInfrastructure, owned: dict[int, list[int]]
) -> None:
    wrapped = InfraWSGIMiddleware(plain_app(sync_infra), sync_infra, resolvers=[user_header])
    first = next(iter(owned))

    def call(headers: dict[str, str]) -> Any:
        result = wrapped(EnvironBuilder(path="/mine", headers=headers).get_environ(), lambda *args: None)
        try:
            return json.loads(b"".join(result))
        finally:
            result.close()  # type: ignore[attr-defined]  # as a server does

    assert call(as_user(first))["actor"] == first
    assert current_context().actor is None
    assert call(as_user(first, "ADMIN"))["posts"] == sorted(p for posts in owned.values() for p in posts)
    assert current_context().actor is None


def test_the_settings_resolvers_follow_a_reload(served: httpx.Client, sync_infra: SyncInfrastructure) -> None:
    proxied = {"X-Forwarded-User": "alice"}
    with configured(
        sync_infra,
        {"api": {"auth": {"header": {"enabled": False}}}},
        after={"api": {"auth": {"header": {"enabled": True}}}},
    ):
        ignored = served.get("/whoami", headers=proxied).json()
    assert ignored == {"actor": None}
    assert served.get("/whoami", headers=proxied).json()["actor"]["id"] == "alice"
