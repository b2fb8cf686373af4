"""`PatternDetector`: a PII detector from a regular expression, an optional validator and field hints.

The kernel applies the confidence threshold, arbitrates between detectors,
finds spans in free text and masks; a detector only scores one value::

    class EmployeeIdDetector(PatternDetector):
        name = "employee_id"
        category = "employee_id"
        pattern = re.compile(r"EMP-\\d{6}")
        field_hints = ("employee",)
"""

from __future__ import annotations

import re
from typing import ClassVar

from prisma_infra.providers import PiiDetector, PiiMatch

__all__ = ["PatternDetector"]


class PatternDetector(PiiDetector):
    """Matches the whole (stripped) value against ``pattern``; see the module documentation.

    ``confidence`` is given to a match; ``field_confidence`` when the field
    name contains one of ``field_hints`` (case-insensitive). Override
    `validate` for a checksum or range check that rules out look-alikes.
    """

    category: ClassVar[str] = ""
    pattern: ClassVar[re.Pattern[str]] = re.compile(r"(?!)")
    confidence: ClassVar[float] = 0.9
    field_hints: ClassVar[tuple[str, ...]] = ()
    field_confidence: ClassVar[float] = 0.97
    max_length: ClassVar[int] = 256

    def validate(self, value: str) -> bool:
        """Extra check on a value that matches ``pattern``; ``True`` by default."""
        return True

    def detect(self, value: str, *, field: str | None = None) -> list[PiiMatch]:
        text = value.strip()
        if not text or len(text) > self.max_length or not self.pattern.fullmatch(text) or not self.validate(text):
            return []
        hinted = field is not None and any(h.lower() in field.lower() for h in self.field_hints)
        confidence = max(self.confidence, self.field_confidence) if hinted else self.confidence
        evidence = f"{self.category or self.name} pattern" + (" in a matching field" if hinted else "")
        return [PiiMatch(self.category or self.name, min(1.0, confidence), evidence)]
