"""Classification from the schema and from sampled values, and how the two combine with configuration."""

from __future__ import annotations

import datetime as dt

import pytest
from prisma_infra.pii import Classification, PiiManager
from prisma_infra.pii.inventory import combine
from prisma_infra.schema import Field, Model, Schema

from core.tests.doubles import datamodel


def test_schema_classification_of_the_crm(manager: PiiManager) -> None:
    found = {(m, f): c.category for m, fields in manager.classify_schema().items() for f, c in fields.items()}
    assert found == {
        ("Customer", "email"): "email",
        ("Customer", "firstName"): "person_name",
        ("Customer", "lastName"): "person_name",
        ("Customer", "phone"): "phone",
        ("Customer", "birthDate"): "dob",
        ("Customer", "iban"): "iban",
        ("Customer", "ssn"): "national_id",
        ("Customer", "lastLoginIp"): "ip",
        ("Customer", "internalNote"): "none",  # /// @pii none
        ("Address", "street"): "address",
        ("Address", "postcode"): "address",
        ("Order", "cardNumber"): "card",
    }


def test_blog_schema() -> None:
    schema = Schema.from_datamodel(datamodel("blog"))
    found = PiiManager(schema).classify_schema()
    assert {f: c.category for f, c in found["User"].items()} == {"email": "email", "name": "person_name"}
    assert "Tag" not in found and "Post" not in found  # Tag.name, Post.title are not names of people


def _field(name: str, type_: str = "String", **extra: object) -> Field:
    return Field(name=name, kind="scalar", type=type_, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("model", "field", "category"),
    [
        ("User", _field("emailAddress"), "email"),
        ("User", _field("email_hash"), None),
        ("User", _field("emailVerified", "Boolean"), None),
        ("User", _field("mobilePhone"), "phone"),
        ("User", _field("phoneCountryCode"), None),
        ("User", _field("hotelName"), None),
        ("Payment", _field("card_number"), "card"),
        ("Payment", _field("cardType"), None),
        ("Payment", _field("cardholderName"), "person_name"),
        ("Payment", _field("pan"), "card"),
        ("Person", _field("dateOfBirth", "DateTime"), "dob"),
        ("Person", _field("birthPlace"), None),
        ("Person", _field("createdAt", "DateTime"), None),
        ("Person", _field("social_security_number"), "national_id"),
        ("Person", _field("passportNumber"), "national_id"),
        ("Person", _field("IPAddress"), "ip"),
        ("Person", _field("mailingAddress"), "address"),
        ("Person", _field("macAddress"), None),
        ("Wallet", _field("walletAddress"), None),
        ("Person", _field("zip_code"), "address"),
        ("Person", _field("given_name"), "person_name"),
        ("Person", _field("username"), None),
        ("Product", _field("name"), None),
        ("Employee", _field("name"), "person_name"),
        ("Post", _field("authorName"), "person_name"),
        ("User", _field("age", "Int"), None),
        ("User", _field("bio", documentation="@pii email"), "email"),
    ],
)
def test_field_name_rules(model: str, field: Field, category: str | None) -> None:
    from prisma_infra.pii import classify_field

    found = classify_field(Model(name=model, fields=(field,)), field)
    assert (found.category if found else None) == category


def test_value_vote(manager: PiiManager) -> None:
    emails = ["a@example.com", "b@example.org", None, "c@example.net", "not one"]
    found = manager.classify_values("Customer", "contact", emails)
    assert found is not None and found.category == "email" and found.source == "values"
    assert 0.7 < found.confidence < 0.8  # 3 of 4 values, each ~0.97
    assert "3/4 values" in found.evidence and "a***@example.com" in found.evidence
    assert "a@example.com" not in found.evidence
    assert manager.classify_values("Customer", "contact", ["a@example.com", "x", "y"]) is None  # below min_share
    assert manager.classify_values("Customer", "contact", []) is None
    dates = [dt.datetime(1980, 1, 2), dt.datetime(1990, 3, 4)]
    born = manager.classify_values("Customer", "birthDate", dates)
    assert born is not None and born.category == "dob"


def test_combine() -> None:
    schema = Classification("email", 0.9, "name", "schema")
    values = Classification("email", 0.8, "values", "values")
    phone = Classification("phone", 0.95, "values", "values")
    assert combine(schema, values, None, sampled=10) == Classification("email", 0.98, "name; values", "schema+values")
    assert combine(schema, phone, None, sampled=10).category == "phone"  # type: ignore[union-attr]
    assert combine(schema, None, None, sampled=0) == schema
    unconfirmed = combine(schema, None, None, sampled=10)
    assert unconfirmed is not None and unconfirmed.confidence == 0.45 and "not confirmed" in unconfirmed.evidence
    assert combine(schema, values, "none", sampled=10) is None
    configured = combine(None, phone, "email", sampled=10)
    assert configured is not None and configured.source == "config" and configured.confidence == 1.0
    assert "classifier said phone" in configured.evidence
    assert "schema and values agree" in combine(schema, values, "email", sampled=1).evidence  # type: ignore[union-attr]


def test_build_inventory_from_rows(manager: PiiManager) -> None:
    rows = {
        "customer": [
            {"email": f"user{i}@example.com", "contact": f"+44 20 7946 09{i:02d}", "notes": "likes tea"}
            for i in range(10)
        ]
    }
    report = manager.build_inventory(rows)
    contact = report.get("Customer", "contact")
    assert contact is not None and contact.category == "phone" and contact.source == "values"
    assert contact.sampled == 10 and contact.matched == 10 and "+44 **** ***9" in contact.evidence
    email = report.get("Customer", "email")
    assert email is not None and email.source == "schema+values" and email.confidence > 0.95
    phone = report.get("Customer", "phone")  # named phone, but no values sampled for it
    assert phone is not None and phone.source == "schema" and phone.sampled == 0
    assert report.get("Customer", "notes") is None and report.get("Customer", "internalNote") is None
    assert report.sampled_models == {"Customer": 10}
    assert '"category": "phone"' in report.to_json()
    assert all("user0@example.com" not in e.evidence for e in report)
