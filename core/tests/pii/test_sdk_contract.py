"""Every built-in detector passes the SDK's PII-detector contract kit (shared hard negatives included)."""

from __future__ import annotations

import prisma_infra_sdk.testing.contracts.pii as contracts
import pytest
from prisma_infra.pii.detectors import builtin_detectors
from prisma_infra.providers import PiiDetector

POSITIVES: dict[str, list[tuple[str, str | None, str]]] = {
    "email": [("john.doe@example.com", None, "email")],
    "phone": [("+44 20 7946 0958", None, "phone"), ("(202) 555-0143", "phone", "phone")],
    "card": [("4242 4242 4242 4242", None, "card")],
    "iban": [("DE89 3704 0044 0532 0130 00", None, "iban")],
    "ssn_us": [("123-45-6788", None, "national_id")],
    "nino_gb": [("AB 12 34 56 C", None, "national_id")],
    "nir_fr": [("1 85 05 78 006 084 91", None, "national_id")],
    "bsn_nl": [("111222333", "bsn", "national_id")],
    "steuer_id_de": [("86095742719", "steuer_id", "national_id")],
    "ip": [("203.0.113.7", None, "ip"), ("2001:db8::1", None, "ip")],
    "dob": [("1985-04-12", "date_of_birth", "dob")],
    "address": [("Hauptstraße 5, 10115 Berlin", None, "address")],
    "person_name": [("John Smith", None, "person_name"), ("Zyxq", "first_name", "person_name")],
}


@pytest.fixture(params=sorted(builtin_detectors()))
def detector_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestBuiltinDetectors(contracts.PiiDetectorContract):  # type: ignore[misc,name-defined]
    @pytest.fixture
    def detector(self, detector_name: str) -> PiiDetector:
        return builtin_detectors()[detector_name]

    @pytest.fixture
    def positives(self, detector_name: str) -> list[tuple[str, str | None, str]]:
        return POSITIVES[detector_name]
