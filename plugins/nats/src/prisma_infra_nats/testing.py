"""A throwaway ``nats-server`` with JetStream for tests: its own port and store, killed and restarted at will.

Never touches a shared server: each instance listens on a free loopback port
(or the one given) and keeps its JetStream store in its own folder, so a
restart finds the stream and its deduplication state again.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

__all__ = ["NatsServer", "read_stream"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


class NatsServer:
    """``nats-server -js`` on 127.0.0.1:``port`` with the store in ``folder``."""

    def __init__(self, folder: Path, port: int | None = None, binary: str | None = None) -> None:
        found = binary or shutil.which("nats-server") or "/usr/sbin/nats-server"
        if not Path(found).exists():
            raise RuntimeError("nats-server is not installed (apt-get install nats-server)")
        self.binary = found
        self.folder = folder
        self.port = port or _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "nats-server.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.folder / "store")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nats-server did not start on port {self.port}; see {self.folder}")
            time.sleep(0.05)

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait(timeout=10)


async def read_stream(url: str, stream: str) -> list[dict[str, Any]]:
    """Every message of ``stream`` in stream order, decoded as JSON."""
    import nats
    import orjson
    from nats.js.errors import NotFoundError

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        out: list[dict[str, Any]] = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            with contextlib.suppress(NotFoundError):
                message = await js.get_msg(stream, seq)
                out.append(orjson.loads(message.data or b"null"))
        return out
    finally:
        await nc.close()
