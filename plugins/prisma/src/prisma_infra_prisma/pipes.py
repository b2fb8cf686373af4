"""The two pipes to the bridge process: its stdout split into lines, its stdin written by hand.

Both sit on the hot path of every operation (`prisma_infra_prisma.bridge`): the splitter hands
each complete line on at once, and the writer counts the bytes that reached the pipe.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

__all__ = ["LineSplitter", "PipeWriter"]


class LineSplitter:
    """Splits the child's stdout into lines and hands each complete one to ``receive``."""

    __slots__ = ("parts", "receive")

    def __init__(self, receive: Callable[[bytes], None]) -> None:
        self.receive = receive
        self.parts: list[bytes] = []  # the start of a line still incomplete

    def feed(self, data: bytes) -> None:
        end = data.rfind(b"\n")
        if end < 0:
            self.parts.append(data)  # a list, not +=: a long line arrives in many chunks
            return
        if self.parts:
            self.parts.append(data)
            data = b"".join(self.parts)
            end += len(data) - len(self.parts[-1])
            self.parts = []
        if end < len(data) - 1:
            self.parts.append(data[end + 1 :])
        receive = self.receive
        if data.find(b"\n") == end:
            receive(data[:end])  # the common case: exactly one line
            return
        for line in data[:end].split(b"\n"):
            if line:
                receive(line)


class PipeWriter:
    """The child's stdin, non-blocking; ``written`` counts the bytes that reached the pipe.

    An asyncio write transport would serve as well but drops its buffer without telling how
    much of it was written when the pipe breaks, and that is what tells a request the child
    may have read from one it cannot have.
    """

    __slots__ = ("buffer", "fd", "loop", "lost", "queued", "written")

    def __init__(self, fd: int, loop: asyncio.AbstractEventLoop, lost: Callable[[str], None]) -> None:
        os.set_blocking(fd, False)
        self.fd: int | None = fd
        self.loop = loop
        self.lost = lost
        self.buffer = bytearray()
        self.queued = 0  # bytes handed to `write`
        self.written = 0  # bytes the pipe took

    def write(self, data: bytes) -> None:
        self.queued += len(data)
        if self.buffer:
            self.buffer += data
            return
        sent = self._send(data)
        if 0 <= sent < len(data):
            self.buffer += data[sent:]
            assert self.fd is not None
            self.loop.add_writer(self.fd, self._flush)

    def _send(self, data: bytes | bytearray) -> int:
        """Bytes written (0 when the pipe is full), -1 when it broke."""
        fd = self.fd
        if fd is None:
            return -1
        try:
            sent = os.write(fd, data)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError as exc:
            self.close()
            self.lost(f"its input broke: {exc}")
            return -1
        self.written += sent
        return sent

    def _flush(self) -> None:
        sent = self._send(self.buffer)
        if sent > 0:
            del self.buffer[:sent]
        if not self.buffer and self.fd is not None:
            self.loop.remove_writer(self.fd)

    def close(self) -> None:
        """Close the pipe (end of input for the child); what is still buffered is dropped."""
        fd, self.fd = self.fd, None
        if fd is not None:
            if self.buffer:
                self.loop.remove_writer(fd)
                self.buffer.clear()
            os.close(fd)
