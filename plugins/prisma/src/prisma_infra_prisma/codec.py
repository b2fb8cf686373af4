"""Values across the bridge: Python objects <-> JSON with tagged values.

JSON cannot carry every Prisma scalar, so those travel tagged,
``{"$type": T, "value": V}``:

=========  =====================  ==============================================
``T``      Python                 wire value
=========  =====================  ==============================================
DateTime   ``datetime`` (UTC)     ISO 8601 string; **milliseconds only** (JS Date)
BigInt     ``int``                decimal string
Float      ``float``              number (incoming only: integral values of raw Float columns)
Decimal    ``decimal.Decimal``    string, exact
Bytes      ``bytes``              base64
Json       any JSON value         the value as-is (escapes a dict holding "$type")
JsonNull   `values.JsonNull`      no value
DbNull     `values.DbNull`        no value
AnyNull    `values.AnyNull`       no value
=========  =====================  ==============================================

Outgoing, naive ``datetime`` values are taken as UTC, ``date`` as midnight UTC,
and microseconds are truncated to milliseconds; ``int`` beyond 2**53 (which a
JavaScript number cannot hold exactly) goes as BigInt. Incoming DateTime values
are timezone-aware UTC ``datetime`` objects.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import orjson

from prisma_infra_prisma.values import NullSentinel

__all__ = ["TAG_KEY", "check", "decode", "dumps", "encode", "loads", "tag"]

_MAX_SAFE = 2**53 - 1
_TAG = "$type"


def _datetime_tag(value: datetime) -> dict[str, Any]:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.utcoffset():
        value = value.astimezone(UTC)
    return {_TAG: "DateTime", "value": value.isoformat(timespec="milliseconds")}


def _default(value: Any) -> Any:
    """orjson's fallback for the types it does not serialize (or is told to pass through)."""
    if isinstance(value, datetime):
        return _datetime_tag(value)
    if isinstance(value, date):
        return {_TAG: "DateTime", "value": f"{value.isoformat()}T00:00:00.000Z"}
    if isinstance(value, Decimal):
        return {_TAG: "Decimal", "value": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {_TAG: "Bytes", "value": base64.b64encode(value).decode("ascii")}
    if isinstance(value, NullSentinel):
        return {_TAG: value.tag}
    if isinstance(value, time):
        return {_TAG: "DateTime", "value": f"1970-01-01T{value.isoformat(timespec='milliseconds')}Z"}
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Prisma")


#: The fast check of `encode`: orjson refuses ints beyond JavaScript's safe range (exactly
#: ``_MAX_SAFE``); what `_default` tags is left out (`tag` does not look inside it either).
_CHECK = orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_DATETIME
#: ``"$type"`` as a JSON key: a dict holding it must travel as a tagged Json value.
TAG_KEY = b'"$type"'


_SCALARS = (datetime, date, time, Decimal, bytes, bytearray, memoryview, NullSentinel)


def _skip(value: Any) -> None:
    if not isinstance(value, _SCALARS) and isinstance(value, Mapping):
        raise TypeError(type(value).__name__)  # orjson cannot read it: what it holds is unknown
    return None


def check(value: Any) -> bytes | None:
    """``value`` serialized in C without its tagged scalars, or None when orjson refuses it.

    None means an int beyond 2**53 - 1 (or a mapping orjson cannot read) is in it; otherwise
    `tag` has work only when the bytes hold `TAG_KEY`.
    """
    try:
        return orjson.dumps(value, default=_skip, option=_CHECK)
    except TypeError:  # orjson.JSONEncodeError included
        return None


def encode(value: Any) -> Any:
    """Tag what orjson would carry wrongly: huge ints and dicts holding ``"$type"``.

    Returns ``value`` itself when nothing needs changing (no copy on the hot path). Most
    arguments need nothing: one serialization in C proves it (no int beyond 2**53 - 1, no
    ``"$type"`` key), far cheaper than walking them in Python.
    """
    kind = type(value)
    if kind is dict or kind is list or kind is tuple:
        data = check(value)
        if data is not None and TAG_KEY not in data:
            return value
    return tag(value)


def tag(value: Any) -> Any:
    """`encode`'s walk: huge ints tagged BigInt, dicts holding ``"$type"`` tagged Json (copied where changed)."""
    kind = type(value)
    if kind is dict:
        if _TAG in value:
            return {_TAG: "Json", "value": value}
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            k = type(item)
            if k is dict or k is list or k is tuple or k is int:
                new = tag(item)
                if new is not item:
                    if changed is None:
                        changed = dict(value)
                    changed[key] = new
        return value if changed is None else changed
    if kind is list or kind is tuple:
        out: list[Any] | None = None
        for index, item in enumerate(value):
            k = type(item)
            if k is dict or k is list or k is tuple or k is int:
                new = tag(item)
                if new is not item:
                    if out is None:
                        out = list(value)
                    out[index] = new
        return value if out is None else out
    if kind is int and (value > _MAX_SAFE or value < -_MAX_SAFE):
        return {_TAG: "BigInt", "value": str(value)}
    return value


_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: Any) -> bytes:
    """Serialize an already `encode`-d value, tagging dates, decimals, bytes and null markers."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


loads = orjson.loads


def _from_tag(tag: str, value: dict[str, Any]) -> Any:
    raw: Any = value.get("value")
    if tag == "DateTime":
        return None if raw is None else datetime.fromisoformat(raw)
    if tag == "BigInt":
        return int(raw)
    if tag == "Float":
        return float(raw)
    if tag == "Decimal":
        return Decimal(raw)
    if tag == "Bytes":
        return base64.b64decode(raw)
    if tag == "Json":
        return raw
    return value  # an unknown tag is passed through untouched


def decode(value: Any) -> Any:
    """Turn tagged values from the bridge into Python objects (in place for containers)."""
    kind = type(value)
    if kind is dict:
        tag = value.get(_TAG)
        if tag is not None:
            return _from_tag(tag, value)
        for key, item in value.items():
            k = type(item)
            if k is dict or k is list:
                value[key] = decode(item)
        return value
    if kind is list:
        for index, item in enumerate(value):
            k = type(item)
            if k is dict or k is list:
                value[index] = decode(item)
        return value
    return value
