"""The auto REST API over HTTP against a hand-written FastAPI + SQLAlchemy 2 async endpoint, measured with wrk.

Servers, each one uvicorn process with one worker on loopback, all started in this run on the same
PostgreSQL database of their own (``prisma_infra_bench_http``: 1,000 users, 10 posts each):

* ``auto/cache-on`` — ``prisma-infra serve`` with the product's defaults (in-memory cache);
* ``auto/cache-off`` — the same with ``cache.enabled = false``;
* ``handwritten`` — benchmarks/http/handwritten.py: the same queries with SQLAlchemy 2 async and asyncpg.

Requests: ``GET /api/user/{id}`` (a random id of the 1,000 per request) and a filtered list
``GET /api/post?authorId=eq.{id}&per_page=20`` (the hand-written ``GET /post?authorId={id}&limit=20``;
both count the rows for the page's total). wrk (Debian's) runs ``CONNECTIONS``
connections for ``SECONDS`` per measurement, in ``ROUNDS`` rounds with the servers' order rotated;
medians of requests per second and of p99 latency are reported, and the ratios against the
hand-written endpoint of the same round. Targets (issue 16): cache on at least 3 times the hand-written
endpoint's requests per second, cache off at least as many.

Settings: ``PRISMA_INFRA_BENCH_PG_URL`` (server URL without database), ``BENCH_HTTP_SECONDS``,
``BENCH_HTTP_ROUNDS``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from benchmarks.databases import create_database, database_url
from benchmarks.report import Report

ROOT = Path(__file__).resolve().parents[1]
HTTP_DIR = ROOT / "benchmarks" / "http"
DB_NAME = "prisma_infra_bench_http"
URL = database_url(DB_NAME)
USERS = 1000
POSTS_PER_USER = 10
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", "3"))
CONNECTIONS = 32
GROUP = "http"
TARGET_CACHED = 3.0
TARGET_UNCACHED = 1.0

DDL = [
    'DROP TABLE IF EXISTS "Post"',
    'DROP TABLE IF EXISTS "User"',
    """CREATE TABLE "User" (
        "id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL, "name" TEXT,
        "active" BOOLEAN NOT NULL DEFAULT true, "score" DOUBLE PRECISION NOT NULL DEFAULT 0,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)""",
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
    """CREATE TABLE "Post" (
        "id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "published" BOOLEAN NOT NULL DEFAULT false,
        "views" INTEGER NOT NULL DEFAULT 0,
        "authorId" INTEGER NOT NULL REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE)""",
    'CREATE INDEX "Post_authorId_idx" ON "Post"("authorId")',
]
#: wrk scripts: one random user per request (``{prefix}`` is the path before the id).
LUA = """math.randomseed(42)
request = function()
  return wrk.format(nil, string.format("{path}", math.random(1, {users})))
end
"""
PATHS = {
    "auto": {"user": "/api/user/%d", "post_list": "/api/post?authorId=eq.%d&per_page=20"},
    "handwritten": {"user": "/user/%d", "post_list": "/post?authorId=%d&limit=20"},
}


async def prepare_database() -> None:
    import asyncpg  # type: ignore[import-untyped]

    await create_database(DB_NAME, HTTP_DIR / "schema.prisma")
    connection = await asyncpg.connect(URL)
    try:
        for statement in DDL:
            await connection.execute(statement)
        await connection.copy_records_to_table(
            "User",
            records=[(f"user{i}@bench.io", f"User {i}", i * 1.5) for i in range(USERS)],
            columns=["email", "name", "score"],
        )
        await connection.copy_records_to_table(
            "Post",
            records=[(f"Post {u}-{p}", p % 2 == 0, p * 3, u + 1) for u in range(USERS) for p in range(POSTS_PER_USER)],
            columns=["title", "published", "views", "authorId"],
        )
        await connection.execute('ANALYZE "User"; ANALYZE "Post"')
    finally:
        await connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_file(folder: Path) -> Path:
    shutil.copy(HTTP_DIR / "schema.prisma", folder / "schema.prisma")
    path = folder / "settings.toml"
    path.write_text(
        "[default]\n"
        'database.engine = "prisma"\n'
        'database.schema_path = "schema.prisma"\n'
        f'database.url = "{URL}"\n'
        "database.pool_size = 10\n"
        'cache.tiers = ["memory"]\n'
        # The dashboard is not measured: open it explicitly rather than configure a token.
        'monitoring.web.auth = "none"\n'
    )
    return path


@contextlib.contextmanager
def server(name: str, folder: Path) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ)
    if name == "handwritten":
        env["BENCH_HTTP_DATABASE_URL"] = URL.replace("postgresql://", "postgresql+asyncpg://", 1)
        argv = [sys.executable, "-m", "uvicorn", "benchmarks.http.handwritten:app", "--port", str(port)]
        argv += ["--log-level", "warning", "--no-access-log"]
        health = "/healthz"
    else:
        if name == "auto/cache-off":
            env["PRISMA_INFRA_CACHE__ENABLED"] = "false"
        argv = [sys.executable, "-m", "prisma_infra", "serve", "--settings", str(settings_file(folder))]
        argv += ["--port", str(port), "--workers", "1", "--no-access-log"]  # as the hand-written one
        health = "/readyz"
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + health, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become ready")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(base: str, path: str, folder: Path, seconds: int) -> dict[str, float]:
    script = folder / f"wrk-{abs(hash(path))}.lua"
    script.write_text(LUA.replace("{path}", path).replace("{users}", str(USERS)))
    argv = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script), base]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    if sockets:
        failed += sum(int(g) for g in sockets.groups())
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"), "errors": failed}


def check_same_answers(bases: dict[str, str]) -> None:
    """The servers answer the same records (the benchmark compares like with like)."""
    auto = httpx.get(bases["auto/cache-on"] + PATHS["auto"]["user"] % 7).json()
    hand = httpx.get(bases["handwritten"] + PATHS["handwritten"]["user"] % 7).json()
    assert {k: auto[k] for k in ("id", "email", "name")} == {k: hand[k] for k in ("id", "email", "name")}, (auto, hand)
    auto_list = httpx.get(bases["auto/cache-on"] + PATHS["auto"]["post_list"] % 7).json()
    hand_list = httpx.get(bases["handwritten"] + PATHS["handwritten"]["post_list"] % 7).json()
    assert [p["id"] for p in auto_list["data"]] == [p["id"] for p in hand_list["data"]]
    assert auto_list["page"]["total"] == hand_list["page"]["total"] == POSTS_PER_USER


async def run(report: Report) -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("the HTTP benchmark needs wrk: apt-get install wrk (make bench installs it)")
    await prepare_database()
    names = ["auto/cache-on", "auto/cache-off", "handwritten"]
    rows: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        bases = {}
        for name in names:
            (folder / name.replace("/", "-")).mkdir()
            bases[name] = stack.enter_context(server(name, folder / name.replace("/", "-")))
        check_same_answers(bases)
        for name in names:  # warm: JIT of the engines, pools, the cache filled
            for endpoint in ("user", "post_list"):
                wrk(bases[name], PATHS["auto" if name != "handwritten" else "handwritten"][endpoint], folder, 3)
        for round_ in range(ROUNDS):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for endpoint in ("user", "post_list"):
                for name in order:
                    kind = "handwritten" if name == "handwritten" else "auto"
                    rows.setdefault((name, endpoint), []).append(
                        wrk(bases[name], PATHS[kind][endpoint], folder, SECONDS)
                    )
    for endpoint in ("user", "post_list"):
        base_rps = [r["rps"] for r in rows[("handwritten", endpoint)]]
        for name in names:
            samples = rows[(name, endpoint)]
            values: dict[str, Any] = {
                "rps": statistics.median(r["rps"] for r in samples),
                "p99_ms": statistics.median(r["p99_ms"] for r in samples),
                "errors": sum(int(r["errors"]) for r in samples),
            }
            if name != "handwritten":
                ratios = [r["rps"] / b for r, b in zip(samples, base_rps, strict=True)]
                values["ratio_vs_handwritten"] = statistics.median(ratios)
                target = TARGET_CACHED if name == "auto/cache-on" else TARGET_UNCACHED
                values["target"] = target
                values["target_met"] = values["ratio_vs_handwritten"] >= target
            report.add(GROUP, f"{endpoint} {name}", **values)
