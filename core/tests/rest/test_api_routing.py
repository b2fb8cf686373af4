"""RestApi routing and exposure (rest/api.py, rest/exposure.py): 404/405/413/415, HEAD, settings read per request."""

from __future__ import annotations

import pytest
from prisma_infra.rest.api import ROUTES
from prisma_infra.rest.exposure import exposed_models, model_for_route, route_name
from prisma_infra.rest.request import ApiRequestError

from core.tests.rest.api_support import BASE, ApiClient, api_database, client
from core.tests.rest.rest_support import RestDatabase

__all__ = ["api_database", "client"]  # the fixtures

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def test_route_names_are_client_accessors() -> None:
    assert route_name("User") == "user" and route_name("BlogPost") == "blogPost"
    assert {r.path for r in ROUTES} >= {"/{model}", "/{model}/{key}", "/{model}/group-by"}


async def test_exposure_follows_the_settings(client: ApiClient) -> None:
    infra = client.infra
    assert [m.name for m in exposed_models(infra)] == ["User", "Post", "Enrollment", "Slot"]  # Badge hidden
    assert model_for_route(infra, "USER").name == "User"
    with pytest.raises(ApiRequestError) as refused:
        model_for_route(infra, "badge")
    assert refused.value.status == 404
    user = next(m for m in exposed_models(infra) if m.name == "User")
    assert user.hidden == {"secretNote", "badges"}  # excluded, and the relation to a hidden model


async def test_unknown_and_hidden_models_are_404(client: ApiClient) -> None:
    for path in ("/nothing", "/badge", "/badge/1", "/", ""):
        answer = await client.get(path)
        assert answer.status == 404, path
        assert answer.headers["content-type"] == "application/problem+json"
    assert (await client.get("/user/1/2")).status == 404  # too many key segments


async def test_actions_not_offered_are_405_with_allow(client: ApiClient) -> None:
    refused = await client.post("/slot", {"day": "mon", "hour": 1})  # Slot: list and read only
    assert refused.status == 405
    assert refused.headers["allow"] == "GET, HEAD"
    assert (await client.send("DELETE", "/slot/mon/1")).headers["allow"] == "GET, HEAD"
    assert (await client.send("PATCH", "/user")).headers["allow"] == "GET, POST, HEAD"
    assert (await client.get("/user/bulk")).headers["allow"] == "POST"
    assert (await client.post("/slot/bulk", {})).status == 404  # no method at all: no such resource


async def test_bodies_must_be_json_and_small(client: ApiClient) -> None:
    wrong_type = await client.post(
        "/user", raw=b"email=a", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert wrong_type.status == 415
    assert (await client.post("/user", raw=b"{", headers={"Content-Type": "application/json"})).status == 400
    assert (await client.post("/user", raw=b"[" * 5000 + b"]" * 5000)).status == 400  # nests too deeply
    assert (await client.post("/user", raw=b"[]")).status == 422
    assert (await client.post("/user")).status == 400  # no body
    charset = await client.post(
        "/user", raw=b'{"email": "a@x.io"}', headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert charset.status == 201
    big = await client.post("/user", raw=b'{"email": "' + b"x" * (1 << 20) + b'"}')
    assert big.status == 413
    assert (await client.infra.repository("user").count()) == 1


async def test_head_is_get_without_a_body(client: ApiClient) -> None:
    await client.post("/user", {"email": "a@x.io"})
    head = await client.send("HEAD", "/user")
    assert head.status == 200 and head.raw == b"" and "etag" in head.headers


async def test_the_openapi_document_is_served(client: ApiClient, api_database: RestDatabase) -> None:
    document = await client.get("/openapi.json")
    assert document.status == 200 and document.json["openapi"].startswith("3.1")
    assert document.json["servers"][0]["url"] == BASE
    assert "/user/{id}" in document.json["paths"] and not any("badge" in p for p in document.json["paths"])
    assert (await client.post("/openapi.json", {})).status == 405
    infra = await api_database.start(api={"docs": False})
    try:
        for path in ("/openapi.json", "/docs", "/docs/static/swagger-ui.css"):
            assert (await ApiClient(infra).get(path)).status == 404
    finally:
        await infra.close()


async def test_the_docs_ui_is_served_from_the_installed_package(client: ApiClient) -> None:
    page = await client.get("/docs")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    html = page.raw.decode()
    assert f"{BASE}/openapi.json" in html and f"{BASE}/docs/static/swagger-ui-bundle.js" in html
    assert "https://" not in html.replace(BASE, "")  # no CDN
    assert "script-src 'self' 'sha256-" in page.headers["content-security-policy"]
    script = await client.get("/docs/static/swagger-ui-bundle.js")
    assert script.status == 200 and len(script.raw) > 100_000
    assert script.headers["content-type"] in ("text/javascript", "application/javascript")
    assert (await client.get("/docs/static/..%2Fsecret")).status == 404
    assert (await client.get("/docs/static/nothing.js")).status == 404


async def test_settings_are_read_per_request(api_database: RestDatabase) -> None:
    infra = await api_database.start(api={"enabled": False})
    try:
        assert (await ApiClient(infra).get("/user")).status == 404
    finally:
        await infra.close()
    infra = await api_database.start(api={"models": ["Post"]}, models={"Slot": {"api": {"enabled": True}}})
    try:
        client = ApiClient(infra)
        assert (await client.get("/user")).status == 404
        assert (await client.get("/post")).status == 200
        assert (await client.get("/slot")).status == 200  # models.Slot.api.enabled beats api.models
        include = await client.get("/post", query=[("include", "author")])
        assert include.status == 422  # the relation to a model not exposed is hidden
    finally:
        await infra.close()
