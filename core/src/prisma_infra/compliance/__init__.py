"""Compliance reports: data-subject access, audit trail export for a period, retention enforcement.

``infra.compliance`` returns `ComplianceReports` for a running infrastructure;
``prisma-infra compliance ...`` runs the same from the command line. The PII
inventory report belongs to the PII feature (``infra.pii``, ``prisma-infra pii scan``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_infra.audit.service import AUDIT
from prisma_infra.compliance.retention import RetentionResult, enforce_retention
from prisma_infra.compliance.subject_access import SubjectAccessReport, subject_access

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel

__all__ = ["ComplianceReports", "RetentionResult", "SubjectAccessReport", "enforce_retention", "subject_access"]


class ComplianceReports:
    """The compliance reports of one infrastructure (``infra.compliance``)."""

    def __init__(self, kernel: Kernel) -> None:
        self._infra = kernel

    async def subject_access(
        self,
        subject: str | int,
        *,
        model: str | None = None,
        role: str | None = None,
        include_events: bool = True,
    ) -> SubjectAccessReport:
        """Every record and audit event that refers to ``subject`` (an e-mail or an id; see `subject_access`)."""
        return await subject_access(self._infra, subject, model=model, role=role, include_events=include_events)

    async def audit_export(
        self,
        path: str | Path,
        *,
        since: str | dt.datetime | dt.date | None = None,
        until: str | dt.datetime | dt.date | None = None,
        format: str = "jsonl",
        sink: str | None = None,
    ) -> int:
        """The audit trail between ``since`` (inclusive) and ``until`` (exclusive) as JSON lines or CSV."""
        audit = self._infra.services.require(AUDIT)
        return await audit.export(path, format=format, since=since, until=until, sink=sink)

    async def enforce_retention(
        self,
        *,
        now: dt.datetime | None = None,
        dry_run: bool = False,
        models: list[str] | None = None,
        batch_size: int = 500,
    ) -> dict[str, RetentionResult]:
        """Delete or anonymise records past their model's ``retention_days`` (audited); counts per model."""
        return await enforce_retention(self._infra, now=now, dry_run=dry_run, models=models, batch_size=batch_size)
