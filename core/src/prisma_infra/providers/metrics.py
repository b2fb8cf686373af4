"""The metrics-exporter interface: publishes the kernel's measurements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = ["MetricsExporter"]


class MetricsExporter(ABC):
    """Receives every measured operation and exposes it in its own format."""

    name: ClassVar[str] = ""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: Mapping[str, Any] = dict(options or {})

    @abstractmethod
    def observe(self, model: str | None, action: str, seconds: float, error: str | None, rows: int | None) -> None:
        """Record one finished operation; called on the hot path, so must not block."""

    async def start(self) -> None:  # noqa: B027 - optional
        """Begin exporting."""

    async def close(self) -> None:  # noqa: B027 - optional
        """Stop exporting."""
