"""How a field rule's ``mask`` strategy turns a value into what the caller sees.

This is the single seam between policies and PII masking: `mask_value` asks
the installed masker (`set_masker`), which the PII package can provide with
its strategies (redact, partial, keyed hash, reversible token). Without one,
every strategy masks to ``None`` — never the clear value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Masker", "mask_value", "set_masker"]

#: ``masker(value, strategy, model=..., field=...)`` → the masked value.
Masker = Callable[..., Any]

_masker: Masker | None = None


def set_masker(masker: Masker | None) -> Masker | None:
    """Install the function that applies masking strategies; returns the previous one."""
    global _masker
    previous, _masker = _masker, masker
    return previous


def mask_value(value: Any, strategy: str, *, model: str, field: str) -> Any:
    """The masked form of ``value``; ``None`` for ``null`` and whenever no masker is installed."""
    if value is None or strategy == "null" or _masker is None:
        return None
    try:
        return _masker(value, strategy, model=model, field=field)
    except Exception:
        return None  # a failing masker must not reveal the value
