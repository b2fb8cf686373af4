"""Audit queries see what the model's policies let the caller read (`AuditScope`).

An event describes one record of a model, so it is shown to the caller (the
ambient actor) only when the caller may read that record, and its ``before``,
``after`` and ``diff`` lose the fields the caller may not read (masked or
removed, as in query results). Which records are readable:

- a record that still exists: the one the database returns for the caller's
  read filter (``findMany`` on the keys in the result, the row filter AND-ed in);
- a record that no longer exists (deleted): decided in memory (`AccessPlan.decide`) on
  the image the event carries (``after``, else ``before``: the row as the delete
  found it) — only when the row filter reads nothing but columns the image holds
  in clear; a filter on a relation or on a column the trail stores masked hides
  the event (fail closed);
- events without a record (bulk writes without before-images, raw SQL): shown
  when the caller reads every row of the model; raw SQL events and events
  without a model only to actors allowed raw SQL (``policies.raw_roles``).

Bypassing policies (``infra.policies.bypass()``), or a caller the policies do
not restrict, sees every event unchanged. A scoped event is a view: its hash no
longer verifies (``verify`` reads the trail itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prisma_infra.audit.events import Event, json_safe, record_key
from prisma_infra.errors import PrismaInfraError
from prisma_infra.operation import Action
from prisma_infra.policies.decider import PolicyDecider, bypass_policies, policies_bypassed
from prisma_infra.policies.evaluator import MissingRelationError
from prisma_infra.policies.masking import mask_value
from prisma_infra.policies.service import POLICIES
from prisma_infra.policies.where import fields_read

if TYPE_CHECKING:
    from prisma_infra.audit.masking import PiiSeam
    from prisma_infra.kernel import Kernel
    from prisma_infra.policies.actor import ActorView
    from prisma_infra.policies.rules import AccessPlan

__all__ = ["AuditScope"]

_RAW = frozenset({Action.QUERY_RAW.value, Action.EXECUTE_RAW.value})
_CHUNK = 500


class AuditScope:
    """Filters and masks audit events for the ambient actor (see the module documentation)."""

    def __init__(self, kernel: Kernel, decider: PolicyDecider, actor: ActorView, seam: PiiSeam) -> None:
        self._infra = kernel
        self.decider = decider
        self.actor = actor
        self.seam = seam

    @classmethod
    def current(cls, kernel: Kernel, seam: PiiSeam) -> AuditScope | None:
        """The scope of the ambient actor; ``None`` when policies do not apply (bypassed, disabled, none)."""
        from prisma_infra.context import current_context

        if policies_bypassed():
            return None
        try:
            decider = kernel.services.get(POLICIES)
        except PrismaInfraError:
            return None
        if decider is None or not decider.enabled:
            return None
        if not decider.models and decider.default == "allow" and decider.raw_roles is None:
            return None
        ambient = current_context()
        return cls(kernel, decider, decider.view(ambient.actor, ambient.tenant), seam)

    def _raw_allowed(self) -> bool:
        roles = self.decider.raw_roles
        return roles is None or bool(roles & self.actor.roles)

    async def apply(self, events: Sequence[Event]) -> list[Event]:
        """The events the actor may see, in order, with unreadable fields masked or removed."""
        by_model: dict[str, list[Event]] = {}
        for event in events:
            if event.get("model") is not None:
                by_model.setdefault(event["model"], []).append(event)
        visible: set[int] = set()
        for model, group in by_model.items():
            visible |= await self._visible(model, group)
        out: list[Event] = []
        for event in events:
            name: str | None = event.get("model")
            if event.get("action") in _RAW or name is None:
                if not self._raw_allowed() or (name is not None and id(event) not in visible):
                    continue
            elif id(event) not in visible:
                continue
            out.append(self._mask(name, event) if name is not None else event)
        return out

    async def _visible(self, model: str, events: list[Event]) -> set[int]:
        if self._infra.schema.get_model(model) is None:
            return set()  # a model no longer in the schema: nothing says who may read it
        plan = self.decider.plan(self.actor, model, Action.FIND_MANY)
        if plan.denial is not None:
            return set()
        if plan.filter is None:
            return {id(e) for e in events}
        keyed = [e for e in events if isinstance(e.get("record_id"), Mapping) and e["record_id"]]
        readable, existing = await self._readable_keys(model, plan, keyed)
        out: set[int] = set()
        for event in keyed:
            key = event.get("record_key")
            if key in readable or (key not in existing and self._decide_on_image(model, plan, event)):
                out.add(id(event))
        return out

    async def _readable_keys(self, model: str, plan: AccessPlan, events: list[Event]) -> tuple[set[Any], set[Any]]:
        """Record keys of ``events`` the actor may read now, and those that exist at all."""
        ids: dict[str, Mapping[str, Any]] = {}
        for event in events:
            ids.setdefault(str(event.get("record_key")), event["record_id"])
        readable: set[Any] = set()
        existing: set[Any] = set()
        wanted = list(ids.values())
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            keys = sorted({k for rid in chunk for k in rid})
            select = dict.fromkeys(keys, True)
            where: dict[str, Any] = {"OR": [dict(rid) for rid in chunk]}
            with bypass_policies():  # the row filter is added here, as the policies middleware would
                allowed = await self._infra.call(model, "findMany", {"where": {"AND": [where, plan.filter]},
                                                                     "select": select})
                found = await self._infra.call(model, "findMany", {"where": where, "select": select})
            readable |= {_key(row, keys) for row in allowed}
            existing |= {_key(row, keys) for row in found}
        return readable, existing

    def _decide_on_image(self, model: str, plan: AccessPlan, event: Event) -> bool:
        image = event.get("after") or event.get("before")
        if not isinstance(image, Mapping):
            return False
        scalars, relations = fields_read(self.decider.schema, model, plan.filter)
        masked = set(self.seam.categories(model))
        if relations or not scalars <= set(image) or scalars & masked:
            return False  # the image cannot answer the filter in clear: hide (fail closed)
        try:
            return plan.decide(image, schema=self.decider.schema).allowed
        except MissingRelationError:
            return False

    def _mask(self, model: str, event: Event) -> Event:
        rules = self.decider.field_rules(self.actor, model)
        if not rules:
            return event
        before, after, diff = event.get("before"), event.get("after"), event.get("diff")
        probe: dict[str, Any] = {**(diff or {}), **(before or {}), **(after or {})}
        unreadable = self.decider.unreadable_in(rules, self.actor, model, probe)
        if not unreadable:
            return event
        out = dict(event)
        for name in ("before", "after"):
            if isinstance(out.get(name), Mapping):
                out[name] = self.decider.mask_fields(unreadable, model, out[name])
        if isinstance(diff, Mapping):
            changes: dict[str, Any] = {}
            for field, change in diff.items():
                rule = unreadable.get(field)
                if rule is None:
                    changes[field] = change
                elif rule.read != "hide" and isinstance(change, Mapping):
                    masker = self.decider.masker
                    changes[field] = {
                        side: mask_value(value, rule.mask, model=model, field=field, masker=masker)
                        for side, value in change.items()
                    }
            out["diff"] = changes
        return out


def _key(row: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    return record_key({k: json_safe(row.get(k)) for k in keys})
