"""Masking of what the monitor keeps (slow operations, recent errors): arguments, messages, tracebacks.

The PII feature does the work through the `prisma_infra.ports.masking.Masking` it
publishes under ``MASKING``: a field the schema (or ``models.<Model>.pii``, or sampled
values) classifies as PII gets its category's mask (``a***@example.com``), any other
string keeps its first character (``"draft"`` → ``"d***"``), numbers, booleans and
``None`` stay, dates and bytes are hidden, keys are kept. Messages and tracebacks
show every value of the failed operation's arguments as its masked argument shows
it (so a classified field's value gets its category's mask there too), and lose
whatever the PII detectors find (cards, IBANs, e-mail addresses, phone numbers, ...).

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

__all__ = ["MASK", "mask_args", "mask_error_text", "value_masks"]

log = logging.getLogger("prisma_infra.monitoring")
#: Values shorter than this are not replaced in text (they would mask unrelated letters).
_MIN_KNOWN = 3
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


def value_masks(args: Any, masked: Any) -> list[tuple[str, str]]:
    """``(value, mask)`` of every string of ``args`` that ``masked`` (its `mask_args`) shows masked,
    longest first (a value inside another is replaced after it)."""
    found: dict[str, str] = {}

    def walk(raw: Any, done: Any) -> None:
        if isinstance(raw, str):
            if isinstance(done, str) and done != raw and len(raw) >= _MIN_KNOWN:
                found.setdefault(raw, done)
        elif isinstance(raw, Mapping) and isinstance(done, Mapping):
            for key, value in raw.items():
                if str(key) in done:
                    walk(value, done[str(key)])
        elif isinstance(raw, list | tuple) and isinstance(done, list):
            if done and done[-1] == f"… {len(raw) - len(done) + 1} more":  # mask_args cut the list here
                done = done[:-1]
            for item, masked_item in zip(raw, done, strict=False):
                walk(item, masked_item)

    walk(args, masked)
    return sorted(found.items(), key=lambda pair: -len(pair[0]))


def mask_error_text(
    text: str,
    args: Mapping[str, Any],
    *,
    masking: Masking | None = None,
    model: str | None = None,
    masked: Mapping[str, Any] | None = None,
) -> str:
    """An error message or traceback of an operation on ``model`` with ``args``: each of its values
    replaced by its mask in ``masked`` (default: `mask_args` of them), detected PII masked."""
    if masked is None:
        masked = mask_args(args, model=model, masking=masking)
    for value, mask in value_masks(args, masked):
        text = text.replace(value, mask)
    return _text(text, args, masking)
