"""The web app and dashboard attacked over real HTTP: uvicorn on 127.0.0.1, httpx as the client.

The app is the one `Infrastructure.web_app` serves, with every installed plugin
loaded (``/metrics`` from prometheus) and bearer auth from ``monitoring.web``.
The routes are enumerated from the app, never listed by hand: every one but the
two health checks refuses a request without the token, with a wrong one, and
(403) an actor without ``monitoring.web.role``; every one refuses a rebound
``Host``. Before the first request the fixture stores a globex user with a
distinctive e-mail, name and card number and makes operations with those values
fail and run slow (``slow_operation_ms`` is tiny): no response body may carry them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.policies import bypass_policies
from prisma_infra.web import BearerAuth
from prisma_infra.web.auth import OPEN_PATHS
from starlette.routing import Route

from tests.http_server import serving
from tests.security.policy_set import ADMIN, ATTACKER
from tests.security.security_support import SECRETS, World, attempt, seed, settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

TOKEN = "web-attack-token-0123456789abcdef"
READER_TOKEN = "web-reader-token-0123456789abcdef"  # valid, but its actor lacks the dashboard role
#: The distinctive record: a non-Luhn card number, so only masking by field and known value can hide it.
EMAIL, NAME, CARD, SALARY = "zora.quill@globex.test", "Zora Quillfeather", "5500000077770007", 987654321
TEXTS = (EMAIL, "zora.quill", NAME, "Quillfeather", CARD, *(s for s in SECRETS if not s.isdigit()))
#: Salaries are numbers (a field's number is masked like any record value); a number stands alone in JSON or text.
NUMBERS = re.compile("|".join(rf"(?<![\d.]){n}(?![\d.])" for n in (SALARY, *(s for s in SECRETS if s.isdigit()))))
ZORA = {"id": 7, "tenantId": "globex", "email": EMAIL, "name": NAME, "cardNumber": CARD, "salary": SALARY}
#: A value for each path parameter of a route (a new parameter fails until it is given one).
PARAMS = {"name": "dashboard.js"}


@dataclass
class Served:
    infra: Infrastructure
    url: str
    reader_url: str
    paths: list[str]

    @property
    def guarded(self) -> list[str]:
        return [p for p in self.paths if p not in OPEN_PATHS]


def concrete(route: Route) -> str:
    missing = set(route.param_convertors) - set(PARAMS)
    assert not missing, f"route {route.path}: give PARAMS a value for {sorted(missing)}"
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: PARAMS[m.group(1)], route.path)


async def leave_values_everywhere(infra: Infrastructure) -> None:
    """Errors and slow operations whose arguments hold the distinctive values."""
    await seed(infra)
    with bypass_policies():
        await infra.call("User", "create", {"data": ZORA})
    with infra.acting_as(ADMIN):
        users = infra.repository("user")
        await users.find_many({"email": EMAIL, "name": {"contains": NAME}, "cardNumber": CARD, "salary": SALARY})
        failures = [
            lambda: users.create(ZORA),  # unique e-mail and id
            lambda: users.create({**ZORA, "id": 8, "email": f"x{EMAIL}", "salary": f"{CARD} {EMAIL}"}),  # a bad type
            lambda: users.find_unique_or_raise({"email": f"{EMAIL}.missing"}),
            lambda: infra.call("User", "update", {"where": {"id": 999}, "data": {"name": NAME, "cardNumber": CARD}}),
        ]
        outcomes = [await attempt(f) for f in failures]
        await infra.call(None, "queryRaw", {"sql": f"SELECT id FROM \"User\" WHERE email = '{EMAIL}'", "params": []})
    with infra.acting_as(ATTACKER):  # refused by field: the refusal is an error of the monitor too
        outcomes.append(await attempt(lambda: infra.repository("user").find_many({"cardNumber": CARD})))
    assert all(kind == "error" for kind, _ in outcomes), outcomes


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(world: World) -> AsyncIterator[Served]:
    monitoring = {
        "exporters": ["prometheus"],
        "slow_operation_ms": 0.001,
        "dashboard_interval": 0.1,
        "web": {"token": TOKEN},
    }
    config = settings(world.schema, world.url, world.folder / "web", plugins={"load": None}, monitoring=monitoring)
    async with Infrastructure(config) as infra:
        await leave_values_everywhere(infra)
        app = infra.web_app()
        reader_app = infra.web_app(authenticate=BearerAuth(READER_TOKEN, roles=["READER"]))
        assert app.load_extensions() and reader_app.load_extensions()
        paths = [concrete(r) for r in app.routes if isinstance(r, Route)]
        assert len(paths) == len(app.routes), "a route that is not a Route (Mount?) is not enumerated here"
        async with serving(app, lifespan="off") as url, serving(reader_app, lifespan="off") as reader_url:
            yield Served(infra, url, reader_url, paths)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_no_value(place: str, text: str) -> None:
    leaked = [v for v in TEXTS if v in text]
    assert not leaked, f"{place} carries {leaked}: {text[:400]}"


async def read(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """Status and body; of the event stream, everything up to its first complete snapshot event."""
    async with http.stream("GET", path, headers=headers) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if b"event: snapshot" in body and body.endswith(b"\n\n"):
                    break
        else:
            body = await response.aread()
    return response.status_code, body.decode(errors="replace")


REFUSED = {
    "no-credentials": {},
    "wrong-token": bearer("web-attack-token-0123456789abcdeX"),
    "token-prefix": bearer(TOKEN[:-1]),
    "token-with-suffix": bearer(TOKEN + "0"),
    "empty-bearer": {"Authorization": "Bearer"},
    "token-as-basic": {"Authorization": f"Basic {TOKEN}"},
    "token-without-scheme": {"Authorization": TOKEN},
    "token-in-another-header": {"X-Api-Token": TOKEN},
}


async def test_every_route_refuses_missing_wrong_and_roleless_tokens(served: Served) -> None:
    assert "/metrics" in served.guarded and "/dashboard/api/events" in served.guarded
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10) as http,
        httpx.AsyncClient(base_url=served.reader_url, timeout=10) as reader,
    ):
        for path in served.guarded:
            for case, headers in REFUSED.items():
                status, body = await read(http, path, headers)
                assert status == 401, f"{path} with {case}: {status}"
                assert_no_value(f"{path} ({case})", body)
            status, body = await read(reader, path, bearer(READER_TOKEN))
            assert status == 403, f"{path} for an actor without monitoring.web.role: {status}"
            assert (await read(reader, path, bearer(TOKEN)))[0] == 401, f"{path}: the reader app took the other token"
            status, body = await read(http, path, bearer(TOKEN))  # the control: the token opens the route
            assert status in (200, 307), f"{path} with the token: {status}"
            assert_no_value(f"{path} (authenticated)", body)
        anonymous = await http.get("/dashboard/api/snapshot")
    assert anonymous.headers["www-authenticate"].startswith("Bearer")


REBOUND = ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "evil.example:80", "127.0.0.2"]


async def test_rebound_host_is_refused(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        for path in served.paths:
            for host in REBOUND:
                status, body = await read(http, path, {**bearer(TOKEN), "Host": host})
                assert status == 400, f"{path} with Host {host}: {status}"
                assert_no_value(f"{path} (Host {host})", body)
        assert (await http.get("/healthz", headers={"Host": "localhost"})).status_code == 200  # the control


async def test_health_checks_are_open_and_carry_no_record_values(served: Served) -> None:
    assert sorted(p for p in served.paths if p in OPEN_PATHS) == sorted(OPEN_PATHS)
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        for path in sorted(OPEN_PATHS):
            status, body = await read(http, path, {})
            assert status in (200, 503), f"{path}: {status}"
            assert_no_value(path, body)
        assert (await http.get("/readyz")).json()["checks"]["engine"]["status"] == "ok"


async def test_snapshot_events_and_metrics_carry_no_record_values(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10, headers=bearer(TOKEN)) as http:
        bodies = {path: await read(http, path, {}) for path in served.guarded}
        snapshot = (await http.get("/dashboard/api/snapshot")).json()
    for path, (status, body) in bodies.items():
        assert status in (200, 307), (path, status)
        assert_no_value(path, body)
    # The control: the operations with the values are really in what was served (masked).
    errors = {e["error_class"] for e in snapshot["recent_errors"]}
    assert {"UniqueConstraintError", "RecordNotFoundError", "FieldReadDeniedError"} <= errors, errors
    slow = [s for s in snapshot["slow_operations"] if s["model"] == "User" and s["action"] == "findMany"]
    assert any("email" in (s["args"].get("where") or {}) for s in slow), slow
    assert "event: snapshot" in bodies["/dashboard/api/events"][1]
    assert 'prisma_infra_operation_errors_total{action="create"' in bodies["/metrics"][1]


async def test_snapshot_carries_no_numeric_record_values(served: Served) -> None:
    """A salary the policies mask to null for everyone but ADMIN, in ``data`` and ``where`` of monitored operations."""
    async with httpx.AsyncClient(base_url=served.url, timeout=10, headers=bearer(TOKEN)) as http:
        bodies = {path: (await read(http, path, {}))[1] for path in served.guarded}
    leaked = {path: sorted(set(NUMBERS.findall(body))) for path, body in bodies.items() if NUMBERS.search(body)}
    assert not leaked, leaked


ESCAPES = ["../app.py", "..%2Fapp.py", "%2e%2e%2fauth.py", "dashboard.html", "/etc/passwd", "..%2F..%2Fpyproject.toml"]


async def test_static_serves_only_its_files_and_unknown_paths_need_the_token(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        for name in ESCAPES:
            response = await http.get(f"/dashboard/static/{name}", headers=bearer(TOKEN))
            assert response.status_code == 404, f"static {name}: {response.status_code} {response.text[:200]}"
            assert "import " not in response.text and "root:" not in response.text
        # the guard answers before the router: an unknown path tells an anonymous client nothing
        assert (await http.get("/dashboard/api/nope")).status_code == 401
        assert (await http.post("/dashboard/api/snapshot")).status_code == 401
        assert (await http.get("/dashboard/static/dashboard.js", headers=bearer(TOKEN))).status_code == 200


async def test_an_open_event_stream_ends_when_its_token_is_revoked(served: Served) -> None:
    """The guard checks a request when it starts; an event stream lasts: a rotated token must end it too."""
    rotated = "web-rotated-token-0123456789abcdef"
    after: list[bytes] = []
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10) as http,
        asyncio.timeout(20),
        http.stream("GET", "/dashboard/api/events", headers=bearer(TOKEN)) as stream,
    ):
        received = b""
        chunks = stream.aiter_bytes()
        async for chunk in chunks:
            received += chunk
            if b"event: snapshot" in received:
                break
        await served.infra.configure({"monitoring": {"web": {"token": rotated}}})
        try:
            assert (await http.get("/dashboard/api/snapshot", headers=bearer(TOKEN))).status_code == 401
            async for chunk in chunks:  # ends when the server closes the stream
                after.append(chunk)
                if sum(c.count(b"event: snapshot") for c in after) >= 3:
                    break
        finally:
            await served.infra.configure({"monitoring": {"web": {"token": TOKEN}}})
    events = sum(c.count(b"event: snapshot") for c in after)
    assert events < 3, f"the stream kept sending {events} snapshots to a revoked token"
