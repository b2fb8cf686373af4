"""Masking for what leaves the process as text: log lines, error messages, tracebacks, monitored arguments.

`mask_text` masks free text in two passes:

1. every occurrence of a *known value* — the strings of the operation that
   failed, which error messages and tracebacks tend to echo — is replaced by
   its mask, whether or not a detector recognises it (``Alice`` is no pattern);
2. what the detectors find (Luhn-valid cards, IBANs, e-mail addresses, phone
   numbers, national ids, IPs, ...) is masked with its category's strategy for
   the ``log`` purpose.

`mask_args` masks operation arguments for the monitor: the value of a field the
schema (or configuration, or sampled values) classifies as PII gets its
category's mask (``j***@example.com``, ``**** **** **** 4242``); any other
string a detector recognises likewise; every other string keeps only its first
character (``"draft"`` → ``"d***"``). Numbers, booleans and ``None`` stay (ids and
limits reproduce a slow query); dates and bytes are hidden; keys are kept.

Without a manager the built-in detectors run with the default settings.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.pii.masking import KEEP, NULL, redact

if TYPE_CHECKING:
    from prisma_infra.pii.manager import PiiManager
    from prisma_infra.schema import Model

__all__ = ["MASK", "default_manager", "known_values", "mask_args", "mask_text", "simple_mask"]

log = logging.getLogger("prisma_infra.pii")

MASK = "***"
#: Known values shorter than this are not searched for in text (they would mask unrelated letters).
_MIN_KNOWN = 3
_MAX_DEPTH = 12
_MAX_ITEMS = 50
#: Detectors read at most this much of one argument string (a long body is masked whole anyway).
_MAX_DETECT = 256
#: Field names whose values are secrets whatever the classifier says.
_SECRET_FIELD = re.compile(r"pass(word|wd|phrase)?$|secret|token|api_?key|credential|^pin$|otp", re.IGNORECASE)

_default: PiiManager | None = None


def default_manager() -> PiiManager:
    """A manager with the built-in detectors and default settings (no schema), built once."""
    global _default
    if _default is None:
        from prisma_infra.pii.manager import PiiManager

        _default = PiiManager()
    return _default


def simple_mask(text: str) -> str:
    """The first character and ``***`` (``***`` alone for one or two characters)."""
    return text[:1] + MASK if len(text) > 2 else MASK


def _as_category(manager: PiiManager, value: Any, category: str, model: str | None, field: str | None) -> Any:
    """``value`` masked as ``category`` for logs; a strategy that cannot run here (no key) redacts."""
    strategy = manager.strategy_for(model, field, category, "log")
    if strategy == KEEP:
        return value
    if strategy == NULL:
        return redact(category)
    try:
        return manager.masker.mask(value, category, strategy)
    except Exception:  # a hash/token strategy without its key: never fall back to the clear value
        return redact(category)


def _mask_string(manager: PiiManager, text: str) -> str:
    """One argument string: its detected category's mask, else `simple_mask`."""
    if len(text) <= _MAX_DETECT:
        found = manager.best(text)
        if found is not None:
            return str(_as_category(manager, text, found.category, None, None))
    return simple_mask(text)


def known_values(value: Any, *, depth: int = 0) -> set[str]:
    """The strings inside an operation's arguments (keys excluded): what `mask_text` looks for."""
    found: set[str] = set()
    if isinstance(value, str):
        if len(value) >= _MIN_KNOWN:
            found.add(value)
    elif isinstance(value, dt.date | dt.time):
        found.add(value.isoformat())
    elif depth < _MAX_DEPTH and isinstance(value, Mapping):
        for item in list(value.values())[:_MAX_ITEMS * 4]:
            found |= known_values(item, depth=depth + 1)
    elif depth < _MAX_DEPTH and isinstance(value, list | tuple | set | frozenset):
        for item in list(value)[:_MAX_ITEMS * 4]:
            found |= known_values(item, depth=depth + 1)
    return found


def mask_text(
    text: str, *, manager: PiiManager | None = None, values: Iterable[str] = (), purpose: str = "log"
) -> str:
    """``text`` with known ``values`` and the PII the detectors find in it masked (see the module doc).

    :param manager: the running infrastructure's `PiiManager` (its detectors, settings and keys);
        default: `default_manager`.
    :param values: strings known to be data (an operation's arguments): masked wherever they occur.
    :param purpose: selects ``pii.purposes.<purpose>`` for the detected categories.
    """
    if not text:
        return text
    manager = manager or default_manager()
    # Longest first, so a value that contains another is replaced whole.
    for value in sorted({v for v in values if len(v) >= _MIN_KNOWN}, key=len, reverse=True):
        if value in text:
            text = text.replace(value, _mask_string(manager, value))
    try:
        return manager.mask_text(text, purpose=purpose)
    except Exception:  # a detector bug must not let clear text through: mask what looks like data
        log.exception("PII text masking failed; masking quoted values and digits instead")
        return re.sub(r"\d{3,}|'[^']*'|\"[^\"]*\"", MASK, text)


def _key_fields(model: Model) -> frozenset[str]:
    """The fields whose values identify rows (ids, foreign keys): shown, so an operation can be traced."""
    keys = set(model.id_fields)
    for relation in model.relations:
        if relation.holds_foreign_key:
            keys.update(relation.fields)
    return frozenset(keys)


class _ArgsMasker:
    def __init__(self, manager: PiiManager) -> None:
        self.manager = manager

    def categories(self, model: Model | None) -> dict[str, str]:
        if model is None or self.manager.schema is None:
            return {}
        try:
            return self.manager.field_categories(model)
        except Exception:
            return {}

    def mask(self, value: Any, depth: int, model: Model | None, category: str | None, field: str | None) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float) or type(value).__name__ == "Decimal":
            # A field's number is a record value (a salary, a balance); keys and take/skip/limits stay readable.
            if field is None or (model is not None and field in _key_fields(model)):
                return str(value) if type(value).__name__ == "Decimal" else value
            return MASK
        if isinstance(value, str):
            if category == "secret":
                return MASK
            if category is not None:
                name = model.name if model is not None else None
                return _as_category(self.manager, value, category, name, field)
            return _mask_string(self.manager, value)
        if depth >= _MAX_DEPTH:
            return MASK
        if isinstance(value, Mapping):
            return self.mapping(value, depth, model, category, field)
        if isinstance(value, list | tuple | set | frozenset):
            seq = list(value)
            masked = [self.mask(v, depth + 1, model, category, field) for v in seq[:_MAX_ITEMS]]
            if len(seq) > _MAX_ITEMS:
                masked.append(f"… {len(seq) - _MAX_ITEMS} more")
            return masked
        if isinstance(value, bytes | bytearray | memoryview):
            return f"<{len(value)} bytes>"
        if isinstance(value, dt.date | dt.time):
            return MASK
        return MASK

    def mapping(
        self, value: Mapping[Any, Any], depth: int, model: Model | None, category: str | None, field: str | None
    ) -> dict[str, Any]:
        items = list(value.items())
        known = self.categories(model) if category is None else {}
        out: dict[str, Any] = {}
        for raw_key, item in items[:_MAX_ITEMS]:
            key = str(raw_key)
            found = model.get_field(key) if model is not None and category is None else None
            if found is not None and found.is_relation and self.manager.schema is not None:
                target = self.manager.schema.get_model(found.type)
                out[key] = self.mask(item, depth + 1, target, None, None)
            elif found is not None:
                secret = "secret" if _SECRET_FIELD.search(key) else None
                out[key] = self.mask(item, depth + 1, model, known.get(key) or secret, key)
            elif category is None and _SECRET_FIELD.search(key):
                out[key] = self.mask(item, depth + 1, model, "secret", key)
            elif key == "parameters" and field is None:  # raw SQL's bound values are record values
                out[key] = self.mask(item, depth + 1, model, category, key)
            else:  # an operator (equals, in, set, ...) or an argument (where, data, ...): same field
                out[key] = self.mask(item, depth + 1, model, category, field)
        if len(items) > _MAX_ITEMS:
            out["…"] = f"{len(items) - _MAX_ITEMS} more"
        return out


def mask_args(
    args: Mapping[str, Any], *, model: str | None = None, manager: PiiManager | None = None
) -> dict[str, Any]:
    """A JSON-friendly copy of Prisma ``args`` with every value that may hold personal data masked.

    :param model: the operation's model: its fields' PII categories choose the masks.
    :param manager: the running infrastructure's `PiiManager` (schema, settings); default: `default_manager`.
    """
    manager = manager or default_manager()
    resolved = manager.schema.get_model(model) if model and manager.schema is not None else None
    return _ArgsMasker(manager).mapping(args, 0, resolved, None, None)

