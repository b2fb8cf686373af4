"""``prisma-infra serve --workers 2`` as a real process on SQLite (the Prisma engine) and Redis, over real HTTP.

The point of several workers sharing the cache's Redis tier: an ETag handed out by one worker is
honoured (304) by every worker, and a write through any worker to a model the read INCLUDES changes
that ETag in every worker at once (the cache validator reads the generations from Redis) — and the
body that comes with the new ETag is the fresh one, not an entry of a worker's in-process tier.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.cache.servers import REDIS, require
from tests.real_databases import pushed
from tests.serve.serve_process import ServeProcess, fresh_client
from tests.waiting import eventually

pytestmark = pytest.mark.integration

TOKEN = "serve-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WORKERS = 2
LISTING = "/api/post?include=author"

SCHEMA = """
generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "PROVIDER"
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
  name  String
  posts Post[]
}

model Post {
  id       Int    @id @default(autoincrement())
  title    String
  authorId Int
  author   User   @relation(fields: [authorId], references: [id])
}
"""


def settings_for(folder: Path, url: str, extra: str = "", namespace: str | None = None) -> Path:
    """Settings of a deployment: the Prisma engine on ``url``, memory + Redis tiers, Prometheus."""
    require("Redis", REDIS)
    namespace = namespace or f"t{uuid.uuid4().hex[:10]}"
    settings = folder / "settings.toml"
    settings.write_text(
        f"""
[default]
{extra}
database.engine = "prisma"
database.schema_path = "schema.prisma"
database.url = "{url}"
cache.tiers = ["memory", "redis"]
monitoring.exporters = ["prometheus"]

[default.cache.stores.redis]
url = "redis://{REDIS[0]}:{REDIS[1]}/0"
namespace = "{namespace}"
"""
    )
    return settings


def served_env() -> dict[str, str]:
    # The token through the environment, as in production (never an option: `ps` shows options).
    return {"PRISMA_INFRA_MONITORING__WEB__TOKEN": TOKEN, "PRISMA_INFRA_SERVE_DEBUG_WORKER": "1"}


def worker(response: httpx.Response) -> str:
    return response.headers["x-served-by"]


async def every_worker(
    request: Callable[[], Awaitable[httpx.Response]], *, timeout: float = 30
) -> dict[str, httpx.Response]:
    """The FIRST response of each worker to ``request`` (sent on new connections until all have answered)."""
    first: dict[str, httpx.Response] = {}

    async def all_answered() -> bool:
        response = await request()
        first.setdefault(worker(response), response)
        return len(first) == WORKERS

    await eventually(all_answered, timeout=timeout, what=f"each of the {WORKERS} workers answers")
    return first


async def ready_everywhere(http: httpx.AsyncClient) -> None:
    async def ready() -> bool:
        try:
            return (await http.get("/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(ready, timeout=60, what="/readyz")
    answers = await every_worker(lambda: http.get("/readyz"), timeout=60)
    assert all(a.status_code == 200 for a in answers.values()), {p: a.text for p, a in answers.items()}


def schema(folder: Path, provider: str = "sqlite") -> Path:
    path = folder / "schema.prisma"
    path.write_text(SCHEMA.replace("PROVIDER", provider))
    return path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServeProcess, str]]:
    """One ``prisma-infra serve --workers 2`` per database (starting two Prisma engines takes seconds)."""
    provider = str(request.param)
    folder = tmp_path_factory.mktemp(f"serve-{provider}")

    async def start() -> tuple[ServeProcess, str]:
        url = await pushed(provider, "serve_workers", schema(folder, provider), folder)
        settings = settings_for(folder, url)
        args = ["--settings", str(settings), "--port", "0", "--workers", str(WORKERS)]
        process = ServeProcess(args, cwd=folder, env=served_env())
        base = await process.started()
        async with fresh_client(base) as http:
            await ready_everywhere(http)
        return process, base

    process, base = asyncio.run(start())
    try:
        yield process, base
    finally:
        process.stop()


async def test_etag_304_after_a_related_write_in_another_worker(deployment: tuple[ServeProcess, str]) -> None:
    _, base = deployment
    async with fresh_client(base) as http:
        # As a TLS-terminating proxy on 127.0.0.1 (uvicorn's default --forwarded-allow-ips) would send it.
        proxied = {"X-Forwarded-Proto": "https"}
        author = await http.post("/api/user", json={"email": "ann@example.com", "name": "Ann"}, headers=proxied)
        assert author.status_code == 201, author.text
        host = base.removeprefix("http://")
        assert author.headers["location"] == f"https://{host}/api/user/{author.json()['id']}"
        post = await http.post("/api/post", json={"title": "Hello", "authorId": author.json()["id"]})
        assert post.status_code == 201, post.text

        first = await http.get(LISTING)
        assert first.status_code == 200, first.text
        etag = first.headers["etag"]
        assert [p["author"]["name"] for p in first.json()["data"]] == ["Ann"]
        # Both workers honour the ETag one of them handed out (same settings, same validator).
        before = await every_worker(lambda: http.get(LISTING, headers={"If-None-Match": etag}))
        assert {w: r.status_code for w, r in before.items()} == dict.fromkeys(before, 304)

        # Write the INCLUDED model (not Post) through the API, through whichever worker takes it.
        write = await http.patch(f"/api/user/{author.json()['id']}", json={"name": "Bea"})
        assert write.status_code == 200, write.text
        writer = worker(write)

        # The first answer of EVERY worker after the write: the old ETag no longer matches, and the
        # body is the fresh one — in the worker that wrote and in the one that only shares Redis.
        after = await every_worker(lambda: http.get(LISTING, headers={"If-None-Match": etag}))
        assert writer in after and len(after) == WORKERS
        for pid, response in after.items():
            assert response.status_code == 200, f"worker {pid} (writer: {writer}) answered {response.status_code}"
            assert response.headers["etag"] != etag
            assert [p["author"]["name"] for p in response.json()["data"]] == ["Bea"], f"worker {pid}: stale body"
        new_etags = {response.headers["etag"] for response in after.values()}
        assert len(new_etags) == 1, f"the workers disagree on the new ETag: {new_etags}"
        (new_etag,) = new_etags
        again = await every_worker(lambda: http.get(LISTING, headers={"If-None-Match": new_etag}))
        assert {w: r.status_code for w, r in again.items()} == dict.fromkeys(again, 304)


async def test_metrics_dashboard_and_health_on_every_worker(deployment: tuple[ServeProcess, str]) -> None:
    _, base = deployment
    async with fresh_client(base) as http:
        health = await every_worker(lambda: http.get("/healthz"))
        metrics = await every_worker(lambda: http.get("/metrics", headers=AUTH))
        anonymous_metrics = await http.get("/metrics")
        dashboard = await every_worker(lambda: http.get("/dashboard/", headers=AUTH))
        anonymous = await every_worker(lambda: http.get("/dashboard/"))
        wrong = await http.get("/dashboard/api/snapshot", headers={"Authorization": "Bearer not-the-token-at-all"})
        snapshot = await http.get("/dashboard/api/snapshot", headers=AUTH)
        openapi, docs = await http.get("/api/openapi.json"), await http.get("/api/docs")
    assert all(r.status_code == 200 and r.json()["status"] == "ok" for r in health.values())
    for response in metrics.values():
        assert response.status_code == 200 and "text/plain" in response.headers["content-type"]
        assert "# TYPE" in response.text
    assert anonymous_metrics.status_code == 401
    assert all(r.status_code == 200 and "text/html" in r.headers["content-type"] for r in dashboard.values())
    assert all(r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer") for r in anonymous.values())
    assert wrong.status_code == 401
    assert snapshot.status_code == 200 and snapshot.json()["started"] is True
    assert openapi.status_code == 200 and openapi.json()["openapi"].startswith("3.1")
    assert {"/user", "/post"} <= set(openapi.json()["paths"]), sorted(openapi.json()["paths"])[:5]
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]


async def test_the_dashboard_of_any_worker_shows_every_worker(deployment: tuple[ServeProcess, str]) -> None:
    """Each worker publishes its monitoring through Redis; any worker's dashboard merges them all."""
    _, base = deployment
    listed: dict[str, set[int]] = {}
    async with fresh_client(base, headers=AUTH) as http:
        workers = {int(pid) for pid in await every_worker(lambda: http.get("/healthz"))}

        async def every_dashboard_lists_every_worker() -> bool:
            response = await http.get("/dashboard/api/snapshot")
            listed[worker(response)] = {int(p["pid"]) for p in response.json().get("processes") or ()}
            return len(listed) == WORKERS and all(pids >= workers for pids in listed.values())

        await eventually(every_dashboard_lists_every_worker, timeout=30, what=f"dashboards list {workers}")


async def test_every_worker_applies_a_saved_setting_and_sigterm_stops_them_with_exit_code_0(tmp_path: Path) -> None:
    url = await pushed("sqlite", "serve_stop", schema(tmp_path), tmp_path)
    namespace = f"t{uuid.uuid4().hex[:10]}"
    settings = settings_for(tmp_path, url, "api.page_size = 5", namespace)
    process = ServeProcess(
        ["--settings", str(settings), "--port", "0", "--workers", str(WORKERS)], cwd=tmp_path, env=served_env()
    )
    try:
        base = await process.started()
        async with fresh_client(base) as http:
            await ready_everywhere(http)
            pids = [int(pid) for pid in await every_worker(lambda: http.get("/healthz"))]
            sizes = await every_worker(lambda: http.get("/api/user"))
            assert {pid: r.json()["page"]["per_page"] for pid, r in sizes.items()} == dict.fromkeys(sizes, 5)

            # Each worker's lifespan started the settings watcher: a save reaches all of them.
            await asyncio.to_thread(settings_for, tmp_path, url, "api.page_size = 3", namespace)
            seen: dict[str, int] = {}

            async def everywhere() -> bool:
                response = await http.get("/api/user")
                seen[worker(response)] = response.json()["page"]["per_page"]
                return len(seen) == WORKERS and set(seen.values()) == {3}

            await eventually(everywhere, timeout=30, what="every worker reloads api.page_size")
    except BaseException:
        process.stop()
        raise
    asked = time.monotonic()
    code = await asyncio.to_thread(process.stop)
    took = time.monotonic() - asked
    assert code == 0, process.output
    assert took < 10, f"stopping took {took:.1f} s"
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert process.output.count("Application shutdown complete") == WORKERS, "every worker closed its kernel"
