"""Every built-in detector: what it finds, what it refuses, and its confidence."""

from __future__ import annotations

import pytest
from prisma_infra.config.model import PiiConfig
from prisma_infra.pii.detectors import (
    AddressDetector,
    BsnDetector,
    CardDetector,
    DobDetector,
    EmailDetector,
    IbanDetector,
    IpDetector,
    NameDetector,
    NinoDetector,
    NirDetector,
    PhoneDetector,
    SsnDetector,
    SteuerIdDetector,
    builtin_detectors,
)
from prisma_infra.pii.detectors.base import ValueDetector
from prisma_infra.pii.detectors.financial import card_scheme, iban_valid, luhn_valid
from prisma_infra.providers import PiiDetector

CASES: list[tuple[ValueDetector, str, str | None, bool]] = [
    # e-mail
    (EmailDetector(), "john.doe@example.com", None, True),
    (EmailDetector(), "J.O'Neil+news@mail.example.co.uk", None, True),
    (EmailDetector(), "user@localhost", None, False),
    (EmailDetector(), "john..doe@example.com", None, False),
    (EmailDetector(), ".john@example.com", None, False),
    (EmailDetector(), "a" * 65 + "@example.com", None, False),
    (EmailDetector(), "not an email", None, False),
    # phone
    (PhoneDetector(), "+44 20 7946 0958", None, True),
    (PhoneDetector(), "(202) 555-0143", None, True),
    (PhoneDetector(), "+1-202-555-0143x123", None, True),
    (PhoneDetector("US", ("DE",)), "030 12345678", None, True),
    (PhoneDetector("US", ("FR",)), "01 42 68 53 00", None, True),
    (PhoneDetector(), "2025550143", None, False),  # bare digits: could be anything...
    (PhoneDetector(), "2025550143", "phone", True),  # ...unless the field says phone
    (PhoneDetector(), "078-05-1120", None, False),  # SSN shape
    (PhoneDetector(), "0-306-40615-2", None, False),  # ISBN
    (PhoneDetector(), "2024-01-15", None, False),
    (PhoneDetector(), "192.168.1.20", None, False),
    (PhoneDetector(), "+1 555 0100", None, False),  # invalid
    # cards
    (CardDetector(), "4242 4242 4242 4242", None, True),
    (CardDetector(), "378282246310005", None, True),  # Amex, 15
    (CardDetector(), "5555-5555-5555-4444", None, True),
    (CardDetector(), "4242 4242 4242 4241", None, False),  # Luhn
    (CardDetector(), "9999999999999995", None, False),  # Luhn-valid, no IIN
    (CardDetector(), "37828224631000", None, False),  # Amex prefix, wrong length
    # IBAN
    (IbanDetector(), "DE89 3704 0044 0532 0130 00", None, True),
    (IbanDetector(), "GB82WEST12345698765432", None, True),
    (IbanDetector(), "gb82 west 1234 5698 7654 32", None, True),
    (IbanDetector(), "GB82 WEST 1234 5698 7654 33", None, False),  # mod 97
    (IbanDetector(), "DE89 3704 0044 0532 0130", None, False),  # length
    (IbanDetector(), "XX89370400440532013000", None, False),
    # national ids
    (SsnDetector(), "123-45-6788", None, True),
    (SsnDetector(), "666-12-3456", None, False),
    (SsnDetector(), "923-12-3456", None, False),
    (SsnDetector(), "123-00-4567", None, False),
    (SsnDetector(), "078-05-1120", None, False),
    (SsnDetector(), "123456788", None, False),
    (SsnDetector(), "123456788", "ssn", True),
    (NinoDetector(), "AB 12 34 56 C", None, True),
    (NinoDetector(), "ZZ123456A", None, False),
    (NinoDetector(), "DA123456A", None, False),
    (NirDetector(), "1 85 05 78 006 084 91", None, True),
    (NirDetector(), "185057800608492", None, False),
    (NirDetector(), "2 85 05 2A 006 084 91", None, False),
    (BsnDetector(), "111222333", "bsn", True),
    (BsnDetector(), "111222333", None, False),
    (BsnDetector(), "111222334", "bsn", False),
    (SteuerIdDetector(), "86095742719", "steuer_id", True),
    (SteuerIdDetector(), "86095742719", None, False),
    (SteuerIdDetector(), "86095742718", "steuer_id", False),
    # IP
    (IpDetector(), "192.168.1.20", None, True),
    (IpDetector(), "203.0.113.7", None, True),
    (IpDetector(), "2001:db8::1", None, True),
    (IpDetector(), "8.8.8.8", None, True),
    (IpDetector(), "1.2.3.4", None, False),  # a version
    (IpDetector(), "1.2.3.4", "ip_address", True),  # unless the field says IP
    (IpDetector(), "3.10.12.1", None, False),
    (IpDetector(), "999.1.1.1", None, False),
    (IpDetector(), "12:30:45", None, False),
    (IpDetector(), "00:1A:2B:3C:4D:5E", None, False),
    # dates of birth
    (DobDetector(), "1985-04-12", "date_of_birth", True),
    (DobDetector(), "12.04.1985", "geburtsdatum", True),
    (DobDetector(), "April 12, 1985", "birthday", True),
    (DobDetector(), "1985-04-12", "created_at", False),
    (DobDetector(), "2999-01-01", "dob", False),
    (DobDetector(), "1850-01-01", "dob", False),
    (DobDetector(), "31/02/1985", "dob", False),
    # addresses
    (AddressDetector(), "447 Crawford Crescent\nSouth Emilymouth, TN 83200", None, True),
    (AddressDetector(), "Hauptstraße 5, 10115 Berlin", None, True),
    (AddressDetector(), "Kerkstraat 12\n1234 AB Amsterdam", None, True),
    (AddressDetector(), "24, boulevard Marc Seguin", None, True),
    (AddressDetector(), "10115", "postcode", True),
    (AddressDetector(), "10115", "quantity", False),
    (AddressDetector(), "The Long Way", "title", False),
    (AddressDetector(), "Spring 2024", "title", False),
    (AddressDetector(), "iPad 2", None, False),
    # names
    (NameDetector(), "John Smith", None, True),
    (NameDetector(), "Dr. Maria van der Berg", "full_name", True),
    (NameDetector(), "Holly Kelly-McDonald", "customer_name", True),
    (NameDetector(), "Zyxq", "first_name", True),  # shape is enough in a first-name field
    (NameDetector(), "Blue Widget", "name", False),
    (NameDetector(), "Annual Report", None, False),
    (NameDetector(), "john smith 42", "full_name", False),
]


@pytest.mark.parametrize(
    ("detector", "value", "field", "expected"),
    CASES,
    ids=[f"{d.name}:{v!r}:{f}" for d, v, f, _ in CASES],
)
def test_detector(detector: ValueDetector, value: str, field: str | None, expected: bool) -> None:
    matches = detector.detect(value, field=field)
    found = [m for m in matches if m.confidence >= 0.5]  # the manager's default pii.min_confidence
    assert bool(found) is expected, matches
    for match in matches:
        assert match.category == detector.category
        assert 0 < match.confidence <= 0.99
        assert match.evidence and value not in match.evidence  # evidence never repeats the value


def test_every_builtin_is_a_pii_detector_with_a_unique_name() -> None:
    detectors = builtin_detectors()
    assert all(isinstance(d, PiiDetector) for d in detectors.values())
    assert {"email", "phone", "card", "iban", "ssn_us", "nino_gb", "nir_fr", "bsn_nl", "steuer_id_de", "ip", "dob",
            "address", "person_name"} == set(detectors)  # fmt: skip


def test_phone_default_region_comes_from_settings() -> None:
    us = PhoneDetector().configured(PiiConfig(default_region="US", regions=[]))
    gb = PhoneDetector().configured(PiiConfig(default_region="GB", regions=[]))
    [in_gb] = gb.detect("020 7946 0958")
    assert in_gb.evidence == "valid national number (GB)" and in_gb.confidence == 0.9
    # Elsewhere the same digits are only tried against the likely regions, with a lower confidence.
    assert all("GB" not in m.evidence and m.confidence < in_gb.confidence for m in us.detect("020 7946 0958"))


def test_checksums() -> None:
    assert luhn_valid("4242424242424242") and not luhn_valid("4242424242424241")
    assert card_scheme("4242424242424242") == "Visa" and card_scheme("378282246310005") == "American Express"
    assert iban_valid("DE89370400440532013000") and not iban_valid("DE89370400440532013001")


def test_find_spans_in_text() -> None:
    text = "mail john.doe@example.com from 203.0.113.7, release v1.2.3.4, card 4242 4242 4242 4242"
    found = {(s.category, text[s.start : s.end]) for d in builtin_detectors().values() for s in d.find(text)}
    assert ("email", "john.doe@example.com") in found
    assert ("ip", "203.0.113.7") in found
    assert ("card", "4242 4242 4242 4242") in found
    assert not any(value == "1.2.3.4" for _, value in found)
