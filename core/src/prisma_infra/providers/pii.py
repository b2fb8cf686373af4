"""The PII-detector interface: classifies field names and sampled values."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

__all__ = ["PiiDetector", "PiiMatch"]


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One detection: the category (``email``, ``phone``, ``card`` ...) and a confidence in [0, 1]."""

    category: str
    confidence: float
    evidence: str = ""


class PiiDetector(ABC):
    """Detects one or more PII categories in a value."""

    name: ClassVar[str] = ""

    @abstractmethod
    def detect(self, value: str, *, field: str | None = None) -> list[PiiMatch]:
        """Matches found in ``value``; ``field`` is the field name when known."""
