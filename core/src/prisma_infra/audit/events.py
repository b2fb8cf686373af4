"""Audit events: JSON-safe images, field-level diffs, record keys, and the event document.

An event is a plain dict (it travels to sinks as JSON) with these keys:

``id`` (uuid4 hex), ``seq`` and ``chain`` (position in the hash chain), ``time``
(UTC, ISO 8601 with microseconds), ``actor``, ``tenant``, ``request_id``,
``transaction``, ``operation_id``, ``model``, ``action``, ``record_id`` (the
primary-key fields and values), ``record_key`` (the same as one string, for
lookups), ``before``, ``after``, ``diff`` (``{field: {"from": old, "to": new}}``),
``details`` (action-specific extras), ``prev_hash`` and ``hash``.

Values are normalised once, when the event is built, to what JSON carries
without loss of meaning: ``datetime`` → ISO string, ``Decimal`` → string,
``bytes`` → ``"base64:..."``, integers beyond 64 bits → string. So the hash
computed before the event is written matches the one recomputed from what any
sink gives back.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson

from prisma_infra.actor import actor_id as identity

__all__ = [
    "EVENT_FIELDS",
    "Event",
    "actor_id",
    "diff",
    "json_safe",
    "make_event",
    "record_key",
    "utc_now",
]

#: An audit event as it travels to sinks.
Event = dict[str, Any]

#: Every key of an event, in display order (CSV columns).
EVENT_FIELDS: tuple[str, ...] = (
    "seq",
    "chain",
    "id",
    "time",
    "actor",
    "tenant",
    "request_id",
    "transaction",
    "operation_id",
    "model",
    "action",
    "record_id",
    "record_key",
    "before",
    "after",
    "diff",
    "details",
    "prev_hash",
    "hash",
)

_INT64 = 2**63


def utc_now() -> str:
    """The current time as the ISO 8601 UTC string events carry (sortable as text)."""
    return format_time(dt.datetime.now(dt.UTC))


def format_time(value: dt.datetime) -> str:
    """``value`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str | dt.datetime | dt.date | None) -> str | None:
    """A bound for queries (``since``/``until``) as an event time string; ``None`` passes through."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return format_time(value)
    if isinstance(value, dt.date):
        return format_time(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC))
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return format_time(dt.datetime.fromisoformat(text))


def json_safe(value: Any) -> Any:
    """``value`` with every non-JSON type replaced (see the module documentation)."""
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, dt.datetime):
        return format_time(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "base64:" + base64.b64encode(bytes(value)).decode()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def image(record: Mapping[str, Any] | None, fields: Iterable[str] | None = None) -> dict[str, Any] | None:
    """A JSON-safe copy of ``record`` limited to ``fields`` (a model's scalar fields) when given."""
    if record is None:
        return None
    if fields is None:
        return {k: json_safe(v) for k, v in record.items()}
    return {k: json_safe(record[k]) for k in fields if k in record}


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``{field: {"from": old, "to": new}}`` for every field whose value differs (a missing side is ``None``)."""
    before = before or {}
    after = after or {}
    changes: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = {"from": old, "to": new}
    return changes


def record_key(record_id: Mapping[str, Any] | None) -> str | None:
    """One string for a record id: the value itself for a single field, canonical JSON for a compound key."""
    if not record_id:
        return None
    if len(record_id) == 1:
        (value,) = record_id.values()
        return value if isinstance(value, str) else orjson.dumps(json_safe(value)).decode()
    return orjson.dumps(json_safe(dict(record_id)), option=orjson.OPT_SORT_KEYS).decode()


def key_of(record: Mapping[str, Any] | None, key_fields: Sequence[str]) -> dict[str, Any] | None:
    """The primary-key part of ``record`` (``None`` when a key field is missing)."""
    if record is None or not key_fields or any(f not in record for f in key_fields):
        return None
    return {f: json_safe(record[f]) for f in key_fields}


def actor_id(actor: Any) -> str | None:
    """How an actor is recorded: its id (`prisma_infra.actor.actor_id`) as text, else ``str(actor)``."""
    if actor is None:
        return None
    found = identity(actor)
    return str(found) if found is not None else str(actor)


def make_event(
    *,
    model: str | None,
    action: str,
    actor: Any = None,
    tenant: str | None = None,
    request_id: str | None = None,
    transaction: str | None = None,
    operation_id: str | None = None,
    record_id: Mapping[str, Any] | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    time: str | None = None,
) -> Event:
    """A new event, without its chain fields (``seq``, ``chain``, ``prev_hash``, ``hash``: set by the writer).

    ``before`` and ``after`` must already be JSON-safe and masked; ``changes`` is the diff
    (computed from ``before``/``after`` when not given).
    """
    if changes is None and (before is not None or after is not None):
        changes = diff(before, after)
    rid = dict(record_id) if record_id else None
    return {
        "id": uuid.uuid4().hex,
        "time": time or utc_now(),
        "actor": actor_id(actor),
        "tenant": tenant,
        "request_id": request_id,
        "transaction": transaction,
        "operation_id": operation_id,
        "model": model,
        "action": action,
        "record_id": rid,
        "record_key": record_key(rid),
        "before": dict(before) if before is not None else None,
        "after": dict(after) if after is not None else None,
        "diff": dict(changes) if changes is not None else None,
        "details": json_safe(dict(details)) if details else None,
    }
