"""Cache keys and tag keys.

An entry key is ``<prefix>e:<schema>:<Model>:<digest>`` where the digest is a
blake2b of the orjson (sorted keys) encoding of the action, the args, the
scope (tenant, actor id), the user tags and an explicit key. Sorted keys make
``{"a": 1, "b": 2}`` and ``{"b": 2, "a": 1}`` the same entry; the schema hash
in the key retires every entry when the schema changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from hashlib import blake2b
from typing import Any

import orjson

from prisma_infra.actor import actor_id as identity

__all__ = [
    "ALL_TAG",
    "NoScope",
    "actor_id",
    "digest",
    "model_tag",
    "prefix_for",
    "tag_key",
    "user_tag",
]

ALL_TAG = "*"
"""A tag every entry carries: bumping it invalidates everything (``clear()``, unparsable raw SQL)."""

_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_SAFE_TAG = re.compile(r"[A-Za-z0-9_.:*@/-]{1,120}")


class NoScope(Exception):
    """An actor is set but has no identity the key can use: the read is not cached."""


def _default(value: Any) -> Any:
    # Tagged so that the string "1.5" and Decimal("1.5") never share a key.
    if isinstance(value, datetime | date | time):
        return ["$dt", value.isoformat()]
    if isinstance(value, Decimal):
        return ["$dec", str(value)]
    if isinstance(value, bytes | bytearray | memoryview):
        return ["$b", bytes(value).hex()]
    if isinstance(value, set | frozenset):
        return ["$set", sorted(value, key=repr)]
    if isinstance(value, int):  # beyond 64 bits
        return ["$int", str(value)]
    raise TypeError(f"{type(value).__name__} cannot be part of a cache key")


def digest(material: Sequence[Any]) -> str:
    """A 128-bit hex digest of ``material`` (order of dict keys does not matter)."""
    try:
        data = orjson.dumps(material, option=_OPTS, default=_default)
    except orjson.JSONEncodeError:
        # Integers beyond 64 bits are refused before ``default`` is consulted.
        data = repr(material).encode()
    return blake2b(data, digest_size=16).hexdigest()


def actor_id(actor: Any) -> str | int | None:
    """The identity of an actor for the key (`prisma_infra.actor.actor_id`); a scope needs a str or int."""
    if actor is None:
        return None
    found = identity(actor)
    if isinstance(found, str | int) and not isinstance(found, bool):
        return found
    raise NoScope(f"actor {actor!r} has no 'id'")


def prefix_for(namespace: str) -> str:
    """``pi:`` plus the namespace (``pi:blog:``), shared by every key of a store."""
    return f"pi:{namespace}:" if namespace else "pi:"


def model_tag(model: str) -> str:
    return f"m:{model}"


def user_tag(tag: str) -> str:
    return f"t:{tag}"


def tag_key(prefix: str, tag: str) -> str:
    """The key of a tag's generation counter; hashed when the tag is not key-safe (memcached)."""
    if _SAFE_TAG.fullmatch(tag):
        return f"{prefix}g:{tag}"
    return f"{prefix}g#{blake2b(tag.encode(), digest_size=16).hexdigest()}"
