"""The audit-sink interface: durable destinations for audit events."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = ["AuditSink"]


class AuditSink(ABC):
    """Writes audit events; raising means "not stored" and the kernel buffers and retries."""

    name: ClassVar[str] = ""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: Mapping[str, Any] = dict(options or {})

    @abstractmethod
    async def write(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Store events in order; return only once they are durable."""

    async def start(self) -> None:  # noqa: B027 - optional
        """Connect; called once before first use."""

    async def close(self) -> None:  # noqa: B027 - optional
        """Flush and disconnect."""
