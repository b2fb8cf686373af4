"""Private Redis, memcached and NATS servers for the kit runs (on free ports, killed afterwards).

The kits' ``clear`` check empties a store, so the shared services on the usual
ports are never used. A missing server binary fails the test: never a skip.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


class Server:
    """``redis``, ``memcached`` or ``nats`` on its own port."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def _command(self) -> list[str]:
        binary = shutil.which({"redis": "redis-server", "memcached": "memcached", "nats": "nats-server"}[self.kind])
        if binary is None:
            pytest.fail(f"{self.kind} is not installed: run `bash scripts/services.sh`")
        port = str(self.port)
        if self.kind == "redis":
            return [binary, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        if self.kind == "memcached":
            return [binary, "-p", port, "-l", "127.0.0.1", "-U", "0", "-m", "64", "-u", "root"]
        return [binary, "-a", "127.0.0.1", "-p", port, "-js", "-sd", str(self.workdir)]

    def start(self) -> Server:
        self.process = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _reachable(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"could not start {self.kind} on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    @property
    def url(self) -> str:
        scheme = {"redis": "redis", "nats": "nats"}.get(self.kind, "")
        return f"{scheme}://127.0.0.1:{self.port}" + ("/0" if self.kind == "redis" else "")
