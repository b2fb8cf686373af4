"""`DurableBuffer`: an append-only, fsynced JSON-lines file of events a sink has not stored yet.

One file per sink (``<buffer_dir>/<sink>.jsonl``) and a small offset file
(``<sink>.offset``) recording how far replay got, so a crash during replay
resends at most one chunk (which sinks deduplicate by event id). When replay
reaches the end, both files are emptied.

All methods are blocking (small local file operations); the writer calls them
through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

__all__ = ["DurableBuffer"]


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class DurableBuffer:
    """Events waiting for one sink, in order, on disk."""

    def __init__(self, folder: str | Path, sink: str) -> None:
        self.folder = Path(folder)
        self.sink = sink
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in sink)
        self.path = self.folder / f"{safe}.jsonl"
        self.offset_path = self.folder / f"{safe}.offset"
        self._lock = threading.Lock()

    # -- writing --------------------------------------------------------------------------

    def append(self, events: Sequence[dict[str, Any]]) -> None:
        """Append ``events`` and fsync before returning (they survive a crash)."""
        if not events:
            return
        data = b"".join(orjson.dumps(e) + b"\n" for e in events)
        with self._lock:
            new = not self.path.exists()
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    os.ftruncate(fd, self._last_newline(fd, size))  # drop a line torn by a crash
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            if new:
                _fsync_dir(self.folder)

    @staticmethod
    def _last_newline(fd: int, size: int) -> int:
        position = size
        while position > 0:
            start = max(0, position - 4096)
            found = os.pread(fd, position - start, start).rfind(b"\n")
            if found >= 0:
                return start + found + 1
            position = start
        return 0

    # -- reading --------------------------------------------------------------------------

    def _offset(self) -> int:
        try:
            return int(self.offset_path.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def pending(self) -> bool:
        """Whether events are waiting."""
        with self._lock:
            try:
                return self.path.stat().st_size > self._offset()
            except FileNotFoundError:
                return False

    def size(self) -> int:
        """Events waiting (reads the file: for status pages and tests)."""
        with self._lock:
            try:
                with self.path.open("rb") as fh:
                    fh.seek(self._offset())
                    return sum(1 for line in fh if line.strip())
            except FileNotFoundError:
                return 0

    def peek(self, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to ``limit`` events from the replay position, and the offset just after them."""
        with self._lock:
            offset = self._offset()
            events: list[dict[str, Any]] = []
            try:
                with self.path.open("rb") as fh:
                    fh.seek(offset)
                    while len(events) < limit:
                        line = fh.readline()
                        if not line.endswith(b"\n"):
                            offset += len(line)  # a line torn by a crash mid-append was never acknowledged
                            break
                        offset += len(line)
                        if line.strip():
                            events.append(orjson.loads(line))
            except FileNotFoundError:
                pass
            return events, offset

    def last(self) -> dict[str, Any] | None:
        """The newest buffered event (replayed or not), for chain continuity."""
        with self._lock:
            try:
                with self.path.open("rb") as fh:
                    end = fh.seek(0, os.SEEK_END)
                    start, lines = end, list[bytes]()
                    while start > 0 and not lines:
                        start = max(0, start - (1 << 16))
                        fh.seek(start)
                        parts = fh.read(end - start).split(b"\n")
                        lines = [p for p in (parts[1:] if start > 0 else parts) if p.strip()]
                    for line in reversed(lines):
                        with contextlib.suppress(orjson.JSONDecodeError):
                            found: dict[str, Any] = orjson.loads(line)
                            return found
            except FileNotFoundError:
                return None
            return None

    def find(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        """The events with these ids anywhere in the file (replayed or not), by id."""
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            try:
                with self.path.open("rb") as fh:
                    for line in fh:
                        if not line.endswith(b"\n"):
                            break  # torn by a crash mid-append: never acknowledged
                        with contextlib.suppress(orjson.JSONDecodeError):
                            event = orjson.loads(line)
                            if isinstance(event, dict) and event.get("id") in ids:
                                found[str(event["id"])] = event
            except FileNotFoundError:
                pass
        return found

    # -- replay progress ------------------------------------------------------------------

    def commit(self, offset: int) -> bool:
        """Record that everything before ``offset`` is stored; empties the files when all is.

        :return: True when the buffer is now empty.
        """
        with self._lock:
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                size = 0
            if offset >= size:
                # Everything replayed: start afresh (appends hold the same lock, so none is lost).
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                with contextlib.suppress(FileNotFoundError):
                    self.offset_path.unlink()
                _fsync_dir(self.folder)
                return True
            tmp = self.offset_path.with_suffix(".offset.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, str(offset).encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.offset_path)
            return False
