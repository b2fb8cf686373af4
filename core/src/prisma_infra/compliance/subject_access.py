"""The data-subject access report: every record and audit event that refers to one person.

The subject is an e-mail address or a record id:

* an e-mail is looked up in every e-mail-like String field of every model
  (named like ``email``/``mail``, or classified ``email`` by the PII feature);
* an id is looked up as the primary key of ``model`` (or, for a String id, of
  every model whose single-field primary key is a String).

Those are the subject's primary records. Every record one relation away is
added: rows that hold a foreign key to a primary record (the user's posts and
comments), rows a primary record points at, and the other side of implicit
many-to-many relations. Reads go through the repositories, so access policies
apply. Audit events are those about any record found, and those the subject
performed as actor.

PII in records is shown in clear only to an authorised caller: one whose role
is in ``audit.report_roles`` (or ``pii.reveal_roles``); everyone else gets the
masked values. Audit events are those `infra.audit.stream` shows the caller:
scoped by the access policies (`prisma_infra.audit.scoping`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from prisma_infra.actor import actor_roles
from prisma_infra.audit.events import format_time, json_safe, key_of, record_key
from prisma_infra.audit.service import AUDIT
from prisma_infra.data.repository import repository
from prisma_infra.errors import PrismaInfraError, ValidationError

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.schema import Model, Relation

__all__ = ["SubjectAccessReport", "caller_roles", "subject_access"]

_EMAIL_FIELD = re.compile(r"e_?mail|mail$", re.I)
_PAGE = 1000


@dataclass(slots=True)
class SubjectAccessReport:
    """What `subject_access` found."""

    subject: str
    generated_at: str
    authorised: bool
    """True when PII is shown in clear (the caller's role is allowed)."""
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Model → records (primary records first)."""
    primary: list[dict[str, Any]] = field(default_factory=list)
    """``{"model", "key"}`` of each record that matched the subject directly."""
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        return sum(len(v) for v in self.records.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "generated_at": self.generated_at,
            "authorised": self.authorised,
            "primary": self.primary,
            "records": {m: [json_safe(r) for r in rows] for m, rows in self.records.items()},
            "events": self.events,
        }

    def write(self, path: str | Path) -> Path:
        """Write the report as JSON."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2))
        return target


def caller_roles(actor: Any) -> set[str]:
    """The roles of an actor (`prisma_infra.actor.actor_roles`)."""
    return set(actor_roles(actor))


def _allowed_roles(kernel: Kernel) -> set[str]:
    config = kernel.config
    return {*config.audit.report_roles, *config.pii.reveal_roles}


class _Finder:
    def __init__(self, kernel: Kernel) -> None:
        self.infra = kernel
        self.schema = kernel.schema
        self.found: dict[str, dict[str, dict[str, Any]]] = {}

    def key_fields(self, model: Model) -> tuple[str, ...]:
        return repository(self.infra, model.name).info.key_fields

    def add(self, model: Model, record: Mapping[str, Any]) -> tuple[str, str] | None:
        key = record_key(key_of(record, self.key_fields(model)))
        if key is None:
            return None
        self.found.setdefault(model.name, {}).setdefault(key, dict(record))
        return model.name, key

    async def find(self, model: Model, where: Mapping[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        repo = repository(self.infra, model.name)
        if repo.info.key_fields:
            async for batch in repo.stream(dict(where), batch_size=_PAGE):
                rows.extend(batch)
        else:
            found = await repo.find_many(dict(where))
            rows.extend(found if isinstance(found, list) else [])
        return rows

    def email_fields(self, model: Model) -> list[str]:
        from prisma_infra.audit.masking import PiiSeam

        categories = PiiSeam(self.infra).categories(model.name)
        return [
            f.name
            for f in model.scalar_fields
            if f.type == "String"
            and not f.is_list
            and (_EMAIL_FIELD.search(f.name) or categories.get(f.name) == "email")
        ]

    def email_where(self, name: str, subject: str) -> dict[str, Any]:
        provider = (self.schema.provider or "").lower()
        if provider in ("postgresql", "postgres"):
            return {name: {"equals": subject, "mode": "insensitive"}}
        return {name: subject}

    async def related(self, model: Model, record: Mapping[str, Any]) -> None:
        for relation in model.relations:
            await self._follow(model, relation, record)

    async def _follow(self, model: Model, relation: Relation, record: Mapping[str, Any]) -> None:
        target = self.schema.model(relation.to_model)
        where: dict[str, Any]
        if relation.is_implicit_many_to_many:
            keys = self.key_fields(model)
            if not keys or relation.opposite_field is None:
                return
            where = {relation.opposite_field: {"some": {k: record[k] for k in keys}}}
        elif relation.foreign_key_model == model.name and relation.holds_foreign_key:
            values = [record.get(f) for f in relation.fields]
            if any(v is None for v in values):
                return
            where = dict(zip(relation.references, values, strict=True))
        else:
            values = [record.get(f) for f in relation.references]
            if any(v is None for v in values):
                return
            where = dict(zip(relation.fields, values, strict=True))
        for row in await self.find(target, where):
            self.add(target, row)


async def subject_access(
    kernel: Kernel,
    subject: str | int,
    *,
    model: str | None = None,
    role: str | None = None,
    include_events: bool = True,
) -> SubjectAccessReport:
    """Build the data-subject access report for ``subject`` (an e-mail address or an id).

    :param model: the model whose primary key ``subject`` is (needed for non-String ids).
    :param role: the caller's role; default: the ``role``/``roles`` of the current actor.
    :param include_events: add the audit events (needs a queryable audit sink when on).
    """
    from prisma_infra.audit.masking import PiiSeam
    from prisma_infra.context import current_context

    schema = kernel.schema
    finder = _Finder(kernel)
    primary: list[tuple[Model, dict[str, Any]]] = []
    text = str(subject)
    if isinstance(subject, str) and "@" in subject:
        for candidate in schema.models:
            for name in finder.email_fields(candidate):
                for row in await finder.find(candidate, finder.email_where(name, subject)):
                    primary.append((candidate, row))
    else:
        if model is not None:
            candidates = [schema.model(model)]
        elif isinstance(subject, str):
            candidates = [
                m for m in schema.models
                if m.primary_key is not None and len(m.primary_key.fields) == 1
                and m.field(m.primary_key.fields[0]).type == "String"
            ]
        else:
            raise ValidationError(
                f"An id subject ({type(subject).__name__}) needs model=: which model is it the id of?"
            )
        for candidate in candidates:
            repo = repository(kernel, candidate.name)
            if len(repo.info.key_fields) != 1:
                continue
            value: Any = subject
            key_type = candidate.field(repo.info.key_fields[0]).type
            if key_type in ("Int", "BigInt") and isinstance(subject, str):
                if not subject.lstrip("-").isdigit():
                    continue
                value = int(subject)
            found = await repo.find_unique(value)
            if found is not None:
                primary.append((candidate, found))
    markers: list[dict[str, Any]] = []
    for candidate, row in primary:
        added = finder.add(candidate, row)
        if added is not None:
            markers.append({"model": added[0], "key": added[1]})
    for candidate, row in primary:
        await finder.related(candidate, row)

    roles = {role} if role is not None else caller_roles(current_context().actor)
    authorised = bool(roles & _allowed_roles(kernel))
    seam = PiiSeam(kernel)
    records: dict[str, list[dict[str, Any]]] = {}
    for model_name, rows in finder.found.items():
        shown = list(rows.values())
        records[model_name] = shown if authorised else [seam.mask(model_name, r, "export") for r in shown]

    events: list[dict[str, Any]] = []
    if include_events:
        wanted = {(m, k) for m, rows in finder.found.items() for k in rows}
        actors = {text} | {key for _, key in ((m["model"], m["key"]) for m in markers)}
        try:
            audit = kernel.services.get(AUDIT)
        except PrismaInfraError:
            audit = None
        if audit is not None:
            async for event in audit.stream():
                if (event.get("model"), event.get("record_key")) in wanted or event.get("actor") in actors:
                    events.append(event)
    return SubjectAccessReport(
        subject=text,
        generated_at=format_time(dt.datetime.now(dt.UTC)),
        authorised=authorised,
        records=records,
        primary=markers,
        events=events,
    )
