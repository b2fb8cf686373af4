"""The hash chain: each event's hash covers its content and the previous event's hash.

``hash = sha256(canonical(event without "hash"))``, or HMAC-SHA256 with
``audit.hash_key`` when one is set (then only holders of the key can forge a
chain). ``canonical`` is JSON with sorted keys and no whitespace (orjson), and
the hashed content includes ``prev_hash``, ``seq`` and ``chain``. So:

* editing an event changes its hash → the recomputed hash differs;
* deleting an event leaves a ``seq`` gap and a ``prev_hash`` that points at
  nothing that precedes it;
* reordering puts an event after one whose hash it does not carry.

`verify_events` walks events in trail order and names the first bad one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["GENESIS", "ChainHead", "Hasher", "VerifyResult", "canonical", "verify_events"]

#: Events read past a first mismatch to tell a keyed trail (none matches) from an edited one.
_KEY_PROBE = 16

#: ``prev_hash`` of the first event of a chain.
GENESIS = "0" * 64


def canonical(event: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed: the event without ``hash``, as sorted-key compact JSON."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


class Hasher:
    """Computes event hashes (SHA-256, or HMAC-SHA256 with a key)."""

    def __init__(self, key: str | bytes | None = None) -> None:
        self._key = key.encode() if isinstance(key, str) else key

    @property
    def keyed(self) -> bool:
        return self._key is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hasher) and hmac.compare_digest(self._key or b"", other._key or b"") and (
            self.keyed == other.keyed
        )

    def __hash__(self) -> int:
        return hash(self.keyed)

    def digest(self, event: Mapping[str, Any]) -> str:
        return self.mac(canonical(event))

    def mac(self, data: bytes) -> str:
        """HMAC-SHA256 of ``data`` under the key, or its SHA-256 without one (hex)."""
        if self._key is not None:
            return hmac.new(self._key, data, hashlib.sha256).hexdigest()
        return hashlib.sha256(data).hexdigest()


@dataclass(slots=True)
class ChainHead:
    """The last event of a chain: where the next event links to."""

    seq: int = 0
    hash: str = GENESIS

    def link(self, event: dict[str, Any], chain: str, hasher: Hasher) -> dict[str, Any]:
        """Give ``event`` its chain fields (in place) and advance the head."""
        self.seq += 1
        event["seq"] = self.seq
        event["chain"] = chain
        event["prev_hash"] = self.hash
        event.pop("hash", None)
        event["hash"] = self.hash = hasher.digest(event)
        return event

    def advance_to(self, seq: int, digest: str) -> None:
        if seq > self.seq:
            self.seq, self.hash = seq, digest


@dataclass(slots=True)
class VerifyResult:
    """The outcome of `verify_events`."""

    ok: bool = True
    checked: int = 0
    chains: dict[str, int] = field(default_factory=dict)
    """Chain name → events checked."""
    first_bad: dict[str, Any] | None = None
    """The first bad event (as read), when not ``ok``."""
    position: int | None = None
    """0-based position of the first bad event in the trail as read."""
    reason: str = ""
    needs_key: bool = False
    """The trail (or its anchor) is keyed and no key was given: nothing can be told about it."""
    anchored: dict[str, int] = field(default_factory=dict)
    """Chain → seq of the anchor the trail was checked against (`prisma_infra.audit.anchor`)."""

    def describe(self) -> str:
        if self.ok:
            chains = ", ".join(f"{name}: {n}" for name, n in sorted(self.chains.items())) or "no events"
            anchors = ", ".join(f"{name} at seq {n}" for name, n in sorted(self.anchored.items()))
            return f"audit trail OK: {self.checked} events verified ({chains})" + (
                f"; matches its anchor ({anchors})" if anchors else ""
            )
        if self.needs_key:
            return (
                f"audit trail NOT VERIFIED: {self.reason}, so the trail was written with audit.hash_key. "
                "Give the key (--key, PRISMA_INFRA_AUDIT_KEY or audit.hash_key) to verify it"
            )
        bad = self.first_bad or {}
        return (
            f"audit trail BROKEN at event {bad.get('id')} (seq {bad.get('seq')}, chain {bad.get('chain')!r}, "
            f"position {self.position}): {self.reason}"
        )


async def _aiter(events: Iterable[Mapping[str, Any]]) -> AsyncIterator[Mapping[str, Any]]:
    for event in events:
        yield event


async def _plain_hash_follows(stream: AsyncIterable[Mapping[str, Any]], hasher: Hasher) -> bool:
    """Whether one of the next events has a plain SHA-256 hash: then the trail is unkeyed and was edited."""
    count = 0
    async for event in stream:
        if hasher.digest(event) == event.get("hash"):
            return True
        count += 1
        if count >= _KEY_PROBE:
            break
    return False


async def verify_events(
    events: AsyncIterable[Mapping[str, Any]] | Iterable[Mapping[str, Any]],
    hasher: Hasher,
    *,
    expected_heads: Mapping[str, tuple[int, str]] | None = None,
    allow_truncated_start: bool = False,
) -> VerifyResult:
    """Check every event of a trail, in the order given; stop at the first bad one.

    :param expected_heads: chain → (seq, hash) of the last event the writer recorded; a trail that
        ends earlier lost its last events.
    :param allow_truncated_start: accept a chain whose first event is not seq 1 (older events were
        archived); its links are still checked from there on.
    """
    result = VerifyResult()
    heads: dict[str, tuple[int, str]] = {}
    stream = events if isinstance(events, AsyncIterable) else _aiter(events)
    position = -1
    async for event in stream:
        if (
            position == -1
            and not hasher.keyed
            and isinstance(event.get("seq"), int)
            and hasher.digest(event) != event.get("hash")
            and not await _plain_hash_follows(stream, hasher)
        ):
            return VerifyResult(ok=False, needs_key=True, reason="its events' hashes are not plain SHA-256")
        position += 1
        chain = str(event.get("chain") or "")
        seq = event.get("seq")
        reason = ""
        if not isinstance(seq, int):
            reason = "it has no sequence number"
        elif hasher.digest(event) != event.get("hash"):
            reason = "its content does not match its hash (the event was edited)"
        else:
            previous = heads.get(chain)
            if previous is None:
                if seq != 1 and not allow_truncated_start:
                    reason = f"the chain starts at seq {seq}, not 1 (events before it were deleted)"
                elif seq == 1 and event.get("prev_hash") != GENESIS:
                    reason = "the first event does not link to the chain's start"
            elif seq != previous[0] + 1:
                if seq <= previous[0]:
                    reason = f"seq {seq} comes after seq {previous[0]} (events were reordered or duplicated)"
                else:
                    missing = f"{previous[0] + 1}" if seq == previous[0] + 2 else f"{previous[0] + 1}..{seq - 1}"
                    reason = f"seq {seq} follows seq {previous[0]} (event {missing} was deleted, or events reordered)"
            elif event.get("prev_hash") != previous[1]:
                reason = "it does not link to the event before it (events were deleted or reordered)"
        if reason:
            result.ok = False
            result.first_bad = dict(event)
            result.position = position
            result.reason = reason
            return result
        assert isinstance(seq, int)
        heads[chain] = (seq, str(event["hash"]))
        result.checked += 1
        result.chains[chain] = result.chains.get(chain, 0) + 1
    for chain, (seq, digest) in (expected_heads or {}).items():
        found = heads.get(chain)
        if found is None or found[0] < seq:
            last = found[0] if found else 0
            result.ok = False
            result.first_bad = {"chain": chain, "seq": last + 1, "id": None}
            result.position = position + 1
            result.reason = (
                f"the trail ends at seq {last} but the writer recorded events up to seq {seq} "
                "(the last events were deleted)"
            )
            return result
        if found[0] == seq and found[1] != digest:
            result.ok = False
            result.first_bad = {"chain": chain, "seq": seq, "id": None}
            result.position = position
            result.reason = "the last event differs from the one the writer recorded"
            return result
    return result
