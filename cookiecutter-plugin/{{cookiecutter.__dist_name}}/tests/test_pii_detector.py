"""The SDK's PII-detector contract: real detections, calibrated confidence, no false positive on hard negatives."""

import pytest
from prisma_infra_sdk.testing import PiiDetectorContract

from {{ cookiecutter.__package }}.pii_detector import {{ cookiecutter.__class_prefix }}Detector

CATEGORY = "{{ cookiecutter.__underscored }}"


class Test{{ cookiecutter.__class_prefix }}Detector(PiiDetectorContract):
    @pytest.fixture
    def detector(self) -> {{ cookiecutter.__class_prefix }}Detector:
        return {{ cookiecutter.__class_prefix }}Detector()

    @pytest.fixture
    def positives(self) -> list[tuple[str, str | None, str]]:
        return [("EMP-004217", None, CATEGORY), ("emp-123456", "employee_number", CATEGORY)]


def test_refuses_look_alikes() -> None:
    detector = {{ cookiecutter.__class_prefix }}Detector()
    for value in ("EMP-000000", "EMP-12345", "EMP-1234567", "XEMP-123456", "EMP 123456"):
        assert detector.detect(value) == [], value


def test_a_matching_field_name_raises_the_confidence() -> None:
    detector = {{ cookiecutter.__class_prefix }}Detector()
    assert detector.detect("EMP-004217", field="staffId")[0].confidence > detector.detect("EMP-004217")[0].confidence
