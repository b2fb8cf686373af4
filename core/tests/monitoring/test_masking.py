"""`mask_args`: strings masked, structure and numbers kept."""

from __future__ import annotations

import datetime
from decimal import Decimal

from prisma_infra.monitoring import mask_args
from prisma_infra.monitoring.masking import MASK


def test_strings_are_masked_structure_is_kept() -> None:
    args = {
        "where": {"email": {"equals": "alice@example.com"}, "id": 7, "OR": [{"name": "Bo"}, {"active": True}]},
        "take": 10,
        "data": {"born": datetime.date(1990, 1, 2), "avatar": b"\x00" * 5, "price": Decimal("1.50"), "note": None},
    }
    masked = mask_args(args)
    assert masked["where"]["email"]["equals"] == "a" + MASK
    assert masked["where"]["id"] == 7
    assert masked["where"]["OR"] == [{"name": MASK}, {"active": True}]
    assert masked["take"] == 10
    assert masked["data"] == {"born": MASK, "avatar": "<5 bytes>", "price": "1.50", "note": None}
    assert "alice" not in repr(masked)


def test_large_and_deep_values_are_bounded() -> None:
    masked = mask_args({"where": {"id": {"in": list(range(500))}}})
    assert len(masked["where"]["id"]["in"]) == 51
    deep: dict[str, object] = {}
    node = deep
    for _ in range(30):
        node["x"] = {}
        node = node["x"]  # type: ignore[assignment]
    text = repr(mask_args({"where": deep}))
    assert MASK in text
