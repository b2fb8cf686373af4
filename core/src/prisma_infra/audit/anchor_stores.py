"""Anchor stores (``audit.anchor.store``): ``file`` and ``database`` here, ``redis`` and ``nats`` in their plugins.

* ``file`` — JSON lines appended to ``location`` (default ``audit/anchors.jsonl``, relative
  to the settings file's folder), each fsynced; the last line of a (chain, sink) is its latest.
* ``database`` — one row per (chain, sink) in the table ``location`` (default ``AuditAnchor``)
  of the application's database, created when missing, updated in place.
* ``redis`` — one field per (chain, sink) of the hash ``location`` (``prisma-infra-redis``).
* ``nats`` — one JetStream subject per (chain, sink) under ``location`` (``prisma-infra-nats``).

Keep the store apart from the trail (another disk, database or host): an anchor next
to the trail can be cut off together with it.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_infra.audit.anchor import Anchor, AnchorStore, latest_anchors
from prisma_infra.audit.database_sink import RawSql
from prisma_infra.errors import ConfigurationError

if TYPE_CHECKING:
    from prisma_infra.config.model import AnchorConfig
    from prisma_infra.providers.engine import Engine

__all__ = ["DatabaseAnchorStore", "FileAnchorStore", "build_anchor_store"]

#: Stores that live in a plugin: kind → (module, class, distribution).
_PLUGIN_STORES = {
    "redis": ("prisma_infra_redis.anchor", "RedisAnchorStore", "prisma-infra-redis"),
    "nats": ("prisma_infra_nats.anchor", "NatsAnchorStore", "prisma-infra-nats"),
}
_COLUMNS = ("chain", "sink", "seq", "hash", "time", "alg", "sig")


class FileAnchorStore:
    """Anchors appended to a JSON-lines file (see the module documentation)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    async def start(self) -> None:
        await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)

    async def publish(self, anchor: Anchor) -> None:
        await asyncio.to_thread(self._append, anchor.to_json() + b"\n")

    def _append(self, line: bytes) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    async def latest(self) -> list[Anchor]:
        return await asyncio.to_thread(self._read)

    def _read(self) -> list[Anchor]:
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        found = (Anchor.from_json(line) for line in lines if line.strip())
        return list(latest_anchors(a for a in found if a is not None).values())

    async def close(self) -> None:
        return None


class DatabaseAnchorStore(RawSql):
    """The latest anchor of each (chain, sink) as a row of one table (see the module documentation)."""

    def __init__(self, table: str, engine: Engine | None = None) -> None:
        self.table = table
        if engine is not None:
            self.bind_engine(engine)

    async def start(self) -> None:
        q = self._q
        text = "VARCHAR(191)" if self._provider == "mysql" else "TEXT"
        columns = ", ".join(f"{q(c)} {'BIGINT' if c == 'seq' else text} NOT NULL" for c in _COLUMNS)
        await self._exec(
            f"CREATE TABLE IF NOT EXISTS {q(self.table)} ({columns}, PRIMARY KEY ({q('chain')}, {q('sink')}))"
        )

    async def publish(self, anchor: Anchor) -> None:
        q, p = self._q, self._p
        names = ", ".join(q(c) for c in _COLUMNS)
        values = ", ".join(p(i + 1) for i in range(len(_COLUMNS)))
        changed = [c for c in _COLUMNS if c not in ("chain", "sink")]
        if self._provider == "mysql":
            update = ", ".join(f"{q(c)} = VALUES({q(c)})" for c in changed)
            conflict = f"ON DUPLICATE KEY UPDATE {update}"
        else:
            update = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in changed)
            conflict = f"ON CONFLICT ({q('chain')}, {q('sink')}) DO UPDATE SET {update}"
        await self._exec(
            f"INSERT INTO {q(self.table)} ({names}) VALUES ({values}) {conflict}",
            [getattr(anchor, c) for c in _COLUMNS],
        )

    async def latest(self) -> list[Anchor]:
        q = self._q
        columns = ", ".join(f"{q(c)} AS {q(c)}" for c in _COLUMNS)
        rows = await self._query(f"SELECT {columns} FROM {q(self.table)} ORDER BY {q('chain')}, {q('sink')}")
        found: list[Anchor] = []
        for row in rows:
            seq = row.get("seq")
            data = {**row, "seq": int(seq) if isinstance(seq, str) and seq.isdigit() else seq}
            anchor = Anchor.from_json(data)
            if anchor is not None:
                found.append(anchor)
        return found

    async def close(self) -> None:
        return None


def build_anchor_store(config: AnchorConfig, base_dir: Path, engine: Engine | None = None) -> AnchorStore:
    """The store ``audit.anchor`` names; ``engine`` is needed for ``database``."""
    kind, location = config.store, config.where
    if kind == "file":
        path = Path(location).expanduser()
        return FileAnchorStore(path if path.is_absolute() else base_dir / path)
    if kind == "database":
        if engine is None:
            raise ConfigurationError(
                "audit.anchor.store 'database' needs the application's database: verify with --settings (no --path)"
            )
        return DatabaseAnchorStore(location, engine)
    if kind in _PLUGIN_STORES:
        module_name, class_name, dist = _PLUGIN_STORES[kind]
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigurationError(
                f"audit.anchor.store {kind!r} needs {dist}: pip install {dist}",
                problems=[f"audit.anchor.store: {kind!r} is not installed"],
            ) from exc
        store = getattr(module, class_name)(config)
        if not isinstance(store, AnchorStore):  # pragma: no cover - a plugin out of step with the kernel
            raise ConfigurationError(f"audit.anchor.store {kind!r}: {dist} does not provide an anchor store")
        return store
    raise ConfigurationError("audit.anchor.store is not set: anchoring is off")
