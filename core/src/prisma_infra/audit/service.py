"""What the audit feature publishes (`AUDIT`: the runtime's `AuditManager`, ``infra.audit``) and keeps
for the life of the infrastructure (one `AuditWriter` per chain and buffer folder, `audit_writers`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prisma_infra.stash import ServiceKey, Stash, StashKey

if TYPE_CHECKING:
    from prisma_infra.audit.manager import AuditManager
    from prisma_infra.audit.writer import AuditWriter

__all__ = ["AUDIT", "audit_writers"]

AUDIT: ServiceKey[AuditManager] = ServiceKey(
    "audit",
    missing=(
        "The audit trail is off: name at least one sink in audit.sinks (e.g. ['file']) "
        "and keep audit.enabled and the 'audit' middleware on"
    ),
)
_WRITERS: StashKey[dict[tuple[str, Path], AuditWriter]] = StashKey("audit.writers")


def audit_writers(stash: Stash) -> dict[tuple[str, Path], AuditWriter]:
    """The writers of one infrastructure by ``(chain, buffer folder)``: a reload keeps a chain's writer
    (its sequence and hash state), see `AuditWriter.acquire`."""
    return stash.setdefault(_WRITERS, {})
