"""Anchors: the chain head recorded outside the trail, so that losing the trail's tail is detectable.

The hash chain catches edits, deletions in the middle and reordering, but not a
trail cut short: a prefix of a valid chain is itself valid. So the writer
periodically publishes an `Anchor` — (chain, sink, seq, hash of the event at
that seq, time) — to a second store (`prisma_infra.audit.anchor_stores`), and
verification checks the trail against the latest one: a trail that ends before
the anchored seq, or holds a different event there, or is empty while an anchor
says otherwise, fails.

An anchor is signed with HMAC-SHA256 under ``audit.hash_key`` when one is set
(``alg: "hmac-sha256"``); without a key it carries a plain SHA-256 of its content
(``alg: "sha256"``), which catches corruption but not forgery. The algorithm is
part of the signed content, so an anchor cannot be downgraded to ``sha256``
without the verifier noticing: a keyed verifier accepts only ``hmac-sha256``
anchors, and an unkeyed one meeting an ``hmac-sha256`` anchor asks for the key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

import orjson

from prisma_infra.audit.chain import Hasher, VerifyResult, _aiter, verify_events

__all__ = ["KEYED", "UNKEYED", "Anchor", "AnchorPublisher", "AnchorStore", "latest_anchors", "verify_anchored"]

log = logging.getLogger("prisma_infra.audit")

KEYED = "hmac-sha256"
UNKEYED = "sha256"
_SIGNED = ("chain", "sink", "seq", "hash", "time", "alg")


@dataclass(frozen=True, slots=True)
class Anchor:
    """The head of one chain as one sink held it, at ``time`` (ISO, UTC)."""

    chain: str
    sink: str
    seq: int
    hash: str
    time: str
    alg: str = UNKEYED
    sig: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.chain, self.sink

    def content(self) -> bytes:
        """The signed bytes: every field but ``sig`` (``alg`` included), as sorted-key compact JSON."""
        return orjson.dumps({name: getattr(self, name) for name in _SIGNED}, option=orjson.OPT_SORT_KEYS)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, Any]) -> Anchor | None:
        """The anchor ``data`` holds, or ``None`` when it is not one (unreadable, fields missing)."""
        try:
            raw = data if isinstance(data, Mapping) else orjson.loads(data)
            seq = raw["seq"]
            if not isinstance(seq, int) or isinstance(seq, bool):
                return None
            return cls(
                chain=str(raw["chain"]), sink=str(raw["sink"]), seq=seq, hash=str(raw["hash"]),
                time=str(raw["time"]), alg=str(raw["alg"]), sig=str(raw["sig"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None


def sign(chain: str, sink: str, seq: int, digest: str, hasher: Hasher, *, now: float | None = None) -> Anchor:
    """An anchor for (chain, sink) at (seq, digest), signed with the hasher's key when it has one."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    unsigned = Anchor(chain, sink, seq, digest, stamp, KEYED if hasher.keyed else UNKEYED)
    return Anchor(chain, sink, seq, digest, stamp, unsigned.alg, hasher.mac(unsigned.content()))


def check_signature(anchor: Anchor, hasher: Hasher) -> str:
    """``""`` when the anchor is authentic for this hasher, else why not (``"key"``: the key is needed)."""
    matches = hmac.compare_digest(hasher.mac(anchor.content()), anchor.sig)
    if not hasher.keyed:
        if anchor.alg == KEYED:
            return "key"
        if anchor.alg != UNKEYED or not matches:
            return "its checksum does not match its content (the anchor was altered)"
        return ""
    if anchor.alg != KEYED:
        return f"it is not signed with the audit key (alg {anchor.alg!r}): a forged anchor"
    if not matches:
        return "its signature does not match (a forged or altered anchor)"
    return ""


@runtime_checkable
class AnchorStore(Protocol):
    """Where anchors go: a second sink, apart from the trail (see `prisma_infra.audit.anchor_stores`)."""

    async def start(self) -> None: ...

    async def publish(self, anchor: Anchor) -> None:
        """Store ``anchor``; it becomes the latest one of its (chain, sink)."""

    async def latest(self) -> list[Anchor]:
        """The latest anchor of every (chain, sink), as stored (unverified; unreadable ones left out)."""

    async def close(self) -> None: ...


def latest_anchors(anchors: Iterable[Anchor]) -> dict[tuple[str, str], Anchor]:
    """The last of ``anchors`` (in order) per (chain, sink)."""
    found: dict[tuple[str, str], Anchor] = {}
    for anchor in anchors:
        found[anchor.key] = anchor
    return found


class AnchorPublisher:
    """The writer's side: publishes anchors every ``every_events`` events and/or ``every_seconds``, and on close.

    With ``every_seconds``, a timer also anchors events written since the last anchor once that
    time has passed, so a quiet trail's last events do not stay unanchored. Publishing never
    fails a write: a store that raises is logged and tried again at the next anchor.
    """

    def __init__(
        self,
        store: AnchorStore,
        *,
        every_events: int | None = None,
        every_seconds: float | None = None,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        settings: Any = None,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.every_events = every_events
        self.every_seconds = every_seconds
        self.settings = settings
        """The settings it was built from (a reload with other settings replaces it)."""
        self._clock = clock
        self._since = 0
        self._last = clock()
        self._published: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._started = False
        self._timer: asyncio.Task[None] | None = None
        self.failures = 0
        self.last_error: str | None = None

    async def start(self) -> None:
        """Start the store (again, after it failed to)."""
        if not self._started:
            await asyncio.wait_for(self.store.start(), self.timeout)
            self._started = True

    def start_timer(self, publish: Callable[[], Awaitable[None]]) -> None:
        """Run ``publish`` every ``every_seconds`` while events wait for their anchor."""
        if self.every_seconds is not None and self._timer is None:
            self._timer = asyncio.create_task(self._tick(publish, self.every_seconds), name="prisma-infra-audit-anchor")

    async def _tick(self, publish: Callable[[], Awaitable[None]], seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)  # a period, not a synchronisation
            if self._since:
                try:
                    await publish()
                except Exception:  # pragma: no cover - publish logs store failures itself
                    log.exception("the audit anchor timer failed")

    async def close(self) -> None:
        self._started = False
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        try:
            await asyncio.wait_for(self.store.close(), self.timeout)
        except Exception as exc:
            log.warning("the audit anchor store failed to close: %s", exc)

    async def latest(self) -> list[Anchor]:
        """The store's latest anchors (`AnchorStore.latest`); raises when the store cannot be read."""
        await self.start()
        return await asyncio.wait_for(self.store.latest(), self.timeout)

    async def chain_head(self, chain: str, hasher: Hasher) -> tuple[int, str] | None:
        """The highest authentic anchor of ``chain`` (any sink): the chain never restarts below it."""
        try:
            anchors = await self.latest()
        except Exception as exc:
            log.warning("could not read the audit anchors: %s", exc)
            return None
        best: Anchor | None = None
        for anchor in anchors:
            if anchor.chain != chain:
                continue
            if check_signature(anchor, hasher):
                log.warning("audit anchor of chain %r, sink %r is not authentic: ignored", chain, anchor.sink)
                continue
            if best is None or anchor.seq > best.seq:
                best = anchor
        return (best.seq, best.hash) if best is not None else None

    def due(self, new_events: int) -> bool:
        """Count ``new_events``; whether an anchor is due now."""
        self._since += new_events
        if not self._since:
            return False
        if self.every_events is not None and self._since >= self.every_events:
            return True
        return self.every_seconds is not None and self._clock() - self._last >= self.every_seconds

    async def publish(self, chain: str, heads: Mapping[str, tuple[int, str]], hasher: Hasher) -> int:
        """Anchor each sink's head (sink → (seq, hash)) that moved since its last anchor; returns how many."""
        self._since, self._last = 0, self._clock()
        count = 0
        async with self._lock:  # the timer and the writer: one at a time, never an older head after a newer one
            for sink, (seq, digest) in heads.items():
                if seq <= self._published.get(sink, 0):
                    continue
                try:
                    await self.start()
                    await asyncio.wait_for(self.store.publish(sign(chain, sink, seq, digest, hasher)), self.timeout)
                except Exception as exc:
                    self.failures += 1
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("could not publish the audit anchor of sink %r: %s", sink, self.last_error)
                    continue
                self._published[sink] = seq
                count += 1
        return count


async def verify_anchored(
    events: AsyncIterable[Mapping[str, Any]] | Iterable[Mapping[str, Any]],
    hasher: Hasher,
    anchors: Sequence[Anchor],
    *,
    sink: str,
    expected_heads: Mapping[str, tuple[int, str]] | None = None,
    allow_truncated_start: bool = False,
) -> VerifyResult:
    """`verify_events`, then check the trail against the latest anchor of each chain of ``sink``."""
    mine = [a for a in latest_anchors(anchors).values() if a.sink == sink]
    for anchor in mine:
        problem = check_signature(anchor, hasher)
        if problem == "key":
            return _needs_key(f"the anchor of chain {anchor.chain!r} is signed with the audit key")
        if problem:
            return _failed(anchor, anchor.seq, f"the anchor of {anchor.time} is not trustworthy: {problem}")
    wanted = {a.chain: a.seq for a in mine}
    seen: dict[str, tuple[int, str]] = {}
    at_anchor: dict[str, str] = {}

    async def watched() -> AsyncIterator[Mapping[str, Any]]:
        stream = events if isinstance(events, AsyncIterable) else _aiter(events)
        async for event in stream:
            chain, seq = str(event.get("chain") or ""), event.get("seq")
            if isinstance(seq, int):
                seen[chain] = (seq, str(event.get("hash")))
                if wanted.get(chain) == seq:
                    at_anchor[chain] = str(event.get("hash"))
            yield event

    result = await verify_events(
        watched(), hasher, expected_heads=expected_heads, allow_truncated_start=allow_truncated_start
    )
    if not result.ok:
        return result
    for anchor in sorted(mine, key=lambda a: a.chain):
        if anchor.seq <= 0:
            continue  # an anchor of an empty chain asks for nothing
        last = seen.get(anchor.chain, (0, ""))[0]
        if last < anchor.seq:
            if last == 0:
                reason = (f"the trail holds no event of chain {anchor.chain!r} but the anchor of {anchor.time} "
                          f"records seq {anchor.seq} (the trail was emptied or removed)")
            else:
                reason = (f"the trail ends at seq {last} but the anchor of {anchor.time} records seq "
                          f"{anchor.seq} (the last events were deleted)")
            return _failed(anchor, last + 1, reason, result)
        if at_anchor.get(anchor.chain) != anchor.hash:
            return _failed(anchor, anchor.seq, f"the event at seq {anchor.seq} is not the one anchored at "
                                               f"{anchor.time} (the trail was replaced)", result)
    result.anchored = {a.chain: a.seq for a in mine}
    return result


def _failed(anchor: Anchor, seq: int, reason: str, base: VerifyResult | None = None) -> VerifyResult:
    result = base or VerifyResult()
    result.ok = False
    result.first_bad = {"chain": anchor.chain, "seq": seq, "id": None}
    result.position = None
    result.reason = reason
    return result


def _needs_key(why: str) -> VerifyResult:
    return VerifyResult(ok=False, needs_key=True, reason=why)
