"""The Starlette integration end to end: a plain Starlette app with `InfraMiddleware`, the problem handlers and
the lifespan (settings watcher included), under uvicorn on a real SQLite database, over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prisma_infra.context import current_context
from prisma_infra.errors import RecordNotFoundError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.integrations.actors import RequestInfo
from prisma_infra.integrations.starlette import (
    InfraLifespan,
    InfraMiddleware,
    exception_handlers,
    lifespan,
    problem_response,
)
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.tests.integrations.web_site import ANONYMOUS, Site, make_site
from tests.http_server import ServedApp, asgi_server, serving

pytestmark = pytest.mark.integration

LEAK = "card 4111-1111-1111-1111 of ada@example.com"


async def whoami(request: Request) -> Response:
    context = current_context()
    return JSONResponse({"actor": context.actor, "request_id": context.request_id, "tenant": context.tenant})


async def boom(request: Request) -> Response:
    raise RuntimeError(LEAK)  # a foreign error whose message carries values


async def missing(request: Request) -> Response:
    raise RecordNotFoundError("No User matches the unique where.", model="User")


async def count_users(request: Request) -> Response:
    return JSONResponse({"users": await request.app.state.kernel.repository("user").count()})


ROUTES = [Route("/whoami", whoami), Route("/boom", boom), Route("/missing", missing), Route("/count", count_users)]


def _from_api_key(request: RequestInfo) -> dict[str, Any] | None:
    key = request.header("x-api-key")
    if key == "crash":
        raise RuntimeError(LEAK)  # a resolver's own bug
    return {"id": f"key-{key}", "roles": ["SERVICE"], "tenant_id": "svc"} if key else None


def build_app(life: InfraLifespan, *, handlers: bool = True) -> Starlette:
    return Starlette(
        routes=ROUTES,
        lifespan=life,
        middleware=[Middleware(InfraMiddleware, resolvers=[_from_api_key])],
        exception_handlers=exception_handlers() if handlers else None,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return make_site(tmp_path_factory.mktemp("starlette"))


@pytest.fixture(scope="module")
def served(site: Site) -> Iterator[tuple[InfraLifespan, ServedApp]]:
    life = lifespan(site.settings, polling=True, debounce_ms=50)
    with asgi_server(build_app(life)) as server:
        yield life, server


@pytest.fixture
def http(served: tuple[InfraLifespan, ServedApp]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[1].url, timeout=30) as client:
        yield client


def test_the_middleware_resolves_jwt_app_resolver_and_anonymous_actors(http: httpx.Client, site: Site) -> None:
    jwt_actor = http.get("/whoami", headers=site.bearer(sub="u1", roles=["EDITOR"], tenant_id="t1")).json()
    by_key = http.get("/whoami", headers={"X-API-Key": "k9"}).json()
    anonymous = http.get("/whoami").json()
    assert jwt_actor["actor"] == {"id": "u1", "roles": ["EDITOR"], "tenant_id": "t1"} and jwt_actor["tenant"] == "t1"
    assert by_key["actor"] == {"id": "key-k9", "roles": ["SERVICE"], "tenant_id": "svc"}
    assert anonymous["actor"] == ANONYMOUS and anonymous["tenant"] == "public"


def test_an_app_resolver_answering_first_wins_over_a_bad_token(http: httpx.Client) -> None:
    """The app's resolvers are asked first: one that answers is the actor, the JWT resolver is not asked."""
    response = http.get("/whoami", headers={"X-API-Key": "k1", "Authorization": "Bearer nonsense"})
    assert response.status_code == 200 and response.json()["actor"]["id"] == "key-k1"


def test_a_foreign_exception_is_a_generic_500_that_leaks_nothing(http: httpx.Client) -> None:
    response = http.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500 and response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:prisma-infra:problem:internal" and "4111" not in response.text
    assert "ada@example.com" not in response.text and response.headers["x-request-id"] == "boom-1"


def test_a_failing_resolver_is_a_generic_500_with_the_request_id(http: httpx.Client) -> None:
    response = http.get("/whoami", headers={"X-API-Key": "crash", "X-Request-ID": "crash-1"})
    assert response.status_code == 500 and response.json()["type"] == "urn:prisma-infra:problem:internal"
    assert "4111" not in response.text and response.headers["x-request-id"] == "crash-1"


def test_our_errors_map_through_the_handlers(http: httpx.Client) -> None:
    response = http.get("/missing")
    assert response.status_code == 404 and response.json()["model"] == "User"
    assert response.headers["x-request-id"]


def test_the_settings_watcher_applies_a_saved_settings_file(
    http: httpx.Client, served: tuple[InfraLifespan, ServedApp], site: Site
) -> None:
    life, server = served
    before = http.get("/whoami").json()["actor"]

    async def save_and_wait() -> Any:
        watcher = await life.infra.watch()  # the lifespan's watcher (started with the app)
        async with watcher.reloaded:
            seen = len(watcher.history)
            await asyncio.to_thread(site.write_settings, anonymous_tenant="lobby")
            await asyncio.wait_for(watcher.reloaded.wait_for(lambda: len(watcher.history) > seen), 20)
        return watcher.history[-1]

    try:
        changes = server.run(save_and_wait())
        after = http.get("/whoami").json()
    finally:
        site.write_settings()
    assert before["tenant_id"] == "public"
    assert "api.auth.anonymous" in json.dumps(changes)
    assert after["actor"]["tenant_id"] == "lobby" and after["tenant"] == "lobby"


def test_without_handlers_the_middleware_still_answers_our_errors_as_problems(site: Site) -> None:
    life = lifespan(site.settings, watch=False)
    with asgi_server(build_app(life, handlers=False)) as server, httpx.Client(base_url=server.url) as http:
        missing = http.get("/missing", headers={"X-Request-ID": "m-1"})
        bad = http.get("/whoami", headers={"Authorization": "Bearer not-a-token"})
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["x-request-id"] == "m-1"
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")


async def test_an_infrastructure_started_by_the_caller_is_published_not_closed(site: Site) -> None:
    infra = Infrastructure.from_settings(site.settings)
    async with infra:
        app = build_app(lifespan(infra))
        async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
            counted = await http.get("/count")
        assert counted.status_code == 200 and counted.json()["users"] >= 0
        assert app.state.kernel is infra
        assert await infra.repository("user").count() >= 0  # still running after the app stopped
        assert infra._watcher is None  # not the app's to watch


async def test_a_websocket_gets_the_actor_or_is_closed_on_bad_credentials(
    served: tuple[InfraLifespan, ServedApp], site: Site
) -> None:
    """At the ASGI level (the test environment's uvicorn has no WebSocket library): the same actor step."""
    seen: list[Any] = []

    async def socket_app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(current_context().actor)
        await send({"type": "websocket.accept"})

    middleware = InfraMiddleware(socket_app, kernel=served[0].infra)

    async def connect(headers: dict[str, str]) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        scope = {"type": "websocket", "path": "/ws", "headers": raw, "client": ("127.0.0.1", 50000)}
        await middleware(scope, receive, send)
        return sent

    accepted = await connect(site.bearer(sub="w1", roles=["EDITOR"], tenant_id="t1"))
    refused = await connect({"Authorization": "Bearer not-a-token"})
    assert accepted == [{"type": "websocket.accept"}] and seen == [{"id": "w1", "roles": ["EDITOR"], "tenant_id": "t1"}]
    assert refused == [{"type": "websocket.close", "code": 1008, "reason": "unauthenticated"}]


def test_problem_response_is_the_one_mapping() -> None:
    response = problem_response(RecordNotFoundError("No Post matches the unique where.", model="Post"))
    assert response.status_code == 404 and response.media_type == "application/problem+json"
    assert json.loads(bytes(response.body))["model"] == "Post"
