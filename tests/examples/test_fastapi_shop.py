"""examples/fastapi_shop started by its README's one command (``run.py``) on PostgreSQL, over real HTTP.

The app runs in a subprocess (uvicorn on a free loopback port, started by ``run.py`` after it created
the database, pushed the schema and seeded it) and is spoken to with httpx and real HS256 JWTs. What it
proves: an actor of tenant ``acme`` cannot see, count, update or delete a row of tenant ``globex``
through any endpoint of the auto REST API, for any model; a non-admin cannot write the catalog (403
naming the policy and the rule); a request without a token is denied wherever policies need an actor;
an invalid token is a 401 that says what failed.
"""

from __future__ import annotations

import base64
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.real_databases import PG_SERVER, SUFFIX, admin

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_shop"
SECRET = "fastapi-shop-test-secret-0123456789abcdef"
#: Seconds the example may take to create its database, push the schema, seed and listen.
START_TIMEOUT = 180
_LISTENING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")
PROBLEM = "application/problem+json"

#: The demo users of seed.py: (id, role, tenant).
USERS = {
    "acme-admin": ("ADMIN", "acme"),
    "acme-staff": ("STAFF", "acme"),
    "acme-alice": ("CUSTOMER", "acme"),
    "globex-admin": ("ADMIN", "globex"),
    "globex-bob": ("CUSTOMER", "globex"),
}
#: Route → (its tenant field, its key fields, a harmless update, whether it has createdAt for analytics).
MODELS: dict[str, tuple[str, tuple[str, ...], dict[str, Any], bool]] = {
    "product": ("tenantId", ("id",), {"name": "taken over", "price": "0.01"}, True),
    "user": ("tenantId", ("id",), {"name": "taken over"}, True),
    "order": ("tenantId", ("id",), {"status": "CANCELLED"}, True),
    "orderItem": ("tenantId", ("orderId", "productId"), {"quantity": 99}, False),
    "tenant": ("id", ("id",), {"name": "taken over"}, False),
}


def token(user: str, **overrides: Any) -> str:
    """The JWT the shop's login service signs (settings.toml: HS256, audience, issuer)."""
    role, tenant = USERS[user]
    now = int(time.time())
    claims = {"sub": user, "roles": [role], "tenant_id": tenant, "iat": now, "exp": now + 600}
    claims |= {"aud": "fastapi-shop", "iss": "https://login.shop.example"}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, SECRET, algorithm="HS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


#: The header of an unsigned JWT (``{"alg":"none"}``), crafted by hand: PyJWT refuses to make one.
UNSIGNED = _b64(b'{"alg":"none"}')


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(user)}"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """``python run.py --port 0`` in a copy of the example, on a database it creates itself."""
    folder = tmp_path_factory.mktemp("fastapi-shop") / "fastapi_shop"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".secrets.toml", "__pycache__"))
    name = f"fastapi_shop_test{SUFFIX}"
    admin("postgresql", f"{PG_SERVER}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    env = {k: v for k, v in os.environ.items() if k != "PRISMA_INFRA_LOAD_PLUGINS"}
    env |= {
        "PRISMA_INFRA_DATABASE__URL": f"{PG_SERVER}/{name}",
        "PRISMA_INFRA_API__AUTH__JOSE__SECRET": SECRET,  # as in production: not in a file
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, str(folder / "run.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output: list[str] = []
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            listening = _LISTENING.search(line)
            if listening:
                found.put(listening.group(1))
        found.put("")  # the process ended

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        try:
            url = found.get(timeout=START_TIMEOUT)
        except queue.Empty:
            url = ""
        assert url, "run.py did not start the shop:\n" + "".join(output)
        text = "".join(output)
        assert f"created database '{name}'" in text and "seeded: 2 Tenant, 5 User, 6 Product, 4 Order" in text
        assert not (folder / ".secrets.toml").exists()  # the environment's secret is used, no file written
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        reader.join(10)
    # uvicorn re-raises SIGTERM once it shut down gracefully (the lifespan closed the infrastructure)
    assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in "".join(output), "".join(output)


def rows(shop: httpx.Client, user: str, route: str, query: str = "", *, per_page: int = 100) -> list[dict[str, Any]]:
    response = shop.get(f"/api/{route}?per_page={per_page}{query}", headers=auth(user))
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def key_path(route: str, record: dict[str, Any]) -> str:
    return "/".join(str(record[name]) for name in MODELS[route][1])


def key_where(route: str, record: dict[str, Any]) -> dict[str, Any]:
    fields = MODELS[route][1]
    if len(fields) == 1:
        return {fields[0]: record[fields[0]]}
    return {"_".join(fields): {name: record[name] for name in fields}}


def denied(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.request.method, response.request.url, response.text)
    assert response.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("route", list(MODELS))
@pytest.mark.parametrize("user", ["acme-admin", "acme-alice"])
def test_no_endpoint_reaches_another_tenants_rows(shop: httpx.Client, user: str, route: str) -> None:
    tenant_field, _, update, dated = MODELS[route]
    theirs = rows(shop, "globex-admin", route)
    assert theirs and all(r[tenant_field] == "globex" for r in theirs)  # the rows exist (positive control)
    their_keys = {key_path(route, r) for r in theirs}
    mine = rows(shop, user, route)
    assert mine and all(r[tenant_field] == "acme" for r in mine)  # the endpoints work for our own rows
    assert not their_keys & {key_path(route, r) for r in mine}
    headers = auth(user)
    base = f"/api/{route}"

    # list with a filter on the other tenant, search, count, aggregate, group-by, analytics: nothing of theirs
    assert rows(shop, user, route, f"&{tenant_field}=eq.globex") == []
    searched = shop.post(f"{base}/search", json={"where": {tenant_field: "globex"}}, headers=headers)
    assert searched.status_code == 200 and searched.json()["data"] == [], searched.text
    everything = shop.post(f"{base}/search?per_page=100", json={}, headers=headers).json()["data"]
    assert {key_path(route, r) for r in everything} == {key_path(route, r) for r in mine}
    assert shop.get(f"{base}/count", headers=headers).json() == {"count": len(mine)}
    assert shop.get(f"{base}/count?{tenant_field}=eq.globex", headers=headers).json() == {"count": 0}
    body = {"where": {tenant_field: "globex"}, "_count": {"_all": True}}
    aggregate = shop.post(f"{base}/aggregate", json=body, headers=headers)
    assert aggregate.status_code == 200 and aggregate.json()["_count"]["_all"] == 0, aggregate.text
    whole = shop.post(f"{base}/aggregate", json={"_count": {"_all": True}}, headers=headers)
    assert whole.json()["_count"]["_all"] == len(mine)
    groups = shop.post(f"{base}/group-by", json={"by": [tenant_field], "_count": {"_all": True}}, headers=headers)
    assert groups.status_code == 200, groups.text
    assert groups.json()["data"] == [{tenant_field: "acme", "_count": {"_all": len(mine)}}]
    if dated:
        analytics = shop.get(f"{base}/analytics?metrics=count&group_by=tenantId&since=3650d", headers=headers)
        assert analytics.status_code == 200, analytics.text
        series = analytics.json()
        assert [g["key"] for g in series["groups"]] == [{"tenantId": "acme"}]
        assert sum(p["count"] for g in series["groups"] for p in g["points"]) == len(mine)

    # one record of theirs: read, update, upsert, delete, bulk — none reaches it
    for record in theirs:
        path = f"{base}/{key_path(route, record)}"
        denied(shop.get(path, headers=headers), 404)
        denied(shop.patch(path, json=update, headers=headers), 403, 404)
        upsert = {k: v for k, v in record.items() if k not in MODELS[route][1]} | update
        if tenant_field != "id":
            upsert[tenant_field] = "acme"
        denied(shop.put(path, json=upsert, headers=headers), 403, 404, 409)
        denied(shop.delete(path, headers=headers), 403, 404)
    where = key_where(route, theirs[0])
    bulk = shop.post(f"{base}/bulk", json={"update": [{"where": where, "data": update}]}, headers=headers)
    assert bulk.status_code == 207 and bulk.json()["updated"] == 0, bulk.text
    bulk = shop.post(f"{base}/bulk", json={"delete": [where]}, headers=headers)
    assert bulk.status_code == 207 and bulk.json()["deleted"] == 0, bulk.text
    if tenant_field != "id":  # nor can a row be created in their tenant
        planted = {k: v for k, v in theirs[0].items() if k not in ("id", "createdAt")} | {"tenantId": "globex"}
        denied(shop.post(base, json=planted, headers=headers), 403)
        bulk = shop.post(f"{base}/bulk", json={"create": [planted]}, headers=headers)
        assert bulk.status_code == 207 and bulk.json()["created"] == 0, bulk.text

    # their rows are exactly as they were (read fresh: another page size is another cache key)
    assert rows(shop, "globex-admin", route, per_page=99) == theirs


def test_a_row_cannot_be_moved_into_another_tenant(shop: httpx.Client) -> None:
    product = rows(shop, "acme-admin", "product")[0]
    moved = shop.patch(f"/api/product/{product['id']}", json={"tenantId": "globex"}, headers=auth("acme-admin"))
    denied(moved, 403)
    assert moved.json()["rule"] == "link-unreadable"
    assert rows(shop, "acme-admin", "product", per_page=98)[0] == product


@pytest.mark.parametrize("user", ["acme-staff", "acme-alice"])
def test_only_admins_write_the_catalog(shop: httpx.Client, user: str) -> None:
    data = {"tenantId": "acme", "sku": f"NEW-{user}", "name": "New", "price": "9.99"}
    created = shop.post("/api/product", json=data, headers=auth(user))
    denied(created, 403)
    problem = created.json()
    assert (problem["policy"], problem["rule"]) == ("catalog", "only-admins-write")
    assert problem["type"] == "urn:prisma-infra:problem:policy-denied"
    product = rows(shop, user, "product")[0]
    changed = shop.patch(f"/api/product/{product['id']}", json={"price": "0.01"}, headers=auth(user))
    denied(changed, 403)
    assert changed.json()["rule"] == "only-admins-write"
    assert shop.get(f"/api/product/{product['id']}", headers=auth(user)).json()["price"] == product["price"]


def test_an_admin_writes_the_catalog_of_its_own_tenant(shop: httpx.Client) -> None:
    data = {"tenantId": "acme", "sku": "NEW-ADMIN", "name": "New", "price": "9.99"}
    created = shop.post("/api/product", json=data, headers=auth("acme-admin"))
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location.endswith(f"/api/product/{created.json()['id']}")
    assert shop.get(f"/api/product/{created.json()['id']}", headers=auth("globex-admin")).status_code == 404
    deleted = shop.delete(f"/api/product/{created.json()['id']}", headers=auth("acme-admin"))
    assert deleted.status_code == 200, deleted.text


def test_without_a_token_policies_deny(shop: httpx.Client) -> None:
    for method, path in [("GET", "/api/product"), ("GET", "/api/order/count"), ("POST", "/api/tenant/search")]:
        response = shop.request(method, path, json={} if method == "POST" else None)
        denied(response, 403)
        assert response.json()["policy"] in ("catalog", "orders", "tenants")
        assert "anonymous" in response.json()["detail"]
    created = shop.post("/api/product", json={"tenantId": "acme", "sku": "ANON", "name": "x", "price": "1"})
    denied(created, 403)
    denied(shop.get("/me"), 401)


def test_an_invalid_token_is_a_401_saying_what_failed(shop: httpx.Client) -> None:
    cases = {
        "expired (exp)": token("acme-admin", exp=int(time.time()) - 60),
        "wrong audience": token("acme-admin", aud="billing"),
        "wrong issuer": token("acme-admin", iss="https://evil.example"),
        "bad signature": jwt.encode(
            {"sub": "acme-admin", "exp": int(time.time()) + 60}, "not-the-secret-0123456789abcdefgh", algorithm="HS256"
        ),
        "algorithm 'none' is not allowed": f"{UNSIGNED}.{token('acme-admin').split('.')[1]}.",
    }
    for reason, bad in cases.items():
        response = shop.get("/api/product", headers={"Authorization": f"Bearer {bad}"})
        denied(response, 401)
        assert reason in response.json()["detail"], (reason, response.text)
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        assert bad not in response.text


def test_checkout_prices_from_the_customers_own_catalog(shop: httpx.Client) -> None:
    ours = rows(shop, "acme-alice", "product")
    theirs = rows(shop, "globex-bob", "product")
    before = len(rows(shop, "acme-alice", "order"))
    line = {"product_id": ours[0]["id"], "quantity": 2}
    placed = shop.post("/checkout", json={"items": [line]}, headers=auth("acme-alice"))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert float(order["total"]) == pytest.approx(2 * float(ours[0]["price"]))
    assert len(rows(shop, "acme-alice", "order", per_page=97)) == before + 1
    assert shop.get(f"/api/order/{order['id']}", headers=auth("globex-bob")).status_code == 404
    foreign = shop.post(
        "/checkout", json={"items": [{"product_id": theirs[0]["id"], "quantity": 1}]}, headers=auth("acme-alice")
    )
    denied(foreign, 404)
    # A customer cannot write an order (and choose its prices) through the REST API.
    direct = {"tenantId": "acme", "userId": "acme-alice", "total": "0.01"}
    denied(shop.post("/api/order", json=direct, headers=auth("acme-alice")), 403)


def test_the_readme_requests(shop: httpx.Client) -> None:
    paid = rows(shop, "acme-alice", "order", "&status=eq.PAID&include=items")
    assert paid and all(o["status"] == "PAID" and o["userId"] == "acme-alice" for o in paid)
    assert all(item["tenantId"] == "acme" for o in paid for item in o["items"])
    me = shop.get("/me", headers=auth("acme-alice")).json()
    assert me["actor"] == {"id": "acme-alice", "roles": ["CUSTOMER"], "tenant_id": "acme"}
    assert me["user"]["email"] == "alice@acme.example"  # her own e-mail, unmasked (policy users, unless)
    others = rows(shop, "acme-alice", "user")
    assert all(u["email"] != "ada@acme.example" for u in others)  # the others' are masked for a customer


def test_openapi_document_and_docs_ui(shop: httpx.Client) -> None:
    document = shop.get("/api/openapi.json")
    assert document.status_code == 200, document.text
    paths = document.json()["paths"]
    assert {"/product", "/product/{id}", "/orderItem/{orderId}/{productId}"} <= set(paths)
    docs = shop.get("/api/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"], docs.text
