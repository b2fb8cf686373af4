"""The demo's PII section: the schema's PII inventory, and one user masked for a READER, clear for ADMIN."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.examples.demo_run import TourRun

pytestmark = pytest.mark.integration


def _pii(tour: TourRun) -> dict[str, Any]:
    return tour.section("pii")


def _entry(facts: dict[str, Any], model: str, field: str) -> dict[str, Any]:
    found = [e for e in facts["inventory"] if (e["model"], e["field"]) == (model, field)]
    assert len(found) == 1, facts["inventory"]
    entry: dict[str, Any] = found[0]
    return entry


def test_inventory_classifies_the_users_email_and_name(tour: TourRun) -> None:
    facts = _pii(tour)
    email = _entry(facts, "User", "email")
    assert email["category"] == "email"
    assert email["source"] == "schema+values"  # the name says so and every sampled value agrees
    assert email["confidence"] >= 0.99 > email["schema_confidence"]
    assert email["sampled"] == email["matched"] == 200
    name = _entry(facts, "User", "name")
    assert name["category"] == "person_name"
    assert name["source"] == "schema+values"
    assert name["confidence"] > name["schema_confidence"]
    assert name["sampled"] == 200 and name["matched"] >= 150  # Faker's names in four locales, most known
    # Titles, slugs, bodies, comments and tags of the same sample are not taken for personal data.
    assert {(e["model"], e["field"]) for e in facts["inventory"]} == {("User", "email"), ("User", "name")}
    assert facts["sampled_models"]["Post"] == 200 and facts["sampled_models"]["Comment"] == 200
    assert facts["errors"] == {}
    # The evidence shows an example, masked, never a sampled value.
    assert "e.g. " in email["evidence"] and "***@" in email["evidence"]
    assert facts["field_categories"] == {"email": "email", "name": "person_name"}


def test_reader_sees_the_record_masked(tour: TourRun) -> None:
    facts = _pii(tour)
    clear, masked = facts["admin_view"], facts["reader_view"]
    assert facts["reader_id"] != facts["record_id"]
    assert masked["id"] == clear["id"] == str(facts["record_id"]) and masked["role"] == clear["role"]
    local, _, domain = clear["email"].partition("@")
    assert masked["email"] != clear["email"]
    assert masked["email"] == f"{local[0]}***@{domain}"  # the local part is hidden, the domain kept
    assert local not in masked["email"] and len(local) > 3
    assert masked["name"] != clear["name"]
    for part in clear["name"].split():
        assert part not in masked["name"] and f"{part[0]}***" in masked["name"]
    # Neither the record nor the log line the READER could see carries the clear values.
    seen_by_reader = " ".join(masked.values()) + " " + facts["log_line"]
    assert clear["email"] not in seen_by_reader and clear["name"] not in seen_by_reader
    assert masked["email"] in facts["log_line"]
    # Even ADMIN's audit view is masked: pii.reveal_roles reveal results and exports only.
    assert facts["admin_audit_view"]["email"] == masked["email"]


def test_admin_sees_the_stored_values(tour: TourRun) -> None:
    facts = _pii(tour)
    database = next(tour.folder.rglob("blog.db"))
    with sqlite3.connect(database) as db:
        (email,) = db.execute('SELECT email FROM "User" WHERE id = ?', (facts["record_id"],)).fetchone()
    assert facts["admin_view"]["email"] == email


def test_the_section_is_printed(tour: TourRun) -> None:
    facts = _pii(tour)
    text = tour.output
    assert "PII: the inventory and masking" in text
    email = next(e for e in facts["inventory"] if e["field"] == "email")
    assert "User.email" in text and "schema+values" in text and f"{email['confidence']:.3f}" in text
    assert facts["reader_view"]["email"] in text and facts["reader_view"]["name"] in text
    assert f"log line: {facts['log_line']}" in text
