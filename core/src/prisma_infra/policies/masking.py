"""How a field rule's ``mask`` strategy turns a value into what the caller sees.

This is the single seam between policies and PII masking: `mask_value` asks
a masker — the policy decider's, which `PolicyMiddleware` wires to the PII
feature's `prisma_infra.ports.masking.Masking` (redact, partial, keyed hash,
reversible token, with the field's PII category), or a process-wide one from `set_masker`. Without one,
or when the masker fails, every strategy masks to ``None`` — never the clear value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prisma_infra.ports.masking import MASKING

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel

__all__ = ["Masker", "mask_value", "pii_masker", "set_masker"]

#: ``masker(value, strategy, model=..., field=...)`` → the masked value.
Masker = Callable[..., Any]

_masker: Masker | None = None


def pii_masker(kernel: Kernel) -> Masker:
    """A masker using the current runtime's PII masking (its keys and the field's category); without
    the PII feature it raises, and `mask_value` masks to ``None``."""

    def mask(value: Any, strategy: str, *, model: str, field: str) -> Any:
        return kernel.services.require(MASKING).apply_strategy(value, strategy, model=model, field=field)

    return mask


def set_masker(masker: Masker | None) -> Masker | None:
    """Install the function that applies masking strategies; returns the previous one."""
    global _masker
    previous, _masker = _masker, masker
    return previous


def mask_value(value: Any, strategy: str, *, model: str, field: str, masker: Masker | None = None) -> Any:
    """The masked form of ``value``; ``None`` for ``null`` and whenever no masker is installed.

    :param masker: the decider's masker (the PII package's strategies); else the one from `set_masker`.
    """
    masker = masker or _masker
    if value is None or strategy == "null" or masker is None:
        return None
    try:
        return masker(value, strategy, model=model, field=field)
    except Exception:
        return None  # a failing masker must not reveal the value
