"""Real HTTP endpoints on 127.0.0.1 that misbehave on purpose: drip, flood, stall, fail."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Callable


class RawHTTP:
    """A threaded TCP server on 127.0.0.1 whose answer is written by ``respond(conn, server)``."""

    def __init__(self, respond: Callable[[socket.socket, RawHTTP], None]) -> None:
        self.sent = 0
        self.requests: list[bytes] = []
        self.received = threading.Event()
        self.release = threading.Event()
        self.stop = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                lengths = [h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")]
                length = int(lengths[0]) if lengths else 0
                while len(body) < length:
                    body += conn.recv(65536)
                outer.requests.append(head + b"\r\n\r\n" + body)
                outer.received.set()
                with contextlib.suppress(OSError):  # the client gave up: what the tests are about
                    respond(conn, outer)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.stop.set()
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def drip(interval: float, limit: int = 200) -> Callable[[socket.socket, RawHTTP], None]:
    """A status line one byte per ``interval`` seconds: every read gets a byte, none ever times out."""

    def respond(conn: socket.socket, server: RawHTTP) -> None:
        for byte in b"HTTP/1.1 200 OK\r\n" * 20:
            if server.sent >= limit or server.stop.wait(interval):
                return
            conn.sendall(bytes([byte]))
            server.sent += 1

    return respond


def flood(conn: socket.socket, server: RawHTTP) -> None:
    """200 OK, then a chunked body that never ends."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n")
    chunk = b"x" * 16384
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    while not server.stop.is_set():
        conn.sendall(frame)
        server.sent += len(chunk)


def stall_then(status: int) -> Callable[[socket.socket, RawHTTP], None]:
    """Holds the request until ``release`` is set, then answers ``status``."""

    def respond(conn: socket.socket, server: RawHTTP) -> None:
        server.release.wait()
        answer(status)(conn, server)

    return respond


def answer(status: int, body: bytes = b"") -> Callable[[socket.socket, RawHTTP], None]:
    def respond(conn: socket.socket, server: RawHTTP) -> None:
        conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)

    return respond


