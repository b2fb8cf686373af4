"""Doubles for audit unit tests: a memory engine that can return created rows, an in-memory sink."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from prisma_infra.audit.types import AuditFilter
from prisma_infra.config.model import DatabaseConfig, InfraConfig
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.plugin_manager import PluginManager
from prisma_infra.providers.audit import AuditSink

from core.tests.doubles import DoubleEnginePlugin, MemoryEngine


class ReturningEngine(MemoryEngine):
    """`MemoryEngine` answering ``createManyAndReturn`` (as on PostgreSQL and SQLite; the SDK engine does)."""


class ReturningEnginePlugin(DoubleEnginePlugin):
    name = "returning-engine"

    @hookimpl
    def register_engines(self, register: Callable[[str, Any], None]) -> None:
        def factory(config: DatabaseConfig) -> MemoryEngine:
            engine = ReturningEngine(config)
            self.engines.append(engine)
            return engine

        register("memory-double", factory)


class MemorySink(AuditSink):
    """Keeps events in a list; ``down = True`` makes it raise (an outage)."""

    name = "memory"
    instances: list[MemorySink] = []

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = list(self.options.get("store", []))
        self.down = bool(self.options.get("down", False))
        self.writes = 0
        MemorySink.instances.append(self)

    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        self.writes += 1
        if self.down:
            raise ConnectionError("memory sink is down")
        known = {e["id"] for e in self.events}
        self.events.extend(dict(e) for e in events if e["id"] not in known)

    async def last_event(self, chain: str) -> Mapping[str, Any] | None:
        found = [e for e in self.events if e.get("chain") == chain]
        return found[-1] if found else None

    async def read(self, criteria: AuditFilter | None = None) -> AsyncIterator[dict[str, Any]]:
        for event in list(self.events):
            if criteria is None or criteria.matches(event):
                yield event


class MemorySinkPlugin:
    name = "memory-sink"

    @hookimpl
    def register_audit_sinks(self, register: Callable[[str, Any], None]) -> None:
        register("memory", MemorySink)


def audit_infrastructure(tmp_path: Path, *, provider: str = "postgresql", **sections: Any) -> Infrastructure:
    """A memory-engine infrastructure with the audit trail on (file sink by default) under ``tmp_path``."""
    audit = {
        "sinks": ["file"],
        "buffer_dir": str(tmp_path / "buffer"),
        "sink_options": {"file": {"path": str(tmp_path / "audit.jsonl"), "fsync": "always"}},
        **sections.pop("audit", {}),
    }
    sections.setdefault("cache", {"enabled": False})
    config = InfraConfig.model_validate(
        {
            "database": {"engine": "memory-double", "options": {"fixture": "blog", "provider": provider}},
            "audit": audit,
            "base_dir": str(tmp_path),
            **sections,
        }
    )
    manager = PluginManager(autoload=False, environ={})
    manager.load_all()
    manager.register(ReturningEnginePlugin())
    manager.register(MemorySinkPlugin())
    return Infrastructure(config, plugin_manager=manager)
