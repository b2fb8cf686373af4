"""`make demo`'s audit section: the trail of the demo's writes, verified, then a tampered copy caught."""

from __future__ import annotations

import pytest

from tests.examples.demo_run import TourRun

pytestmark = pytest.mark.integration

EXPECTED = [("User", "create"), ("User", "update"), ("Post", "create"), ("Post", "update"), ("Post", "delete")]


def test_the_demo_writes_are_in_the_trail(tour: TourRun) -> None:
    audit = tour.section("audit")
    by_model = audit["demo_events_by_model"]
    # The seed's bulk writes are audited row by row: 400 users (+ Grace), 6,000 comments, every post.
    assert by_model["User"] >= 401 and by_model["Comment"] >= 6000 and by_model["Post"] >= 2000
    assert audit["demo_events"] == sum(by_model.values())
    assert "Audit trail" in tour.output and f"events of the demo's writes so far: {audit['demo_events']}" in tour.output


def test_the_sections_writes_have_a_named_actor_and_masked_images(tour: TourRun) -> None:
    audit = tour.section("audit")
    events = audit["events"]
    assert [(e["model"], e["action"]) for e in events] == EXPECTED
    assert {e["actor"] for e in events} == {"editor-ada"} and {e["request_id"] for e in events} == {"tour-audit-1"}
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + 5)) and seqs[0] == audit["demo_events"] + 1
    created, updated, post_created, post_updated, post_deleted = events
    assert created["before"] is None and post_deleted["after"] is None
    assert post_created["after"]["authorId"] == created["after"]["id"] == int(created["record_key"])
    assert updated["diff"]["role"] == {"from": "READER", "to": "AUTHOR"}
    assert updated["diff"]["karma"] == {"from": 0, "to": 1843}
    assert post_updated["diff"]["status"] == {"from": "DRAFT", "to": "PUBLISHED"}
    assert post_deleted["before"]["title"] == "Notes on the Analytical Engine"
    assert audit["history_actions"] == ["create", "update"]
    # PII: the e-mail (and the name) are masked in before/after by the pii feature.
    assert audit["masked_email"] == "a***@example.com" != audit["email"]
    for event in (created, updated):
        for image in (event["before"], event["after"]):
            if image is not None:
                assert image["email"] == "a***@example.com" and image["name"] != "Ada Lovelace"
    assert "editor-ada" in tour.output and "a***@example.com" in tour.output


def test_the_trail_verifies_in_process_and_with_the_command(tour: TourRun) -> None:
    audit = tour.section("audit")
    total = audit["trail_events"]
    assert total == audit["demo_events"] + 5
    assert audit["verify"]["ok"] is True and audit["verify"]["checked"] == total
    assert audit["cli_verify"]["returncode"] == 0
    assert audit["cli_verify"]["output"] == f"audit trail OK: {total} events verified (default: {total})"
    assert audit["cli_verify"]["output"] in tour.output


def test_the_tampered_copy_names_the_edited_event(tour: TourRun) -> None:
    audit = tour.section("audit")
    tampered = audit["tampered"]
    updated = audit["events"][1]
    assert tampered["id"] == updated["id"] and tampered["seq"] == updated["seq"]
    assert tampered["returncode"] == 1
    assert tampered["named_id"] == tampered["id"]
    assert tampered["named_seq"] == tampered["seq"]
    assert tampered["named_position"] == tampered["position"] == tampered["seq"] - 1
    assert "the event was edited" in tampered["message"]
    assert f"BROKEN at event {tampered['id']}" in " ".join(tour.output.split())
