"""The search-provider interface: full-text search that returns record ids."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = ["SearchProvider"]


class SearchProvider(ABC):
    """Finds records of a model by text; the repository turns ids into records."""

    name: ClassVar[str] = ""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: Mapping[str, Any] = dict(options or {})

    @abstractmethod
    async def search(self, model: str, query: str, fields: Sequence[str], *, limit: int | None = None) -> list[Any]:
        """Ids of matching records, best first."""

    @abstractmethod
    async def index(self, model: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Add or replace records in the index."""

    @abstractmethod
    async def remove(self, model: str, ids: Sequence[Any]) -> None:
        """Drop records from the index."""

    async def close(self) -> None:  # noqa: B027 - optional
        """Release connections."""
