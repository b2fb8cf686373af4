"""`{{ cookiecutter.__class_prefix }}Sink`: audit events appended to a JSON-lines file, fsynced per batch.

The kernel builds each event (actor, before/after, diff, PII already masked),
hash-chains it (``chain``, ``seq``, ``prev_hash``, ``hash``) and hands batches
to ``write``. A sink's contract is short:

* store the events **in order**, and return only once they are **durable**;
* otherwise **raise**: the kernel keeps the batch in its durable buffer and
  replays it later (timeouts, retries and backoff are the kernel's);
* a replay may repeat events already stored: skip them (``seq`` per ``chain``).

``read`` and ``last_event`` are optional extras the kernel uses when present
(``prisma-infra audit`` queries and verification, chain continuity on restart).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from prisma_infra_sdk import AuditSink

__all__ = ["{{ cookiecutter.__class_prefix }}Sink"]


class {{ cookiecutter.__class_prefix }}Sink(AuditSink):
    """``audit.sink_options.{{ cookiecutter.__hyphenated }}``: ``path`` (default ``audit/{{ cookiecutter.__hyphenated }}.jsonl``).

    A relative path resolves from ``base_dir``, which the kernel sets to the settings file's folder.
    """

    name: ClassVar[str] = "{{ cookiecutter.__hyphenated }}"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        path = Path(str(self.options.get("path", "audit/{{ cookiecutter.__hyphenated }}.jsonl"))).expanduser()
        if not path.is_absolute():
            path = Path(str(self.options.get("base_dir", "."))) / path
        self.path = path
        self._fd: int | None = None
        self._last_seq: dict[str, int] = {}
        self._lock = threading.Lock()  # writes run in worker threads

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        with self._lock:
            if self._fd is not None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._last_seq = {}
            for event in self._events():
                chain, seq = str(event.get("chain")), event.get("seq")
                if isinstance(seq, int) and seq > self._last_seq.get(chain, 0):
                    self._last_seq[chain] = seq

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # -- writing ------------------------------------------------------------------------

    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        if events:
            await asyncio.to_thread(self._write, events)

    def _write(self, events: Sequence[Mapping[str, Any]]) -> None:
        if self._fd is None:
            self._open()
        with self._lock:
            assert self._fd is not None
            lines = []
            last = dict(self._last_seq)
            for event in events:
                chain, seq = str(event.get("chain")), event.get("seq")
                if isinstance(seq, int):
                    if seq <= last.get(chain, 0):
                        continue  # already stored: a replay
                    last[chain] = seq
                lines.append(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
            if not lines:
                return
            os.write(self._fd, "".join(lines).encode("utf-8"))
            os.fsync(self._fd)  # durable before write() returns
            self._last_seq = last  # only once stored: a failed write is retried in full

    # -- reading (optional extras) ------------------------------------------------------

    def _events(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]

    async def read(self, criteria: Any = None) -> AsyncIterator[dict[str, Any]]:
        """Stored events in order; ``criteria`` is the kernel's ``AuditFilter`` (``.matches(event)``)."""
        for event in await asyncio.to_thread(self._events):
            if criteria is None or criteria.matches(event):
                yield event

    async def last_event(self, chain: str) -> Mapping[str, Any] | None:
        """The last stored event of ``chain`` (the kernel continues the chain from it after a restart)."""
        found = [e for e in await asyncio.to_thread(self._events) if e.get("chain") == chain]
        return found[-1] if found else None
