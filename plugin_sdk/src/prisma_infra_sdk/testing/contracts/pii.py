"""The PII-detector contract: real detections, calibrated confidences, no false positives on hard negatives.

A detector returns `PiiMatch` objects with a category and a confidence in
[0, 1]; the kernel ignores matches below ``pii.min_confidence`` (0.5 by
default). The kit checks that the detector finds its own examples, that it
tolerates any string (empty, huge, binary-looking, with or without a field
name), and that it raises no match at or above the kernel's threshold on the
shared list of hard negatives (`HARD_NEGATIVES`: version numbers, timestamps,
ISBNs, Luhn-failing card numbers, invalid IBANs and SSNs, UUIDs, prices, ...).

Usage::

    class TestMyDetector(PiiDetectorContract):
        @pytest.fixture
        def detector(self):
            return EmployeeIdDetector()

        @pytest.fixture
        def positives(self):
            return [("EMP-123456", None, "employee_id"), ("123456", "employee_id", "employee_id")]
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from importlib import resources
from typing import ClassVar

import pytest
from prisma_infra.config.model import PiiConfig
from prisma_infra.providers import PiiDetector, PiiMatch

from prisma_infra_sdk.testing.contracts._base import ContractBase, missing_fixture

__all__ = ["HARD_NEGATIVES", "HardNegative", "PiiDetectorContract", "Positive", "hard_negatives"]

#: ``(value, field name or None, expected category)``.
Positive = tuple[str, str | None, str]

#: The kernel's default threshold: a match at or above it counts as a detection.
MIN_CONFIDENCE = PiiConfig().min_confidence


@dataclass(frozen=True, slots=True)
class HardNegative:
    """A value that looks like PII to a naive pattern but is not (``kind`` says why)."""

    value: str
    field: str | None
    kind: str


def hard_negatives() -> tuple[HardNegative, ...]:
    """The shared hard-negative list shipped with the SDK."""
    text = (resources.files("prisma_infra_sdk.testing") / "data" / "hard_negatives.jsonl").read_text("utf-8")
    return tuple(HardNegative(**json.loads(line)) for line in text.splitlines() if line.strip())


HARD_NEGATIVES = hard_negatives()

_ODD_VALUES = ("", " ", "\x00", "\n\t", "é" * 3, "a" * 100_000, "1" * 5_000, "🔑🔑🔑", "null", "None", "-", "@", "+")


def _check_matches(detector: PiiDetector, value: str, field: str | None, found: object) -> list[PiiMatch]:
    where = f"{type(detector).__name__}.detect({value[:40]!r}, field={field!r})"
    assert isinstance(found, list), f"{where} must return a list, got {type(found).__name__}"
    for match in found:
        assert isinstance(match, PiiMatch), f"{where} must return PiiMatch objects, got {match!r}"
        assert isinstance(match.category, str) and match.category, f"{where}: a match needs a category"
        assert isinstance(match.confidence, float | int) and 0.0 <= match.confidence <= 1.0, (
            f"{where}: confidence must be in [0, 1], got {match.confidence!r}"
        )
        assert len(value) < 6 or value not in match.evidence, (
            f"{where}: evidence must describe the match, never repeat the value (it ends up in logs)"
        )
    return found


class PiiDetectorContract(ContractBase):
    """The PII-detector kit. Provide ``detector`` (an instance) and ``positives`` (what it must find).

    ``allowed_hard_negatives`` lists ``kind`` values of `HARD_NEGATIVES` the
    detector is *meant* to flag (rare: say why in a comment).
    """

    allowed_hard_negatives: ClassVar[frozenset[str]] = frozenset()
    #: Most one ``detect`` call may cost on average, in seconds (it runs on sampled values and free text).
    detect_budget: ClassVar[float] = 2e-3

    @pytest.fixture
    def detector(self) -> PiiDetector:
        missing_fixture(self, "PiiDetectorContract", "detector", "a PiiDetector instance")

    @pytest.fixture
    def positives(self) -> list[Positive]:
        missing_fixture(
            self, "PiiDetectorContract", "positives", "a list of (value, field or None, category) it must detect"
        )

    async def test_is_a_detector_with_a_name(self, detector: PiiDetector) -> None:
        assert isinstance(detector, PiiDetector), f"`detector` must be a PiiDetector instance, got {detector!r}"
        assert isinstance(type(detector).name, str) and type(detector).name, "set the class attribute `name`"

    async def test_finds_its_positives(self, detector: PiiDetector, positives: list[Positive]) -> None:
        assert positives, "give at least one positive example"
        for value, field, category in positives:
            found = _check_matches(detector, value, field, detector.detect(value, field=field))
            best = max(found, key=lambda m: m.confidence, default=None)
            assert best is not None and best.confidence >= MIN_CONFIDENCE, (
                f"{value!r} (field {field!r}) must be detected at confidence >= {MIN_CONFIDENCE}, got {found!r}"
            )
            assert best.category == category, f"{value!r}: expected category {category!r}, got {best.category!r}"

    async def test_no_false_positive_on_hard_negatives(self, detector: PiiDetector) -> None:
        flagged = []
        for negative in HARD_NEGATIVES:
            if negative.kind in self.allowed_hard_negatives:
                continue
            found = _check_matches(
                detector, negative.value, negative.field, detector.detect(negative.value, field=negative.field)
            )
            strong = [m for m in found if m.confidence >= MIN_CONFIDENCE]
            if strong:
                flagged.append(f"{negative.value!r} (field {negative.field!r}, {negative.kind}) -> {strong!r}")
        assert not flagged, "false positives on the shared hard negatives:\n  " + "\n  ".join(flagged)

    async def test_tolerates_any_string(self, detector: PiiDetector) -> None:
        for value in _ODD_VALUES:
            for field in (None, "", "notes", "email", "Ünïcødé"):
                _check_matches(detector, value, field, detector.detect(value, field=field))

    async def test_is_deterministic_and_pure(self, detector: PiiDetector, positives: list[Positive]) -> None:
        for value, field, _ in positives[:20]:
            assert detector.detect(value, field=field) == detector.detect(value, field=field), (
                f"detect({value!r}) must give the same answer every time (the kernel caches classifications)"
            )

    async def test_detect_is_fast_enough(self, detector: PiiDetector, positives: list[Positive]) -> None:
        values = [(p[0], p[1]) for p in positives] + [(n.value, n.field) for n in HARD_NEGATIVES]
        started = time.perf_counter()
        rounds = 5
        for _ in range(rounds):
            for value, field in values:
                detector.detect(value, field=field)
        cost = (time.perf_counter() - started) / (rounds * len(values))
        assert cost <= self.detect_budget, f"detect costs {cost * 1e3:.2f} ms per value, over the budget"
