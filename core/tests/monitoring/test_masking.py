"""`mask_args` and `mask_error_text`: strings masked (PII by its category), structure and numbers kept."""

from __future__ import annotations

import datetime
from decimal import Decimal

from prisma_infra.errors import ValidationError
from prisma_infra.monitoring import Monitor, mask_args
from prisma_infra.monitoring.masking import MASK, mask_error_text
from prisma_infra.operation import Action, Operation, OperationContext


def test_strings_are_masked_structure_is_kept() -> None:
    args = {
        "where": {"email": {"equals": "alice@example.com"}, "id": 7, "OR": [{"name": "Bo"}, {"active": True}]},
        "take": 10,
        "data": {"born": datetime.date(1990, 1, 2), "avatar": b"\x00" * 5, "price": Decimal("1.50"), "note": None},
    }
    masked = mask_args(args)
    assert masked["where"]["email"]["equals"] == "a" + MASK + "@example.com"  # an e-mail's partial mask
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


def test_error_text_loses_the_operation_values_and_detected_pii() -> None:
    args = {"data": {"name": "Zebulon Quintessa", "note": "paid by card"}}
    text = "duplicate name 'Zebulon Quintessa' (card 4111 1111 1111 1111, mail zed@example.net)"
    masked = mask_error_text(text, args)
    for secret in ("Zebulon", "Quintessa", "4111 1111 1111 1111", "zed@"):
        assert secret not in masked
    assert masked.startswith("duplicate name") and "1111" in masked and "@example.net" in masked


def _raise(args: dict[str, object]) -> ValidationError:
    try:
        raise ValidationError(f"bad value {args['data']!r} for User.email (card 4242424242424242)", model="User")
    except ValidationError as exc:
        return exc


def test_recent_errors_hold_masked_messages_and_tracebacks() -> None:
    monitor = Monitor()
    args = {"data": {"email": "alice@example.com", "nickname": "Zebulon"}}
    operation = Operation("User", Action.CREATE, args, OperationContext())
    monitor.record(operation, "create", 0.001, 1.0, None, _raise(args), None)
    error = monitor.snapshot()["recent_errors"][0]
    assert "ValidationError" in error["traceback"] and "bad value" in error["message"]
    for secret in ("alice@example.com", "Zebulon", "4242424242424242"):
        assert secret not in error["message"]
        assert secret not in error["traceback"]
        assert secret not in repr(error["args"])
    assert "**** **** **** 4242" in error["message"]


def test_raw_sql_keeps_its_shape_without_literals() -> None:
    args = {"sql": "SELECT * FROM \"User\" WHERE email = 'alice@example.com' AND id = $1", "params": ["Zebulon"]}
    masked = mask_args(args, raw=True)
    assert masked == {"sql": 'SELECT * FROM "User" WHERE email = ? AND id = $1', "params": ["Z***"]}
    assert mask_args(args)["sql"] == "S" + MASK  # not raw: a string like any other
