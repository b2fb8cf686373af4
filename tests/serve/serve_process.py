"""``prisma-infra serve`` as a real subprocess: its output collected, its port read from it, stopped by SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import httpx

from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


class ServeProcess:
    """``python -m prisma_infra serve <args>`` in ``cwd``; ``await started()`` waits for its port."""

    def __init__(self, args: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "prisma_infra", "serve", *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def port(self) -> int | None:
        for line in list(self.lines):
            found = _LISTENING.search(line)
            if found:
                return int(found.group(1))
        return None

    async def started(self, timeout: float = 60) -> str:
        """The base URL, once uvicorn listens (it prints the port it bound, ``--port 0`` included)."""

        def listening_or_exited() -> bool:
            return self.port() is not None or self.process.poll() is not None

        await eventually(listening_or_exited, timeout=timeout, what="prisma-infra serve listens")
        port = self.port()
        assert port is not None, f"prisma-infra serve exited with {self.process.poll()}:\n{self.output}"
        return f"http://127.0.0.1:{port}"

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, and the exit code (killed, and a failure, if it does not stop within ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"prisma-infra serve ignored SIGTERM for {timeout} s:\n{self.output}") from None
        self._reader.join(5)
        return code


def fresh_client(base_url: str, *, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """A client opening a new connection for every request (so requests spread over the workers)."""
    return httpx.AsyncClient(
        base_url=base_url,
        limits=httpx.Limits(max_keepalive_connections=0),
        headers={"Connection": "close", **(headers or {})},
        timeout=30,
    )
