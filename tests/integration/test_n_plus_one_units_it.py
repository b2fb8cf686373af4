"""N+1 detection groups reads by unit of work: independent tasks and WSGI requests are never one pattern.

Python reuses the ``id()`` of finished tasks, so grouping by it merged
independent tasks (and the one-task-per-call of the synchronous facade) into
false N+1 findings. Each test runs a fresh infrastructure on every provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import socketserver
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
import pytest_asyncio
from prisma_infra.context import acting_as
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.sync import SyncInfrastructure

from tests.integration.it_support import Database, settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

THRESHOLD = 5
#: Wide enough that every read of a test falls inside it, however slow the machine.
WINDOW_MS = 60_000


def _config(db: Database) -> dict[str, Any]:
    config = settings(db.provider, db.url)
    config["monitoring"] = {"n_plus_one_threshold": THRESHOLD, "n_plus_one_window_ms": WINDOW_MS}
    return config


def findings(infra: Infrastructure | Any) -> list[dict[str, Any]]:
    return [f for f in infra.monitor.snapshot()["findings"] if f["kind"] == "n_plus_one"]


@pytest_asyncio.fixture(loop_scope="module")
async def ids(infra: Infrastructure) -> list[int]:
    """The ids of 20 users (in emptied tables)."""
    return [(await infra.repository("user").create({"email": f"u{i}@x.io"}))["id"] for i in range(20)]


@pytest_asyncio.fixture(loop_scope="module")
async def fresh(db: Database, ids: list[int]) -> AsyncIterator[tuple[Infrastructure, list[int]]]:
    """A started infrastructure of its own (a monitor without findings), and the users' ids."""
    own = Infrastructure(_config(db))
    await own.start()
    try:
        yield own, ids
    finally:
        await own.close()


async def test_sequential_tasks_are_independent_but_a_loop_in_one_task_is_found(fresh: Any) -> None:
    infra, ids = fresh
    users = infra.repository("user")

    async def one_read(user_id: int) -> None:
        assert await users.find_unique(user_id)

    for i in range(50):  # one task after the other: their id() is reused
        await asyncio.create_task(one_read(ids[i % len(ids)]))
    await asyncio.gather(*(one_read(i) for i in ids))  # concurrent tasks, one read each
    with infra.acting_as({"id": "visitor"}, request_id="req-batch"):  # one round trip, not one per record
        assert all(await infra.batch([users.op.find_unique(where=i) for i in ids]))
    assert findings(infra) == []

    async def loop() -> None:  # the real N+1: one task reads one record per item
        for user_id in ids:
            await users.find_unique(user_id)

    await asyncio.create_task(loop())
    (finding,) = findings(infra)
    assert finding["model"] == "User" and finding["action"] == "findUnique"
    assert finding["count"] == len(ids) // THRESHOLD


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    """A thread per request, like Flask's development server."""

    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serve(app: Callable[..., Any]) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _app(infra: Any, ids: list[int]) -> Callable[..., Any]:
    """One record per request on ``/one`` (``/scoped/one``: inside ``acting_as`` as the docs show for Flask);
    ``/scoped/loop`` reads every record one by one: an N+1 inside one request."""
    users = infra.repository("user")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path, query = environ["PATH_INFO"], environ.get("QUERY_STRING", "")
        if path.startswith("/scoped/"):
            with acting_as({"id": "visitor"}):
                body = _handle(users, ids, path.removeprefix("/scoped"), query)
        else:
            body = _handle(users, ids, path, query)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    return app


def _handle(users: Any, ids: list[int], path: str, query: str) -> bytes:
    if path == "/one":
        return b"ok" if users.find_unique(int(query)) else b"missing"
    assert path == "/loop"
    return b"%d" % sum(1 for user_id in ids if users.find_unique(user_id))


async def test_independent_wsgi_requests_are_never_an_n_plus_one(db: Database, ids: list[int]) -> None:
    def run() -> None:
        with (
            SyncInfrastructure(Infrastructure(_config(db))) as infra,
            _serve(_app(infra, ids)) as url,
            httpx.Client(base_url=url) as client,
        ):
            for i in range(200):
                prefix = "/scoped" if i % 2 else ""
                response = client.get(f"{prefix}/one?{ids[i % len(ids)]}")
                assert response.text == "ok"
            assert findings(infra) == []
            assert client.get("/scoped/loop").text == str(len(ids))
            (finding,) = findings(infra)
            assert finding["model"] == "User" and finding["count"] == len(ids) // THRESHOLD

    await asyncio.to_thread(run)
