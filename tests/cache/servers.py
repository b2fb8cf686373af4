"""Private Redis and memcached servers started by tests (on free ports), which tests may kill.

The shared services on 6379/11211 are never stopped by a test.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

REDIS = ("127.0.0.1", 6379)
MEMCACHED = ("127.0.0.1", 11211)


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


def require(name: str, address: tuple[str, int]) -> None:
    """Fail (never skip) when a service the integration tests need is down."""
    if not reachable(address):
        pytest.fail(f"{name} is not reachable on {address[0]}:{address[1]}: run `bash scripts/services.sh`")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A redis-server or memcached process on its own port; ``kill()`` and ``start()`` again."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def command(self) -> list[str]:
        if self.kind == "redis":
            binary = shutil.which("redis-server")
            if binary is None:
                pytest.fail("redis-server is not installed: run `bash scripts/services.sh`")
            return [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        binary = shutil.which("memcached")
        if binary is None:
            pytest.fail("memcached is not installed: run `bash scripts/services.sh`")
        return [binary, "-p", str(self.port), "-l", "127.0.0.1", "-U", "0", "-m", "32", "-u", "root"]

    def start(self) -> Server:
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not reachable(self.address):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"could not start {self.kind} on port {self.port}")
            time.sleep(0.02)
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def store_options(self) -> dict[str, object]:
        if self.kind == "redis":
            return {"url": self.url}
        return {"servers": [f"127.0.0.1:{self.port}"]}
