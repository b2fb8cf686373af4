"""`prisma_infra.pii.mask_text` and `mask_args`: what logs, errors and the monitor keep."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from prisma_infra.pii import PiiManager, known_values, mask_args, mask_text
from prisma_infra.schema import Schema

CARD = "4242 4242 4242 4242"
IBAN = "DE89 3704 0044 0532 0130 00"


def test_detected_pii_is_masked_in_free_text_with_the_default_detectors() -> None:
    line = f"charge failed for alice@example.com card {CARD}, iban {IBAN}, call +44 20 7946 0789; order ORD-77"
    masked = mask_text(line)
    for secret in ("alice@", CARD, "0532 0130", "7946 0789"):
        assert secret not in masked
    assert "a***@example.com" in masked and "**** **** **** 4242" in masked
    assert "charge failed for" in masked and "ORD-77" in masked


def test_known_values_are_masked_even_when_no_detector_knows_them() -> None:
    text = "ValueError: no customer named 'Zebulon Quintessa' in tenant acme"
    masked = mask_text(text, values=["Zebulon Quintessa", "ab"])
    assert "Zebulon" not in masked and "Quintessa" not in masked
    assert "'Z***" in masked and "tenant acme" in masked
    # Values too short to search for are left alone (they would mask unrelated letters).
    assert mask_text("about", values=["ab"]) == "about"


def test_known_values_come_from_nested_arguments() -> None:
    args = {"where": {"OR": [{"name": "Zebulon"}, {"id": 7}]}, "data": {"tags": ["alpha", "x"]}, "take": 3}
    assert known_values(args) == {"Zebulon", "alpha"}


def test_the_manager_settings_choose_the_strategy(crm_schema: Schema) -> None:
    redacting = PiiManager(crm_schema, {"pii": {"purposes": {"log": {"email": "redact"}}}})
    assert mask_text("to bob@example.org", manager=redacting) == "to [REDACTED:email]"
    # A keyed strategy without its key cannot run in a log line: it redacts instead of failing or leaking.
    hashing = PiiManager(crm_schema, {"pii": {"strategies": {"card": "hash"}}})
    masked = mask_args({"data": {"cardNumber": CARD}}, model="Order", manager=hashing)
    assert masked["data"]["cardNumber"] == "[REDACTED:card]"


def test_a_failing_detector_never_lets_clear_text_through(
    crm_schema: Schema, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    manager = PiiManager(crm_schema)

    def broken(text: str, *, purpose: str = "log") -> str:
        raise RuntimeError("detector bug")

    monkeypatch.setattr(manager, "mask_text", broken)
    with caplog.at_level(logging.ERROR, "prisma_infra.pii"):
        masked = mask_text("order 123456 for 'Zed'", manager=manager)
    assert "123456" not in masked and "Zed" not in masked
    assert "PII text masking failed" in caplog.text


def test_mask_args_uses_the_schema_classification(crm_schema: Schema) -> None:
    manager = PiiManager(crm_schema)
    args = {
        "where": {"email": {"equals": "alice@example.com"}, "firstName": {"in": ["Zebulon"]}, "id": 7},
        "data": {
            "iban": IBAN,
            "notes": "call me",
            "orders": {"create": [{"reference": "R-1", "cardNumber": CARD}]},
            "addresses": {"create": {"street": "12 Baker Street", "postcode": "NW1 6XE"}},
        },
        "take": 5,
    }
    masked = mask_args(args, model="Customer", manager=manager)
    assert masked["where"]["email"] == {"equals": "a***@example.com"}
    assert masked["where"]["firstName"] == {"in": ["Z***"]}
    assert masked["where"]["id"] == 7 and masked["take"] == 5
    assert masked["data"]["iban"] == "DE** **** **** **** **** 3000"
    assert masked["data"]["notes"] == "c***"  # not PII by name: still only its first character
    order = masked["data"]["orders"]["create"][0]
    assert order["cardNumber"] == "**** **** **** 4242" and order["reference"] == "R***"
    assert masked["data"]["addresses"]["create"]["street"] == "[REDACTED:address]"
    for secret in ("alice@", "Zebulon", "0532", CARD, "Baker"):
        assert secret not in repr(masked)


def test_mask_args_without_a_schema_still_recognises_values() -> None:
    masked = mask_args({"where": {"contact": "bob@example.org", "code": CARD, "password": "x"}})
    assert masked["where"] == {"contact": "b***@example.org", "code": "**** **** **** 4242", "password": "***"}


def test_mask_args_masks_numbers_of_fields_but_keeps_keys_and_limits(crm_schema: Schema) -> None:
    manager = PiiManager(crm_schema)
    args = {
        "where": {"id": 3, "customerId": 7, "total": {"gt": Decimal("1234.56")}},
        "data": {"total": 99.5},
        "take": 10,
        "skip": 20,
    }
    masked = mask_args(args, model="Order", manager=manager)
    assert masked["where"] == {"id": 3, "customerId": 7, "total": {"gt": "***"}}
    assert masked["data"] == {"total": "***"}
    assert (masked["take"], masked["skip"]) == (10, 20)
    raw = mask_args({"query": "UPDATE x SET salary = $1 WHERE id = $2", "parameters": [90000, 4]})
    assert raw["parameters"] == ["***", "***"]
