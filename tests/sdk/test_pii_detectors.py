"""The PII-detector kit over every built-in detector, each with the values it must find."""

from __future__ import annotations

import pytest
from prisma_infra.pii.detectors import builtin_detectors
from prisma_infra.providers import PiiDetector
from prisma_infra_sdk.testing import PiiDetectorContract

#: Detector name -> (value, field) it must detect, in its own category.
POSITIVES: dict[str, list[tuple[str, str | None]]] = {
    "email": [("john.doe@example.com", None), ("J.O'Neil+news@mail.example.co.uk", "contact")],
    "phone": [("+44 20 7946 0958", None), ("(202) 555-0143", None), ("2025550143", "phone")],
    "card": [("4242 4242 4242 4242", None), ("378282246310005", None), ("5555-5555-5555-4444", "card")],
    "iban": [("DE89 3704 0044 0532 0130 00", None), ("GB82WEST12345698765432", None)],
    "ssn_us": [("123-45-6788", None), ("123456788", "ssn")],
    "nino_gb": [("AB 12 34 56 C", None)],
    "nir_fr": [("1 85 05 78 006 084 91", None)],
    "bsn_nl": [("111222333", "bsn")],
    "steuer_id_de": [("86095742719", "steuer_id")],
    "ip": [("192.168.1.20", None), ("2001:db8::1", None), ("1.2.3.4", "ip_address")],
    "dob": [("1985-04-12", "date_of_birth"), ("April 12, 1985", "birthday")],
    "address": [("Hauptstraße 5, 10115 Berlin", None), ("447 Crawford Crescent\nSouth Emilymouth, TN 83200", None)],
    "person_name": [("John Smith", None), ("Dr. Maria van der Berg", "full_name")],
}

DETECTORS = builtin_detectors()


class TestBuiltinDetectors(PiiDetectorContract):
    @pytest.fixture(params=sorted(DETECTORS))
    def detector(self, request: pytest.FixtureRequest) -> PiiDetector:
        return DETECTORS[request.param]

    @pytest.fixture
    def positives(self, detector: PiiDetector) -> list[tuple[str, str | None, str]]:
        name = type(detector).name
        if name not in POSITIVES:
            pytest.fail(f"give the built-in detector {name!r} positive examples in POSITIVES")
        category = str(getattr(detector, "category", name))
        return [(value, field, category) for value, field in POSITIVES[name]]


COVERED = {name: TestBuiltinDetectors for name in DETECTORS}
