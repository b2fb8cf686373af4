"""Retention enforcement: delete or anonymise records older than a per-model limit.

Configured per model::

    [models.Session]
    retention_days = 30
    retention_field = "createdAt"    # a DateTime field
    retention_action = "delete"      # or "anonymise"

Everything runs through the repositories, in batches, each batch in its own
transaction, so every deleted or anonymised record gets its audit event (with
its before-image), and policies apply. Anonymising sets each PII field (as the
PII feature classifies it, or ``models.<Model>.pii``) to ``null`` when the
field is optional, else to ``anonymised-<Model>-<key>-<field>`` (unique per
record, so unique constraints hold); records already anonymised are skipped.
A summary event (action ``retention``) is added to the trail per model.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import TYPE_CHECKING, Any

from prisma_infra.audit.events import format_time, key_of, record_key
from prisma_infra.audit.service import AUDIT
from prisma_infra.data.repository import repository
from prisma_infra.data.transaction import transaction
from prisma_infra.errors import ConfigurationError, PrismaInfraError

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.schema import Model

__all__ = ["ANONYMISED_PREFIX", "RetentionResult", "enforce_retention"]

log = logging.getLogger("prisma_infra.compliance")

ANONYMISED_PREFIX = "anonymised-"
RETENTION_ACTOR = "system:retention"


@dataclass(slots=True)
class RetentionResult:
    """The outcome for one model."""

    model: str
    action: str
    field: str
    cutoff: str
    matched: int = 0
    affected: int = 0
    failed_batches: int = 0
    skipped_fields: list[str] = dc_field(default_factory=list)
    """PII fields that could not be anonymised (required and not a String)."""
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "action": self.action,
            "field": self.field,
            "cutoff": self.cutoff,
            "matched": self.matched,
            "affected": self.affected,
            "failed_batches": self.failed_batches,
            "skipped_fields": self.skipped_fields,
            "dry_run": self.dry_run,
        }


def _retention_field(model: Model, configured: str | None) -> str:
    name = configured
    if name is None:
        name = next((n for n in ("createdAt", "created_at", "created") if model.has_field(n)), None)
        if name is None:
            raise ConfigurationError(
                f"models.{model.name}.retention_field is not set and {model.name} has no createdAt field: "
                "name the DateTime field that dates a record"
            )
    found = model.field(name)
    if found.type != "DateTime" or found.is_list:
        raise ConfigurationError(f"models.{model.name}.retention_field: {name} is a {found.type}, not a DateTime")
    return name


def _anonymised(model: str, key: str, name: str) -> str:
    return f"{ANONYMISED_PREFIX}{model}-{key}-{name}"


async def enforce_retention(
    kernel: Kernel,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    models: list[str] | None = None,
    batch_size: int = 500,
) -> dict[str, RetentionResult]:
    """Apply every model's retention limit; returns a `RetentionResult` per model.

    :param now: the reference time (default: now, UTC).
    :param dry_run: count what would change, change nothing.
    :param models: only these models (default: every model with ``retention_days``).
    """
    from prisma_infra.context import acting_as, current_context

    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    config = kernel.config
    schema = kernel.schema
    wanted = {schema.model(m).name for m in models} if models else None
    results: dict[str, RetentionResult] = {}
    ambient = current_context()
    context = (
        acting_as(RETENTION_ACTOR, tenant=ambient.tenant, request_id=ambient.request_id)
        if ambient.actor is None
        else contextlib.nullcontext()
    )
    with context:
        for name, settings in config.models.items():
            if settings.retention_days is None:
                continue
            model = schema.model(name)
            if wanted is not None and model.name not in wanted:
                continue
            date_field = _retention_field(model, settings.retention_field)
            cutoff = now - dt.timedelta(days=settings.retention_days)
            result = RetentionResult(
                model.name, settings.retention_action, date_field, format_time(cutoff), dry_run=dry_run
            )
            where: dict[str, Any] = {date_field: {"lt": cutoff}}
            if settings.retention_action == "delete":
                await _delete(kernel, model, where, result, batch_size)
            else:
                await _anonymise(kernel, model, where, result, batch_size)
            results[model.name] = result
            if not dry_run:
                await _summary(kernel, result)
    return results


async def _delete(
    kernel: Kernel, model: Model, where: dict[str, Any], result: RetentionResult, batch_size: int
) -> None:
    repo = repository(kernel, model.name)
    if result.dry_run:
        result.matched = int(await repo.count(where))
        return
    outcome = await repo.bulk_delete(where, batch_size=batch_size)
    result.matched, result.affected, result.failed_batches = outcome.matched, outcome.affected, len(outcome.failures)


async def _anonymise(
    kernel: Kernel, model: Model, where: dict[str, Any], result: RetentionResult, batch_size: int
) -> None:
    from prisma_infra.audit.masking import PiiSeam

    categories = PiiSeam(kernel).categories(model.name)
    nullable: list[str] = []
    strings: list[str] = []
    for name in categories:
        found = model.get_field(name)
        if found is None or found.is_id or found.is_read_only or found.is_list or found.kind != "scalar":
            continue
        if not found.is_required:
            nullable.append(name)
        elif found.type == "String":
            strings.append(name)
        else:
            result.skipped_fields.append(name)
    if not nullable and not strings:
        log.warning("retention: %s has no PII field to anonymise", model.name)
        return
    # Only records with something left to anonymise.
    pending = [{n: {"not": None}} for n in nullable] + [{n: {"not": {"startsWith": ANONYMISED_PREFIX}}}
                                                         for n in strings]
    filters = {"AND": [where, {"OR": pending}]}
    repo = repository(kernel, model.name)
    if result.dry_run:
        result.matched = int(await repo.count(filters))
        return
    keys = repo.info.key_fields
    if not keys:
        raise PrismaInfraError(f"{model.name} has no key: records cannot be anonymised one by one")
    async for batch in repo.stream(filters, batch_size=batch_size, select={k: True for k in keys}):
        result.matched += len(batch)
        try:
            async with transaction(kernel) as tx:
                tx_repo = tx.repository(model.name)
                for row in batch:
                    key = record_key(key_of(row, keys)) or ""
                    data: dict[str, Any] = {n: None for n in nullable}
                    data.update({n: _anonymised(model.name, key, n) for n in strings})
                    where_key = row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)
                    await tx_repo.update(where_key, data)
        except PrismaInfraError as exc:
            result.failed_batches += 1
            log.error("retention: a batch of %s could not be anonymised: %s", model.name, exc)
        else:
            result.affected += len(batch)


async def _summary(kernel: Kernel, result: RetentionResult) -> None:
    try:
        audit = kernel.services.get(AUDIT)
    except PrismaInfraError:
        return
    if audit is None:
        return
    await audit.record("retention", model=result.model, details=result.to_dict())
