"""Masking of operation arguments before they are kept (slow operations, recent errors).

`mask_args` is the single place to swap: it uses ``prisma_infra.pii.mask_text``
when the PII feature provides it, and a simple rule otherwise — every string
keeps its first character and loses the rest (``"alice@example.com"`` →
``"a***"``), bytes and dates are hidden, numbers, booleans and ``None`` stay
(ids and limits are what one needs to reproduce a slow query), and keys (field
names and Prisma operators) are kept.
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MASK", "mask_args", "mask_text"]

MASK = "***"
_MAX_DEPTH = 12
_MAX_ITEMS = 50


def _simple_mask(text: str) -> str:
    return text[:1] + MASK if len(text) > 2 else MASK


def _resolve_text_masker() -> Callable[[str], str]:
    try:
        pii = importlib.import_module("prisma_infra.pii")
    except ImportError:
        return _simple_mask
    found = getattr(pii, "mask_text", None)
    return found if callable(found) else _simple_mask


#: Masks one string value; the PII feature's ``mask_text`` when present.
mask_text: Callable[[str], str] = _resolve_text_masker()


def _mask(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return mask_text(value)
    if depth >= _MAX_DEPTH:
        return MASK
    if isinstance(value, Mapping):
        items = list(value.items())
        out = {str(k): _mask(v, depth + 1) for k, v in items[:_MAX_ITEMS]}
        if len(items) > _MAX_ITEMS:
            out["…"] = f"{len(items) - _MAX_ITEMS} more"
        return out
    if isinstance(value, list | tuple | set | frozenset):
        seq = list(value)
        masked = [_mask(v, depth + 1) for v in seq[:_MAX_ITEMS]]
        if len(seq) > _MAX_ITEMS:
            masked.append(f"… {len(seq) - _MAX_ITEMS} more")
        return masked
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime.date | datetime.time):
        return MASK
    # Decimal and other numbers-like values stay readable; anything else is hidden.
    if type(value).__name__ == "Decimal":
        return str(value)
    return MASK


def mask_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-friendly copy of Prisma ``args`` with every value that may hold personal data masked."""
    return {str(k): _mask(v, 1) for k, v in args.items()}
