"""`FileSink` (``"file"``): audit events as JSON lines, rotated by size, fsynced by policy.

Options (``audit.sink_options.file``):

* ``path`` — the trail file (default ``audit/audit.jsonl``; relative paths resolve from
  the settings file's folder). Rotated segments sit beside it as ``<path>.000001``,
  ``<path>.000002``, ... (oldest first); the trail is the segments in order, then ``path``.
* ``max_bytes`` — rotate when the file grows past this size (default 64 MiB; 0: never).
* ``fsync`` — ``always`` (every batch is fsynced before `write` returns), ``interval``
  (at most every ``fsync_interval`` seconds, default 1.0, and on close) or ``never``
  (the operating system decides).

Queryable: `read` streams the trail in order, `last_event` reads it from the end.
A replayed event the file already holds (same chain, seq not above the last one) is
skipped, so replay after a crash adds no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import orjson

from prisma_infra.audit.types import AuditFilter
from prisma_infra.errors import ConfigurationError
from prisma_infra.providers.audit import AuditSink

__all__ = ["FileSink", "iter_trail", "trail_files"]

_FSYNC = ("always", "interval", "never")
_READ_BATCH = 1000


def trail_files(path: Path) -> list[Path]:
    """The segments of the trail at ``path``, oldest first (rotated ones, then ``path``)."""
    pattern = re.compile(re.escape(path.name) + r"\.(\d+)$")
    rotated: list[tuple[int, Path]] = []
    if path.parent.is_dir():
        for candidate in path.parent.iterdir():
            found = pattern.match(candidate.name)
            if found:
                rotated.append((int(found.group(1)), candidate))
    files = [p for _, p in sorted(rotated)]
    if path.exists():
        files.append(path)
    return files


def iter_trail(path: Path) -> Iterator[dict[str, Any]]:
    """Every event of the trail at ``path``, in order (blocking)."""
    for segment in trail_files(path):
        with segment.open("rb") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError:
                    yield {"id": None, "seq": None, "chain": None, "_unreadable": f"{segment.name}:{number}"}


def _reverse_lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        position = fh.seek(0, os.SEEK_END)
        rest = b""
        while position > 0:
            start = max(0, position - (1 << 16))
            fh.seek(start)
            parts = (fh.read(position - start) + rest).split(b"\n")
            position = start
            rest = parts[0]
            for line in reversed(parts[1:]):
                if line.strip():
                    yield line
        if rest.strip():
            yield rest


class FileSink(AuditSink):
    """Append-only JSON-lines trail (see the module documentation)."""

    name: ClassVar[str] = "file"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        opts = self.options
        path = Path(str(opts.get("path", "audit/audit.jsonl"))).expanduser()
        if not path.is_absolute():
            path = Path(str(opts.get("base_dir", "."))) / path
        self.path = path.resolve()
        self.max_bytes = int(opts.get("max_bytes", 64 * 1024 * 1024))
        self.fsync = str(opts.get("fsync", "interval"))
        if self.fsync not in _FSYNC:
            raise ConfigurationError(f"audit.sink_options.file.fsync must be one of {', '.join(_FSYNC)}, "
                                     f"not {self.fsync!r}")
        self.fsync_interval = float(opts.get("fsync_interval", 1.0))
        self._fd: int | None = None
        self._size = 0
        self._last_sync = 0.0
        self._dirty = False
        self._last_seq: dict[str, int] = {}
        self._lock = threading.Lock()  # writes run in worker threads: one at a time

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        with self._lock:
            self._open_locked()

    def _open_locked(self) -> None:
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._size = os.fstat(self._fd).st_size
        last = self._last_line_event(None)
        if last is not None and isinstance(last.get("seq"), int):
            self._last_seq[str(last.get("chain"))] = last["seq"]

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._fd is None:
            return
        if self._dirty and self.fsync != "never":
            os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None

    # -- writing ----------------------------------------------------------------------------

    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        if self.fsync == "always" or self._fd is None:
            await asyncio.to_thread(self._write, events)
            return
        # An append without fsync is a few microseconds: cheaper in the loop than a thread hop.
        # The periodic fsync (milliseconds) runs in a thread.
        with self._lock:
            due = self._write_locked(events, sync=False)
        if due:
            await asyncio.to_thread(self._sync)

    def _sync(self) -> None:
        with self._lock:
            if self._fd is not None and self._dirty:
                os.fsync(self._fd)
                self._dirty = False

    def _write(self, events: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            self._write_locked(events)

    def _write_locked(self, events: Sequence[Mapping[str, Any]], *, sync: bool = True) -> bool:
        """Append ``events``; fsync by policy (or report that one is due when ``sync`` is false)."""
        if self._fd is None:
            self._open_locked()
        assert self._fd is not None
        lines: list[bytes] = []
        for event in events:
            chain, seq = str(event.get("chain")), event.get("seq")
            if isinstance(seq, int):
                if seq <= self._last_seq.get(chain, 0):
                    continue  # already in the trail (a replayed event)
                self._last_seq[chain] = seq
            lines.append(orjson.dumps(event) + b"\n")
        if not lines:
            return False
        data = b"".join(lines)
        os.write(self._fd, data)
        self._size += len(data)
        self._dirty = True
        due = False
        now = time.monotonic()
        if self.fsync == "always" or (self.fsync == "interval" and now - self._last_sync >= self.fsync_interval):
            self._last_sync = now
            if sync or self.fsync == "always":
                os.fsync(self._fd)
                self._dirty = False
            else:
                due = True
        if self.max_bytes and self._size >= self.max_bytes:
            self._rotate()
            due = False  # rotation fsynced the finished segment
        return due

    def _rotate(self) -> None:
        assert self._fd is not None
        if self.fsync != "never":
            os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        existing = trail_files(self.path)[:-1]
        number = int(existing[-1].name.rsplit(".", 1)[1]) + 1 if existing else 1
        os.replace(self.path, self.path.with_name(f"{self.path.name}.{number:06d}"))
        with contextlib.suppress(OSError):
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._size = 0

    # -- reading ----------------------------------------------------------------------------

    def _last_line_event(self, chain: str | None) -> dict[str, Any] | None:
        for segment in reversed(trail_files(self.path)):
            for line in _reverse_lines(segment):
                try:
                    event: dict[str, Any] = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if chain is None or event.get("chain") == chain:
                    return event
        return None

    async def last_event(self, chain: str) -> Mapping[str, Any] | None:
        return await asyncio.to_thread(self._last_line_event, chain)

    async def read(self, criteria: AuditFilter | None = None) -> AsyncIterator[dict[str, Any]]:
        """The trail's events in order, filtered by ``criteria``."""
        iterator = iter_trail(self.path)

        def batch() -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for event in iterator:
                if criteria is None or criteria.matches(event):
                    out.append(event)
                    if len(out) >= _READ_BATCH:
                        break
            return out

        while True:
            events = await asyncio.to_thread(batch)
            if not events:
                return
            for event in events:
                yield event
