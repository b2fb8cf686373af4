"""What audit sinks may offer beyond `AuditSink.write`: reading back (queries, verification, chain head)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["AuditFilter", "HeadSink", "QueryableSink"]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Criteria for reading events back; ``None`` matches everything.

    ``since`` is inclusive, ``until`` exclusive; both are event time strings
    (`prisma_infra.audit.events.parse_time`).
    """

    model: str | None = None
    record_key: str | None = None
    actor: str | None = None
    action: str | None = None
    since: str | None = None
    until: str | None = None
    chain: str | None = None

    def matches(self, event: Mapping[str, Any]) -> bool:
        if self.model is not None and event.get("model") != self.model:
            return False
        if self.record_key is not None and event.get("record_key") != self.record_key:
            return False
        if self.actor is not None and event.get("actor") != self.actor:
            return False
        if self.action is not None and event.get("action") != self.action:
            return False
        if self.chain is not None and event.get("chain") != self.chain:
            return False
        time = str(event.get("time") or "")
        if self.since is not None and time < self.since:
            return False
        return not (self.until is not None and time >= self.until)


@runtime_checkable
class HeadSink(Protocol):
    """A sink that can tell the last event it holds for a chain (chain continuity across restarts)."""

    async def last_event(self, chain: str) -> Mapping[str, Any] | None: ...


@runtime_checkable
class QueryableSink(HeadSink, Protocol):
    """A sink that can read its events back, in trail order (chain, then seq)."""

    def read(self, criteria: AuditFilter | None = None) -> AsyncIterator[dict[str, Any]]: ...
