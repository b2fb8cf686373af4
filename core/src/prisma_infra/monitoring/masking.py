"""Masking of what the monitor keeps (slow operations, recent errors): arguments, messages, tracebacks.

The PII feature does the work through the `prisma_infra.ports.masking.Masking` it
publishes under ``MASKING``: a field the schema (or ``models.<Model>.pii``, or sampled
values) classifies as PII gets its category's mask (``a***@example.com``), any other
string keeps its first character (``"draft"`` → ``"d***"``), numbers, booleans and
``None`` stay, dates and bytes are hidden, keys are kept. Messages and tracebacks
lose every value of the failed operation's arguments and whatever the PII detectors
find (cards, IBANs, e-mail addresses, phone numbers, ...).

Without the PII feature (``masking`` is ``None``), or when its masking raises (invalid
PII settings), the built-in detectors run with the default settings and no
classification: every string is still masked, and the failure is logged once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.cache.sql import mask_sql, raw_sql
from prisma_infra.pii.text import MASK, known_values
from prisma_infra.pii.text import mask_args as _default_args
from prisma_infra.pii.text import mask_text as _default_text

if TYPE_CHECKING:
    from prisma_infra.ports.masking import Masking

__all__ = ["MASK", "mask_args", "mask_error_text"]

log = logging.getLogger("prisma_infra.monitoring")
_reported: set[str] = set()


def _failed(problem: Exception) -> None:
    """Say once per kind of failure that the PII masking failed (the default masking took over)."""
    kind = type(problem).__name__
    if kind not in _reported and len(_reported) < 20:
        _reported.add(kind)
        log.warning("PII masking failed (%s); the monitor masks with the default detectors", kind)


def _text(text: str, args: Mapping[str, Any] | None, masking: Masking | None) -> str:
    if masking is not None:
        try:
            return masking.mask_text(text, args=args)
        except Exception as problem:
            _failed(problem)
    return _default_text(text, values=known_values(args) if args else ())


def mask_args(
    args: Mapping[str, Any],
    *,
    model: str | None = None,
    masking: Masking | None = None,
    raw: bool = False,
    provider: str | None = None,
) -> dict[str, Any]:
    """A JSON-friendly copy of Prisma ``args`` with every value that may hold personal data masked.

    :param masking: the PII feature's masking (``kernel.services.get(MASKING)``).
    :param raw: ``queryRaw``/``executeRaw`` arguments: the SQL keeps its shape with its literals as ``?``
        (a slow raw query is recognisable, in ``provider``'s dialect), its parameters are masked like any value.
    """
    masked: dict[str, Any] | None = None
    if masking is not None:
        try:
            masked = masking.mask_args(args, model=model)
        except Exception as problem:
            _failed(problem)
    if masked is None:
        masked = _default_args(args, model=model)
    sql = raw_sql(args) if raw else None
    if sql is not None:
        key = "sql" if isinstance(args.get("sql"), str) else "query"
        masked[key] = _text(mask_sql(sql, provider), None, masking)
    return masked


def mask_error_text(text: str, args: Mapping[str, Any], *, masking: Masking | None = None) -> str:
    """An error message or traceback of an operation with ``args``: its values and detected PII masked."""
    return _text(text, args, masking)
