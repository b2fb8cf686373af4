"""How a field rule's ``mask`` strategy turns a value into what the caller sees.

This is the single seam between policies and PII masking: `mask_value` asks
a masker — the policy engine's, which `PolicyMiddleware` wires to the PII
package's strategies (redact, partial, keyed hash, reversible token, with the
field's PII category), or a process-wide one from `set_masker`. Without one,
or when the masker fails, every strategy masks to ``None`` — never the clear value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Masker", "mask_value", "pii_masker", "set_masker"]

#: ``masker(value, strategy, model=..., field=...)`` → the masked value.
Masker = Callable[..., Any]

_masker: Masker | None = None


def pii_masker(infrastructure: Any) -> Masker:
    """A masker using ``infrastructure.pii`` (its keys and the field's category; ``generic`` when unclassified)."""

    def mask(value: Any, strategy: str, *, model: str, field: str) -> Any:
        manager = infrastructure.pii
        category = manager.field_categories(model).get(field, "generic")
        return manager.masker.mask(value, category, strategy)

    return mask


def set_masker(masker: Masker | None) -> Masker | None:
    """Install the function that applies masking strategies; returns the previous one."""
    global _masker
    previous, _masker = _masker, masker
    return previous


def mask_value(value: Any, strategy: str, *, model: str, field: str, masker: Masker | None = None) -> Any:
    """The masked form of ``value``; ``None`` for ``null`` and whenever no masker is installed.

    :param masker: the engine's masker (the PII package's strategies); else the one from `set_masker`.
    """
    masker = masker or _masker
    if value is None or strategy == "null" or masker is None:
        return None
    try:
        return masker(value, strategy, model=model, field=field)
    except Exception:
        return None  # a failing masker must not reveal the value
