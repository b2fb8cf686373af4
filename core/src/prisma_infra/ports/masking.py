"""Masking of personal data: what the PII feature offers audit, policies, monitoring and compliance.

The PII feature (`prisma_infra.pii`) publishes its implementation under `MASKING` in
``runtime.services`` when its middleware starts; it classifies fields from the
schema, the configuration and sampled values, and applies the configured
strategies (``pii.strategies``, ``pii.fields``, ``pii.purposes``). A consumer reads
``kernel.services.get(MASKING)``; ``None`` means the PII feature is disabled and
the consumer masks on its own, more rather than less (audit: by field name;
policies: to ``None``; monitoring: every string).

A method may raise (invalid PII settings are reported when masking is first
needed): a consumer must then hide the value, never show it clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from prisma_infra.stash import ServiceKey

__all__ = ["MASKING", "Masking"]


class Masking(Protocol):
    """PII masking of records, single values, operation arguments and free text."""

    def field_categories(self, model: str) -> Mapping[str, str]:
        """The PII fields of ``model`` and their categories (``{"email": "email", "iban": "iban"}``)."""
        ...

    def mask_record(
        self, model: str, record: Mapping[str, Any], *, purpose: str = "audit", role: str | None = None
    ) -> dict[str, Any]:
        """A copy of ``record`` with its PII fields masked for ``purpose``, relations included.

        :param purpose: ``audit``, ``log``, ``export``, ``report`` or ``result`` (``pii.purposes.<purpose>``).
        :param role: for ``result``/``export``, a role in ``pii.reveal_roles`` gets the record unmasked.
        """
        ...

    def apply_strategy(self, value: Any, strategy: str, *, model: str, field: str) -> Any:
        """``value`` of ``model.field`` masked with ``strategy`` (``redact``, ``partial``, ``hash``, ``token``),
        with the field's PII category (``generic`` when unclassified): a policy's field rule ``mask``."""
        ...

    def mask_args(self, args: Mapping[str, Any], *, model: str | None = None) -> dict[str, Any]:
        """A JSON-friendly copy of Prisma ``args`` with every value that may hold personal data masked."""
        ...

    def mask_text(self, text: str, *, args: Mapping[str, Any] | None = None, purpose: str = "log") -> str:
        """``text`` (a log line, an error message, a traceback) with the PII the detectors find masked.

        :param args: the arguments of the operation the text is about: their values are masked
            wherever they occur, whether or not a detector recognises them.
        """
        ...


MASKING: ServiceKey[Masking] = ServiceKey(
    "masking", missing="PII masking is not available: the 'pii' middleware is disabled (pipeline.disable)"
)
