"""Masking strategies, per-purpose configuration, nested records, free text, tokens and unmask."""

from __future__ import annotations

import datetime as dt

import pytest
from prisma_infra.context import acting_as
from prisma_infra.errors import ConfigurationError, PolicyDeniedError, UnknownFieldError, ValidationError
from prisma_infra.pii import Masker, PiiManager, TokenCipher, is_token, partial_mask
from prisma_infra.schema import Schema


@pytest.mark.parametrize(
    ("value", "category", "expected"),
    [
        ("john.doe@example.com", "email", "j***@example.com"),
        ("4242 4242 4242 4242", "card", "**** **** **** 4242"),
        ("4242424242424242", "card", "**** **** **** 4242"),
        ("+44 20 7946 0789", "phone", "+44 **** ***789"),
        ("(202) 555-0143", "phone", "(***) ***-*143"),
        ("DE89 3704 0044 0532 0130 00", "iban", "DE** **** **** **** **** 3000"),
        ("123-45-6789", "national_id", "***-**-6789"),
        ("203.0.113.7", "ip", "203.0.113.*"),
        ("2001:db8:85a3::8a2e:370:7334", "ip", "2001:db8:85a3::*"),
        ("1985-04-12", "dob", "1985-**-**"),
        (dt.datetime(1985, 4, 12), "dob", "1985-**-**"),
        ("John Smith", "person_name", "J*** S***"),
        ("12 Main Street", "address", "1*** M*** S***"),
        ("secret-value", "custom", "s***e"),
        ("abc", "custom", "***"),
    ],
)
def test_partial(value: object, category: str, expected: str) -> None:
    assert partial_mask(value, category) == expected


def test_redact_null_keep() -> None:
    masker = Masker()
    assert masker.mask("john@example.com", "email", "redact") == "[REDACTED:email]"
    assert masker.mask("john@example.com", "email", "null") is None
    assert masker.mask("john@example.com", "email", "keep") == "john@example.com"
    assert masker.mask(None, "email", "redact") is None
    assert masker.mask(["a@example.com", "b@example.com"], "email", "partial") == [
        "a***@example.com",
        "b***@example.com",
    ]
    with pytest.raises(ConfigurationError, match="Unknown masking strategy"):
        masker.mask("x", "email", "shred")


def test_keyed_hash_is_stable_normalised_and_keyed() -> None:
    one, other = Masker(hash_key="k1"), Masker(hash_key="k2")
    digest = one.hash("John.Doe@Example.com", "email")
    assert digest.startswith("hmac:") and len(digest) == 5 + 32
    assert digest == one.hash(" john.doe@example.com ", "email")  # normalised
    assert one.hash("+44 20 7946 0958", "phone") == one.hash("+442079460958", "phone")
    assert digest != other.hash("john.doe@example.com", "email")
    with pytest.raises(ConfigurationError, match=r"pii\.hash_key"):
        Masker().hash("x", "email")


def test_token_round_trip_deterministic_and_tamper_evident() -> None:
    cipher = TokenCipher("a test token key, 16+ chars")
    token = cipher.encrypt("john.doe@example.com", "email")
    assert is_token(token) and "john" not in token and token.startswith("tok:v1:email:")
    assert token == cipher.encrypt("john.doe@example.com", "email")  # equal values, equal tokens
    assert cipher.encrypt("jane@example.com", "email") != token
    assert cipher.decrypt(token) == ("john.doe@example.com", "email")
    with pytest.raises(ValidationError):
        TokenCipher("another key of 16+ chars").decrypt(token)
    with pytest.raises(ValidationError):
        cipher.decrypt(token.replace("tok:v1:email:", "tok:v1:phone:"))  # category is authenticated
    with pytest.raises(ValidationError):
        cipher.decrypt(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(ConfigurationError, match="16"):
        TokenCipher("short")


def test_unmask_only_for_authorised_roles(manager: PiiManager) -> None:
    token = manager.masker.mask("123-45-6789", "national_id", "token")
    assert manager.unmask(token, role="dpo") == "123-45-6789"
    with pytest.raises(PolicyDeniedError) as denied:
        manager.unmask(token, role="support")
    assert denied.value.policy == "pii.unmask" and "support" in str(denied.value)
    with acting_as({"id": 1, "roles": ["dpo"]}):
        assert manager.unmask(token) == "123-45-6789"
    with acting_as({"id": 2, "role": "viewer"}), pytest.raises(PolicyDeniedError):
        manager.unmask(token)


def test_token_strategy_needs_a_key(crm_schema: Schema) -> None:
    manager = PiiManager(crm_schema, {"pii": {"strategies": {"email": "token"}}})
    with pytest.raises(ConfigurationError, match=r"pii\.token_key"):
        manager.mask_record("Customer", {"email": "a@example.com"})


RECORD = {
    "id": 7,
    "email": "john.doe@example.com",
    "emailVerified": True,
    "firstName": "John",
    "lastName": "Doe",
    "phone": "+44 20 7946 0789",
    "birthDate": dt.datetime(1985, 4, 12),
    "iban": "DE89370400440532013000",
    "ssn": "123-45-6789",
    "lastLoginIp": "203.0.113.7",
    "internalNote": "call john.doe@example.com",
    "orders": [
        {"id": 1, "reference": "ORD-1", "cardNumber": "4242424242424242"},
        {"id": 2, "reference": "ORD-2", "cardNumber": None},
    ],
    "addresses": [{"id": 3, "street": "12 Main Street", "city": "Springfield", "postcode": "62704"}],
    "_count": {"orders": 2},
}


def test_mask_record_with_nested_relations(manager: PiiManager) -> None:
    masked = manager.mask_record("customer", RECORD)
    assert masked["id"] == 7 and masked["emailVerified"] is True and masked["_count"] == {"orders": 2}
    assert masked["email"] == "j***@example.com"
    assert masked["firstName"] == "J***" and masked["lastName"] == "D***"
    assert masked["phone"] == "+44 **** ***789"
    assert masked["birthDate"] == "1985-**-**"
    assert masked["iban"] == "DE** **** **** **** **** 3000"
    assert masked["ssn"] == "[REDACTED:national_id]"
    assert masked["lastLoginIp"] == "203.0.113.*"
    assert masked["internalNote"] == "call john.doe@example.com"  # @pii none in the schema
    assert masked["orders"][0] == {"id": 1, "reference": "ORD-1", "cardNumber": "**** **** **** 4242"}
    assert masked["orders"][1]["cardNumber"] is None
    assert masked["addresses"][0]["street"] == "[REDACTED:address]"
    assert masked["addresses"][0]["postcode"] == "[REDACTED:address]"
    assert masked["addresses"][0]["city"] == "Springfield"
    assert RECORD["email"] == "john.doe@example.com"  # the input is untouched


def test_strategies_by_category_field_and_purpose(crm_schema: Schema) -> None:
    manager = PiiManager(
        crm_schema,
        {
            "pii": {
                "hash_key": "k",
                "strategies": {"email": "hash"},
                "fields": {"Customer.phone": "null"},
                "purposes": {"log": {"email": "redact", "Customer.ssn": "partial"}, "result": {"ssn": "keep"}},
                "reveal_roles": ["admin"],
            }
        },
    )
    record = {"email": "a@example.com", "phone": "+44 20 7946 0789", "ssn": "123-45-6789"}
    audit = manager.mask_record("Customer", record, purpose="audit")
    assert audit["email"].startswith("hmac:") and audit["phone"] is None and audit["ssn"] == "[REDACTED:national_id]"
    log = manager.mask_record("Customer", record, purpose="log")
    assert log["email"] == "[REDACTED:email]" and log["ssn"] == "***-**-6789"
    # "ssn" is a field name, not a category: the result table's "ssn" key does not apply to national_id.
    assert manager.mask_record("Customer", record, purpose="result")["ssn"] == "[REDACTED:national_id]"
    assert manager.mask_record("Customer", record, purpose="result", role="admin") == record
    assert manager.mask_record("Customer", record, purpose="audit", role="admin") != record  # audit always masked


def test_configuration_confirms_and_overrides_categories(crm_schema: Schema) -> None:
    manager = PiiManager(crm_schema, {"models": {"customer": {"pii": {"notes": "email", "phone": "none"}}}})
    fields = manager.field_categories("Customer")
    assert fields["notes"] == "email" and "phone" not in fields and fields["email"] == "email"


def test_invalid_settings_are_clear_errors(crm_schema: Schema) -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'redact'"):
        PiiManager(crm_schema, {"pii": {"strategies": {"email": "redakt"}}})
    with pytest.raises(UnknownFieldError, match="emial"):
        PiiManager(crm_schema, {"pii": {"fields": {"Customer.emial": "hash"}}})
    with pytest.raises(UnknownFieldError):
        PiiManager(crm_schema, {"models": {"Customer": {"pii": {"phon": "phone"}}}})


def test_mask_text(manager: PiiManager) -> None:
    line = (
        "login failed for john.doe@example.com from 203.0.113.7 (client v1.2.3.4), "
        "card 4242 4242 4242 4242, iban DE89 3704 0044 0532 0130 00, call +44 20 7946 0789, "
        "order ORD-2024-000123 at 2024-01-15T10:30:00Z"
    )
    masked = manager.mask_text(line)
    for secret in ("john.doe", "203.0.113.7", "4242 4242 4242 4242", "0532 0130", "7946"):
        assert secret not in masked
    for kept in ("v1.2.3.4", "ORD-2024-000123", "2024-01-15T10:30:00Z", "login failed for"):
        assert kept in masked
    assert "j***@example.com" in masked and "**** **** **** 4242" in masked
    assert manager.mask_text("") == ""


def test_disabled_detectors_do_not_run(crm_schema: Schema) -> None:
    manager = PiiManager(crm_schema, {"pii": {"disable": ["email"]}})
    assert "email" not in manager.detectors
    assert manager.mask_text("write to john.doe@example.com") == "write to john.doe@example.com"
