"""Masking of what the monitor keeps (slow operations, recent errors): arguments, messages, tracebacks.

The PII feature does the work (`prisma_infra.pii.mask_args`, `prisma_infra.pii.mask_text`):
a field the schema classifies as PII gets its category's mask (``a***@example.com``),
any other string keeps its first character (``"draft"`` → ``"d***"``), numbers,
booleans and ``None`` stay, dates and bytes are hidden, keys are kept. Messages and
tracebacks lose every value of the failed operation's arguments and whatever the
PII detectors find (cards, IBANs, e-mail addresses, phone numbers, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.cache.sql import mask_sql, raw_sql
from prisma_infra.pii.text import MASK, known_values
from prisma_infra.pii.text import mask_args as _mask_args
from prisma_infra.pii.text import mask_text as _mask_text

if TYPE_CHECKING:
    from prisma_infra.pii.manager import PiiManager

__all__ = ["MASK", "mask_args", "mask_error_text"]


def mask_args(
    args: Mapping[str, Any], *, model: str | None = None, pii: PiiManager | None = None, raw: bool = False
) -> dict[str, Any]:
    """A JSON-friendly copy of Prisma ``args`` with every value that may hold personal data masked.

    :param raw: ``queryRaw``/``executeRaw`` arguments: the SQL keeps its shape with its literals as ``?``
        (a slow raw query is recognisable), its parameters are masked like any value.
    """
    masked = _mask_args(args, model=model, manager=pii)
    sql = raw_sql(args) if raw else None
    if sql is not None:
        schema = pii.schema if pii is not None else None
        key = "sql" if isinstance(args.get("sql"), str) else "query"
        masked[key] = _mask_text(mask_sql(sql, schema.provider if schema is not None else None), manager=pii)
    return masked


def mask_error_text(text: str, args: Mapping[str, Any], *, pii: PiiManager | None = None) -> str:
    """An error message or traceback of an operation with ``args``: its values and detected PII masked."""
    return _mask_text(text, manager=pii, values=known_values(args))
