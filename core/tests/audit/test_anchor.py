"""Anchors: signing, checking a trail's tail against them, the writer publishing them, ``audit.anchor`` settings."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest
from prisma_infra.audit.anchor import KEYED, UNKEYED, AnchorPublisher, check_signature, sign, verify_anchored
from prisma_infra.audit.anchor_stores import FileAnchorStore
from prisma_infra.audit.chain import ChainHead, Hasher
from prisma_infra.audit.events import make_event
from prisma_infra.audit.file_sink import FileSink, iter_trail
from prisma_infra.audit.writer import AuditWriter
from prisma_infra.config.loader import load_config
from prisma_infra.errors import ConfigurationError

KEY = Hasher("s3cret")


def chained(count: int, hasher: Hasher) -> list[dict[str, Any]]:
    head = ChainHead()
    return [
        head.link(make_event(model="User", action="update", record_id={"id": i}, after={"n": i}), "default", hasher)
        for i in range(count)
    ]


def anchor_at(events: list[dict[str, Any]], seq: int, hasher: Hasher) -> Any:
    return sign("default", "file", seq, events[seq - 1]["hash"], hasher)


# -- signatures ---------------------------------------------------------------------------------


def test_anchors_are_signed_with_the_audit_key_and_the_algorithm_is_signed_too() -> None:
    keyed = sign("default", "file", 3, "a" * 64, KEY)
    plain = sign("default", "file", 3, "a" * 64, Hasher())
    assert (keyed.alg, plain.alg) == (KEYED, UNKEYED) and keyed.sig != plain.sig
    assert check_signature(keyed, KEY) == "" and check_signature(plain, Hasher()) == ""
    # forged without the key: an unkeyed anchor, or a keyed one with another key, or an edited seq
    assert "forged" in check_signature(plain, KEY)
    assert "forged" in check_signature(sign("default", "file", 3, "a" * 64, Hasher("guess")), KEY)
    assert "forged" in check_signature(dataclasses.replace(keyed, seq=2), KEY)
    # downgrade: relabelling a keyed anchor as sha256 breaks its checksum
    assert "altered" in check_signature(dataclasses.replace(keyed, alg=UNKEYED), Hasher())
    assert check_signature(keyed, Hasher()) == "key"


# -- verification -------------------------------------------------------------------------------


async def test_a_trail_cut_short_fails_naming_the_missing_seq() -> None:
    events = chained(6, Hasher())
    anchor = anchor_at(events, 6, Hasher())
    intact = await verify_anchored(events, Hasher(), [anchor], sink="file")
    assert intact.ok and intact.anchored == {"default": 6} and "matches its anchor" in intact.describe()
    cut = await verify_anchored(events[:4], Hasher(), [anchor], sink="file")
    assert not cut.ok and cut.first_bad == {"chain": "default", "seq": 5, "id": None}
    assert "ends at seq 4" in cut.reason and "seq 6" in cut.reason
    assert "seq 5" in cut.describe()


async def test_a_trail_longer_than_its_anchor_is_fine_and_only_the_latest_anchor_counts() -> None:
    events = chained(8, Hasher())
    older, newer = anchor_at(events, 7, Hasher()), anchor_at(events, 3, Hasher())
    assert (await verify_anchored(events, Hasher(), [older, newer], sink="file")).anchored == {"default": 3}
    # an anchor of another sink is not this trail's
    other = dataclasses.replace(sign("default", "database", 99, "b" * 64, Hasher()))
    assert (await verify_anchored(events, Hasher(), [other], sink="file")).ok


async def test_an_empty_or_missing_trail_with_an_anchor_fails(tmp_path: Path) -> None:
    anchor = anchor_at(chained(2, Hasher()), 2, Hasher())
    trails: list[Iterable[dict[str, Any]]] = [[], iter_trail(tmp_path / "absent.jsonl")]
    for trail in trails:
        result = await verify_anchored(trail, Hasher(), [anchor], sink="file")
        assert not result.ok and "holds no event" in result.reason and "emptied or removed" in result.reason
    assert (await verify_anchored([], Hasher(), [], sink="file")).ok


async def test_a_replaced_trail_of_the_same_length_fails_at_the_anchored_seq() -> None:
    events, other = chained(4, Hasher()), chained(5, Hasher())  # same shape, other ids and times
    result = await verify_anchored(other, Hasher(), [anchor_at(events, 4, Hasher())], sink="file")
    assert not result.ok and result.first_bad is not None and result.first_bad["seq"] == 4
    assert "not the one anchored" in result.reason


async def test_a_forged_anchor_fails_when_the_trail_is_keyed() -> None:
    events = chained(3, KEY)
    forged = sign("default", "file", 2, events[1]["hash"], Hasher())  # written without the key
    result = await verify_anchored(events, KEY, [forged], sink="file")
    assert not result.ok and not result.needs_key and "not trustworthy" in result.reason
    assert (await verify_anchored(events, KEY, [anchor_at(events, 3, KEY)], sink="file")).ok


async def test_a_keyed_trail_without_the_key_asks_for_it() -> None:
    events = chained(3, KEY)
    for anchors in ([], [anchor_at(events, 3, KEY)]):
        result = await verify_anchored(events, Hasher(), anchors, sink="file")
        assert not result.ok and result.needs_key
        assert "--key" in result.describe() and "edited" not in result.describe()


async def test_an_unkeyed_trail_whose_first_event_was_edited_is_reported_as_edited() -> None:
    events = chained(3, Hasher())
    events[0]["after"] = {"n": 100}
    result = await verify_anchored(events, Hasher(), [], sink="file")
    assert not result.ok and not result.needs_key and "edited" in result.reason and result.position == 0


# -- publishing ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_anchor_is_due_by_event_count_or_by_time() -> None:
    clock = Clock()
    by_count = AnchorPublisher(FileAnchorStore("unused"), every_events=3, clock=clock)
    assert not by_count.due(2) and by_count.due(1)
    by_time = AnchorPublisher(FileAnchorStore("unused"), every_seconds=10, clock=clock)
    assert not by_time.due(0) and not by_time.due(5)
    clock.now = 10.0
    assert by_time.due(0) and not AnchorPublisher(FileAnchorStore("unused"), every_seconds=1, clock=clock).due(0)


async def _write(tmp_path: Path, count: int, *, buffer: str = "buffer", every: int = 2) -> AuditWriter:
    writer = AuditWriter(
        {"file": FileSink({"path": str(tmp_path / "audit.jsonl"), "fsync": "always"})},
        buffer_dir=tmp_path / buffer,
        hasher=KEY,
        anchor=AnchorPublisher(FileAnchorStore(tmp_path / "anchors.jsonl"), every_events=every),
    )
    await writer.start()
    for i in range(count):
        await writer.submit([make_event(model="User", action="create", record_id={"id": i})])
    await writer.close()
    return writer


async def test_the_writer_anchors_periodically_and_on_close(tmp_path: Path) -> None:
    await _write(tmp_path, 5)
    lines = [orjson.loads(line) for line in (tmp_path / "anchors.jsonl").read_bytes().splitlines()]
    assert [a["seq"] for a in lines] == [2, 4, 5] and {a["alg"] for a in lines} == {KEYED}
    anchors = await FileAnchorStore(tmp_path / "anchors.jsonl").latest()
    assert [(a.sink, a.seq) for a in anchors] == [("file", 5)]
    assert (await verify_anchored(iter_trail(tmp_path / "audit.jsonl"), KEY, anchors, sink="file")).ok


async def test_a_cut_trail_does_not_restart_the_chain_below_its_anchor(tmp_path: Path) -> None:
    await _write(tmp_path, 4)
    trail = tmp_path / "audit.jsonl"
    trail.write_bytes(b"".join(trail.read_bytes().splitlines(keepends=True)[:2]))
    # a new process with a fresh buffer folder (no head file): the anchor still holds seq 4
    await _write(tmp_path, 1, buffer="other-buffer")
    assert [e["seq"] for e in iter_trail(trail)] == [1, 2, 5]
    anchors = await FileAnchorStore(tmp_path / "anchors.jsonl").latest()
    result = await verify_anchored(iter_trail(trail), KEY, anchors, sink="file")
    assert not result.ok and "deleted" in result.reason


# -- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "named"),
    [
        ({"store": "disk"}, "audit.anchor.store"),
        ({"store": "database", "location": "Audit Anchor"}, "audit.anchor"),
        ({"store": "nats", "location": "audit.>"}, "audit.anchor"),
        ({"store": "file", "every_events": None, "every_seconds": None}, "audit.anchor"),
        ({"store": "file", "every_events": 0}, "audit.anchor.every_events"),
    ],
)
def test_invalid_anchor_settings_are_configuration_errors_naming_the_setting(
    anchor: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config(None, overrides={"audit": {"anchor": anchor}}, env={})
    assert named in str(caught.value)


def test_anchor_settings_default_their_location_and_are_off_by_default() -> None:
    assert load_config(None, env={}).config.audit.anchor.store is None
    config = load_config(None, overrides={"audit": {"anchor": {"store": "redis"}}}, env={}).config.audit.anchor
    assert config.where == "prisma-infra:audit:anchors" and config.every_events == 1000


class BrokenStore(FileAnchorStore):
    async def publish(self, anchor: Any) -> None:
        raise OSError("anchor disk full")


async def test_an_anchor_store_that_fails_never_fails_a_write(tmp_path: Path) -> None:
    publisher = AnchorPublisher(BrokenStore(tmp_path / "anchors.jsonl"), every_events=1)
    writer = AuditWriter({"file": FileSink({"path": str(tmp_path / "audit.jsonl")})}, buffer_dir=tmp_path / "b",
                         anchor=publisher)
    await writer.start()
    await writer.submit([make_event(model="User", action="create", record_id={"id": 1})])
    await writer.close()
    assert [e["seq"] for e in iter_trail(tmp_path / "audit.jsonl")] == [1]
    assert publisher.failures == 2 and publisher.last_error == "OSError: anchor disk full"  # after the write, on close


async def test_a_reload_that_changes_audit_anchor_moves_the_anchors(tmp_path: Path) -> None:
    from core.tests.audit.audit_doubles import audit_infrastructure

    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    infra = audit_infrastructure(tmp_path)
    async with infra:
        await infra.configure({"audit": {"anchor": {"store": "file", "location": str(first)}}})
        users = infra.repository("User")
        await users.create({"email": "a@example.com"})
        await infra.configure({"audit": {"anchor": {"store": "file", "location": str(second)}}})
        assert [(a.sink, a.seq) for a in await FileAnchorStore(first).latest()] == [("file", 1)]
        await users.create({"email": "b@example.com"})
    assert [(a.sink, a.seq) for a in await FileAnchorStore(second).latest()] == [("file", 2)]
    result = await verify_anchored(iter_trail(tmp_path / "audit.jsonl"), Hasher(),
                                   await FileAnchorStore(second).latest(), sink="file")
    assert result.ok and result.anchored == {"default": 2}


class SignallingStore(FileAnchorStore):
    """Sets ``published`` at each anchor; fails to start while ``down``."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.published = asyncio.Event()
        self.down = False

    async def start(self) -> None:
        if self.down:
            raise OSError("anchor store unreachable")
        await super().start()

    async def publish(self, anchor: Any) -> None:
        await super().publish(anchor)
        self.published.set()


async def test_the_timer_anchors_a_trail_that_went_quiet(tmp_path: Path) -> None:
    store = SignallingStore(tmp_path / "anchors.jsonl")
    frozen = AnchorPublisher(store, every_events=None, every_seconds=0.01, clock=lambda: 0.0)  # writes never due
    writer = AuditWriter({"file": FileSink({"path": str(tmp_path / "audit.jsonl")})}, buffer_dir=tmp_path / "b",
                         anchor=frozen)
    await writer.start()
    await writer.submit([make_event(model="User", action="create", record_id={"id": 1})])
    await asyncio.wait_for(store.published.wait(), 10)
    assert [a.seq for a in await store.latest()] == [1]
    await writer.close()


async def test_a_store_that_did_not_start_is_started_at_the_next_anchor(tmp_path: Path) -> None:
    store = SignallingStore(tmp_path / "anchors.jsonl")
    store.down = True
    publisher = AnchorPublisher(store, every_events=1)
    writer = AuditWriter({"file": FileSink({"path": str(tmp_path / "audit.jsonl")})}, buffer_dir=tmp_path / "b",
                         anchor=publisher)
    await writer.start()
    try:
        await writer.submit([make_event(model="User", action="create", record_id={"id": 1})])
        await writer.flush()  # anchors are published after the emitters are released
        assert publisher.failures == 1 and not store.published.is_set()
        store.down = False
        await writer.submit([make_event(model="User", action="create", record_id={"id": 2})])
        await writer.flush()
        assert [a.seq for a in await store.latest()] == [2]
    finally:
        await writer.close()
