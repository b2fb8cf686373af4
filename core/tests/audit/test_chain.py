"""Events and the hash chain: canonical form, linking, and tamper detection (edit, delete, reorder)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from prisma_infra.audit.chain import GENESIS, ChainHead, Hasher, canonical, verify_events
from prisma_infra.audit.events import diff, json_safe, make_event, parse_time, record_key


def chained(count: int, hasher: Hasher | None = None, chain: str = "default") -> list[dict[str, Any]]:
    hasher = hasher or Hasher()
    head = ChainHead()
    return [
        head.link(make_event(model="User", action="update", record_id={"id": i}, after={"n": i}), chain, hasher)
        for i in range(count)
    ]


def test_json_safe_normalises_values_json_cannot_carry() -> None:
    value = {
        "at": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC),
        "price": Decimal("1.50"),
        "blob": b"\x00\x01",
        "big": 2**70,
        "list": (1, 2),
    }
    assert json_safe(value) == {
        "at": "2024-05-01T12:00:00.000000Z",
        "price": "1.50",
        "blob": "base64:AAE=",
        "big": str(2**70),
        "list": [1, 2],
    }


def test_diff_and_record_key() -> None:
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": {"from": 2, "to": 3}, "c": {"from": None, "to": 4}}
    assert record_key({"id": 5}) == "5"
    assert record_key({"id": "abc"}) == "abc"
    assert record_key({"b": 2, "a": 1}) == '{"a":1,"b":2}'
    assert record_key(None) is None


def test_parse_time_accepts_dates_datetimes_and_iso_strings() -> None:
    assert parse_time("2024-01-02") == "2024-01-02T00:00:00.000000Z"
    assert parse_time("2024-01-02T03:04:05Z") == "2024-01-02T03:04:05.000000Z"
    assert parse_time(dt.date(2024, 1, 2)) == "2024-01-02T00:00:00.000000Z"
    assert parse_time(None) is None


def test_linking_sets_seq_prev_hash_and_hash() -> None:
    events = chained(3)
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["prev_hash"] == GENESIS
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert Hasher().digest(events[2]) == events[2]["hash"]
    assert b'"hash"' not in canonical(events[2])


async def test_an_intact_chain_verifies() -> None:
    result = await verify_events(chained(5), Hasher())
    assert result.ok and result.checked == 5 and result.chains == {"default": 5}
    assert "OK" in result.describe()


async def test_an_edited_event_is_named() -> None:
    events = chained(5)
    events[2]["after"] = {"n": 999}
    result = await verify_events(events, Hasher())
    assert not result.ok
    assert result.first_bad is not None and result.first_bad["id"] == events[2]["id"]
    assert result.position == 2 and "edited" in result.reason


async def test_an_edited_event_with_a_recomputed_hash_breaks_the_next_link() -> None:
    events = chained(5)
    events[2]["after"] = {"n": 999}
    events[2]["hash"] = Hasher().digest(events[2])
    result = await verify_events(events, Hasher())
    assert not result.ok and result.first_bad is not None
    assert result.first_bad["id"] == events[3]["id"] and "does not link" in result.reason


async def test_a_deleted_event_is_detected_at_the_next_one() -> None:
    events = chained(5)
    removed = events.pop(2)
    result = await verify_events(events, Hasher())
    assert not result.ok and result.first_bad is not None
    assert result.first_bad["id"] == events[2]["id"] and result.first_bad["seq"] == removed["seq"] + 1
    assert "deleted" in result.reason


async def test_deleting_the_first_event_is_detected() -> None:
    result = await verify_events(chained(3)[1:], Hasher())
    assert not result.ok and "starts at seq 2" in result.reason
    assert (await verify_events(chained(3)[1:], Hasher(), allow_truncated_start=True)).ok


async def test_deleting_the_last_events_is_detected_with_the_recorded_head() -> None:
    events = chained(4)
    head = {"default": (events[-1]["seq"], events[-1]["hash"])}
    assert (await verify_events(events, Hasher(), expected_heads=head)).ok
    result = await verify_events(events[:-1], Hasher(), expected_heads=head)
    assert not result.ok and "last events were deleted" in result.reason


async def test_reordered_events_are_detected() -> None:
    events = chained(5)
    events[1], events[3] = events[3], events[1]
    result = await verify_events(events, Hasher())
    assert not result.ok and result.first_bad is not None
    assert result.first_bad["id"] == events[1]["id"] and result.position == 1


async def test_a_keyed_chain_cannot_be_verified_or_forged_without_the_key() -> None:
    keyed = Hasher("s3cret")
    events = chained(3, keyed)
    assert (await verify_events(events, keyed)).ok
    assert not (await verify_events(events, Hasher())).ok
    assert not (await verify_events(events, Hasher("other"))).ok


async def test_chains_are_checked_independently() -> None:
    a, b = chained(2, chain="a"), chained(3, chain="b")
    result = await verify_events([a[0], b[0], b[1], a[1], b[2]], Hasher())
    assert result.ok and result.chains == {"a": 2, "b": 3}
