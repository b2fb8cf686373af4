"""The entry codec restores every value a Prisma result can hold, with its type."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from prisma_infra.cache import codec
from prisma_infra.cache.entry import pack, unpack

VALUES: list[Any] = [
    None,
    True,
    0,
    2**53 + 1,
    2**64 - 1,
    2**64,
    -(2**63) - 1,
    1.5,
    float("inf"),
    float("-inf"),
    "text with \u00e9 and \x00",
    Decimal("123456789012345678901234567890.000001"),
    Decimal("-0.10"),
    datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2024, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2024, 1, 1, 8, 0),
    date(1999, 12, 31),
    time(13, 14, 15, 16),
    b"\x00\x01\xff",
    b"",
    bytearray(b"ab"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    (1, "a"),
    [],
    {},
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_round_trip_keeps_value_and_type(value: Any) -> None:
    back = codec.decode(codec.encode(value))
    assert back == value
    assert type(back) is type(value)
    if isinstance(value, datetime):
        assert back.utcoffset() == value.utcoffset()


def test_nested_result_round_trips() -> None:
    rows = [
        {"id": i, "at": datetime(2024, 1, i + 1, tzinfo=UTC), "price": Decimal(f"{i}.50"), "tags": ("a", b"b"),
         "author": {"karma": 2**70, "avatar": b"\x89PNG", "ids": [uuid.UUID(int=i)]}}
        for i in range(5)
    ]
    back = codec.decode(codec.encode(rows))
    assert back == rows
    assert type(back[3]["tags"]) is tuple and type(back[3]["tags"][1]) is bytes


def test_nan_round_trips() -> None:
    assert math.isnan(codec.decode(codec.encode({"x": float("nan")}))["x"])


def test_plain_results_skip_the_tag_walk_on_decode() -> None:
    assert codec.encode([{"a": 1, "b": "x", "c": None}]).startswith(b"P")
    assert codec.encode([{"a": Decimal(1)}]).startswith(b"T")


@pytest.mark.parametrize("value", [{1: "int key"}, [object()], {"s": {1, 2}}])
def test_unencodable_values_are_refused(value: Any) -> None:
    with pytest.raises(codec.Unencodable):
        codec.encode(value)


def test_entry_pack_unpack() -> None:
    raw = pack(10.5, 20.25, (1, 2**62), b"Ppayload")
    entry = unpack(raw)
    assert entry is not None
    assert (entry.fresh_until, entry.stale_until, entry.generations) == (10.5, 20.25, (1, 2**62))
    assert bytes(entry.payload) == b"Ppayload"
    assert unpack(b"garbage") is None
    assert unpack(b"\x02" + raw[1:]) is None
