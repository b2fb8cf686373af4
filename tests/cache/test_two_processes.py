"""Invalidation across two separate OS processes sharing Redis or memcached, within 100 ms."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cache.cache_support import engine_of, shared_cache

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class ProcessB:
    def __init__(self, cache: dict[str, Any], db: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cache.process_b", json.dumps(cache), str(db)],
            cwd=ROOT,  # `-m` imports the helpers as the `tests` package from the repository root
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.receive() == {"ready": True}

    def receive(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"process B exited with {self.process.wait()}")
        return json.loads(line)

    def read(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write("read\n")
        self.process.stdin.flush()
        return self.receive()  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def process_b() -> Iterator[Any]:
    started: list[ProcessB] = []

    def start(cache: dict[str, Any], db: Path) -> ProcessB:
        started.append(ProcessB(cache, db))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.mark.parametrize("l1", [True, False], ids=["memory+shared", "shared-only"])
async def test_write_in_process_a_reaches_process_b_within_100ms(
    shared: str, namespace: str, db: Path, infra_for: Any, process_b: Any, l1: bool
) -> None:
    cache = shared_cache(shared, namespace, l1=l1, store_options={"sync_interval": 0.05})
    a = await infra_for(cache)
    engine_of(a).seed(
        {
            "User": [{"id": 1, "email": "a@x", "name": "Ann"}],
            "Post": [{"id": "p1", "title": "Hello", "authorId": 1}],
        }
    )
    b = await asyncio.to_thread(process_b, cache, db)
    first = await asyncio.to_thread(b.read)
    assert first["result"][0]["author"]["name"] == "Ann" and first["engine_reads"] == 1
    second = await asyncio.to_thread(b.read)
    assert second["engine_reads"] == 1, "B's second read must be a cache hit"

    await a.call("User", "update", {"where": {"id": 1}, "data": {"name": "Bea"}})
    written = time.monotonic()
    await asyncio.sleep(0.1)
    third = await asyncio.to_thread(b.read)
    assert time.monotonic() - written < 0.5
    assert third["result"][0]["author"]["name"] == "Bea", "B served an entry older than A's write"
    assert third["engine_reads"] == 2
