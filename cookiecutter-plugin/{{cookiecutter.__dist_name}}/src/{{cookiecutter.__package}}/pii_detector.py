"""`{{ cookiecutter.__class_prefix }}Detector`: finds one kind of identifier by its pattern.

A detector only scores one value and returns `PiiMatch` objects (category,
confidence in [0, 1], evidence that never repeats the value). The kernel does
the rest: the ``pii.min_confidence`` threshold, arbitration between detectors,
field classification from names and sampled values, spans in free text, and
masking. `PatternDetector` (from the SDK) matches the whole value against
``pattern`` and raises the confidence when the field name contains a hint.

Edit ``pattern``, ``category`` and `validate`; the SDK's `PiiDetectorContract`
checks real detections and no false positive on a shared list of hard
negatives (``pytest tests/test_pii_detector.py``).
"""

from __future__ import annotations

import re
from typing import ClassVar

from prisma_infra_sdk import PatternDetector

__all__ = ["{{ cookiecutter.__class_prefix }}Detector"]


class {{ cookiecutter.__class_prefix }}Detector(PatternDetector):
    """Employee numbers like ``EMP-004217``: the ``EMP-`` prefix and six digits, not all zeros."""

    name: ClassVar[str] = "{{ cookiecutter.__hyphenated }}"
    category: ClassVar[str] = "{{ cookiecutter.__underscored }}"
    pattern: ClassVar[re.Pattern[str]] = re.compile(r"EMP-(\d{6})", re.IGNORECASE)
    confidence: ClassVar[float] = 0.9
    field_hints: ClassVar[tuple[str, ...]] = ("employee", "staff")

    def validate(self, value: str) -> bool:
        return value[4:] != "000000"  # a placeholder, not a person's number
