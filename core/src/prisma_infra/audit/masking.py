"""The one seam between audit/compliance and PII masking.

`PiiSeam.mask(model, record, purpose)` masks a record's PII fields. When the
PII feature runs, its `prisma_infra.ports.masking.Masking` (published under
``MASKING``) decides everything (classification from the schema and values,
strategies, keys). Without it, a small fallback classifies fields by name
(plus ``models.<Model>.pii`` overrides) and masks them: e-mail addresses
partially (``j***@example.com``), everything else redacted (``***``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.errors import PrismaInfraError
from prisma_infra.ports.masking import MASKING, Masking

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.schema import Model

__all__ = ["PiiSeam", "fallback_categories", "mask_value"]

log = logging.getLogger("prisma_infra.audit")

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"e_?mail"), "email"),
    (re.compile(r"phone|mobile|^tel$|telephone|^fax"), "phone"),
    (re.compile(r"iban"), "iban"),
    (re.compile(r"card_?(number|no)|^pan$|credit_?card"), "card"),
    (re.compile(r"ssn|national_?id|passport|tax_?id|social_?security"), "national_id"),
    (re.compile(r"^ip$|ip_?addr|remote_?addr"), "ip"),
    (re.compile(r"birth|^dob$"), "dob"),
    (re.compile(r"address|street|postcode|postal_?code|zip_?code"), "address"),
    (re.compile(r"password|passwd|secret|api_?key|access_?token|refresh_?token"), "secret"),
)
_PERSON_NAME = re.compile(r"^(first|last|full|given|family|middle|display|real)?_?name$|^surname$")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def fallback_categories(model: Model, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Field → PII category by field name (String-like scalars), with ``overrides`` applied (``"none"`` drops)."""
    found: dict[str, str] = {}
    scalars = [f for f in model.fields if f.kind in ("scalar", "enum")]
    has_contact = any(_RULES[0][0].search(_snake(f.name)) for f in scalars)
    for field in scalars:
        if field.is_id or field.is_read_only or field.type in ("Boolean", "Int", "Float", "Decimal", "BigInt"):
            continue
        name = _snake(field.name)
        for pattern, category in _RULES:
            if pattern.search(name):
                found[field.name] = category
                break
        else:
            # "name" alone is a person's name only beside contact data (User.name, not Tag.name).
            if field.type == "String" and _PERSON_NAME.match(name) and (name != "name" or has_contact):
                found[field.name] = "person_name"
    for name, category in (overrides or {}).items():
        if category == "none":
            found.pop(name, None)
        else:
            found[name] = category
    return found


def mask_value(value: Any, category: str) -> Any:
    """The fallback masking of one value."""
    if value is None:
        return None
    if not isinstance(value, str):
        return "***"
    if category == "email" and "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return "***"


class PiiSeam:
    """Masks records for audit events and reports (see the module documentation)."""

    def __init__(self, kernel: Kernel) -> None:
        self._infra = kernel
        self._fallback: dict[str, dict[str, str]] = {}

    def _masking(self) -> Masking | None:
        try:
            return self._infra.services.get(MASKING)
        except PrismaInfraError:  # not started
            return None

    def categories(self, model: str) -> dict[str, str]:
        """Field → PII category of ``model`` (from the PII feature when it runs)."""
        masking = self._masking()
        if masking is not None:
            try:
                return dict(masking.field_categories(model))
            except Exception as exc:  # invalid PII settings: classify by name rather than not at all
                log.warning("PII categories of %s unavailable (%s); using the fallback", model, exc)
        cached = self._fallback.get(model)
        if cached is None:
            schema_model = self._infra.schema.model(model)
            overrides = self._infra.config.model_settings(schema_model.name).pii
            cached = self._fallback[model] = fallback_categories(schema_model, overrides)
        return cached

    def mask(self, model: str | None, record: Mapping[str, Any] | None, purpose: str = "audit") -> Any:
        """``record`` with its PII masked for ``purpose`` (``audit``, ``export``, ``report``)."""
        if record is None or model is None:
            return record
        masking = self._masking()
        if masking is not None:
            try:
                return masking.mask_record(model, record, purpose=purpose)
            except Exception as exc:  # never let a masking bug leak clear values: fall back
                log.warning("PII manager failed to mask %s for %s (%s); using the fallback", model, purpose, exc)
        categories = self.categories(model)
        if not categories:
            return dict(record)
        return {k: (mask_value(v, categories[k]) if k in categories else v) for k, v in record.items()}
