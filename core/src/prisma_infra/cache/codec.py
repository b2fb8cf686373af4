"""Lossless bytes for query results.

orjson writes JSON, which has no datetime, Decimal, bytes, 128-bit integers,
NaN or tuples; a cached read must still equal the uncached read exactly. The
encoder walks the result once (when an entry is filled, which is rare) and
writes every such value as a string plus its *path*; the decoder parses with
orjson and restores only the listed paths, so a hit pays for the special
values it holds, not for the size of the result. A result without special
values is stored as plain orjson and decoded with one ``orjson.loads``.

In-process tiers keep live objects instead (`prisma_infra.cache.live`). Bytes
read from a shared store are only ever parsed as JSON, never unpickled: a
process that can write to Redis must not be able to run code in this one.
"""

from __future__ import annotations

import binascii
import math
import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson

__all__ = ["Unencodable", "decode", "encode"]

_PLAIN = 0x50  # b"P": the payload is the value itself
_TAGGED = 0x54  # b"T": the payload is [value, [[kind, *path], ...]]

_I64_MIN = -(2**63)
_U64_MAX = 2**64 - 1


class Unencodable(TypeError):
    """The value holds something the codec cannot restore exactly: it is not cached."""


Path = list[Any]


def _walk(value: Any, path: Path, out: list[list[Any]]) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if _I64_MIN <= value <= _U64_MAX:
            return value
        out.append(["i", *path])
        return str(value)
    if kind is float:
        if math.isfinite(value):
            return value
        out.append(["f", *path])
        return repr(value)
    if kind is dict:
        converted: dict[str, Any] = {}
        for k, v in value.items():
            if type(k) is not str:
                raise Unencodable(f"dict key {k!r} is not a string")
            path.append(k)
            converted[k] = _walk(v, path, out)
            path.pop()
        return converted
    if kind is list or kind is tuple:
        if kind is tuple:
            out.append(["tu", *path])
        items = []
        for i, v in enumerate(value):
            path.append(i)
            items.append(_walk(v, path, out))
            path.pop()
        return items
    if kind is datetime:
        out.append(["dt", *path])
        return value.isoformat()
    if kind is Decimal:
        out.append(["dec", *path])
        return str(value)
    if kind is bytes or kind is bytearray or kind is memoryview:
        out.append(["b" if kind is bytes else "ba", *path])
        return binascii.b2a_base64(bytes(value), newline=False).decode("ascii")
    if kind is date:
        out.append(["d", *path])
        return value.isoformat()
    if kind is time:
        out.append(["t", *path])
        return value.isoformat()
    if kind is uuid.UUID:
        out.append(["u", *path])
        return str(value)
    raise Unencodable(f"{kind.__name__} values are not cached")


def encode(value: Any) -> bytes:
    """Bytes that `decode` turns back into a value equal to ``value`` (same types)."""
    paths: list[list[Any]] = []
    converted = _walk(value, [], paths)
    if not paths:
        return b"P" + orjson.dumps(converted)
    return b"T" + orjson.dumps([converted, paths])


def _float(text: str) -> float:
    return float(text)


def _bytearray(text: str) -> bytearray:
    return bytearray(binascii.a2b_base64(text))


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "dt": datetime.fromisoformat,
    "dec": Decimal,
    "b": binascii.a2b_base64,
    "ba": _bytearray,
    "d": date.fromisoformat,
    "t": time.fromisoformat,
    "u": uuid.UUID,
    "i": int,
    "f": _float,
    "tu": tuple,
}


def decode(data: bytes) -> Any:
    """The value `encode` was given."""
    marker = data[0]
    if marker == _PLAIN:
        return orjson.loads(data[1:])
    if marker != _TAGGED:
        raise ValueError("not a cache payload")
    root, paths = orjson.loads(data[1:])
    decoders = _DECODERS
    # Paths were recorded parent first; restoring children first lets a tuple wrap restored items.
    for item in reversed(paths):
        depth = len(item)
        if depth == 3:  # the common shape: a field of a row in a list of rows
            row = root[item[1]]
            key = item[2]
            row[key] = decoders[item[0]](row[key])
        elif depth == 2:
            key = item[1]
            root[key] = decoders[item[0]](root[key])
        elif depth == 1:
            root = decoders[item[0]](root)
        else:
            container = root
            for step in item[1:-1]:
                container = container[step]
            key = item[-1]
            container[key] = decoders[item[0]](container[key])
    return root
