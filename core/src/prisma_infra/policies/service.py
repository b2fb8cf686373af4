"""What the policies feature publishes: the runtime's `PolicyDecider` (`POLICIES`, ``infra.policies``),
its read access for other features (`prisma_infra.ports.row_filters.ROW_FILTERS`), and the
code-defined policies kept for the life of the infrastructure (`policy_registry`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prisma_infra.context import current_context
from prisma_infra.operation import Action, Operation
from prisma_infra.policies.decider import PolicyDecider, policies_bypassed
from prisma_infra.policies.reads import ReadScope, prepare_read, scope_where
from prisma_infra.policies.registry import PolicyRegistry
from prisma_infra.ports.row_filters import RowFilter, ScopedRead
from prisma_infra.stash import ServiceKey, Stash, StashKey

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.schema.model import Field, Model

__all__ = ["POLICIES", "PolicyReadAccess", "policy_registry"]

POLICIES: ServiceKey[PolicyDecider] = ServiceKey(
    "policies", missing="Access policies are not available: the 'policies' middleware is disabled"
)
_REGISTRY: StashKey[PolicyRegistry] = StashKey("policies.registry")


def policy_registry(owner: Kernel | Stash) -> PolicyRegistry:
    """The code-defined policies of an infrastructure (``infra.define_policy``), kept across reloads."""
    stash = owner if isinstance(owner, Stash) else owner.stash
    return stash.setdefault(_REGISTRY, PolicyRegistry())


def _same(value: Any) -> Any:
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class PolicyReadAccess:
    """`prisma_infra.ports.row_filters.ReadAccess` over one runtime's decider."""

    decider: PolicyDecider

    def _applies(self) -> bool:
        return self.decider.enabled and not policies_bypassed()

    def scope_read(self, operation: Operation) -> ScopedRead:
        prepared = prepare_read(self.decider, operation)
        if prepared is None:
            return operation, _same
        return prepared.operation, prepared.finish

    def unreadable_fields(self, model: str) -> Collection[str]:
        if not self._applies():
            return ()
        ambient = current_context()
        return self.decider.read_restrictions(ambient.actor, model, tenant=ambient.tenant).keys()

    def aggregate_scope(
        self, model: Model, where: Mapping[str, Any] | None, used: Sequence[tuple[Field, str]]
    ) -> tuple[RowFilter, Mapping[str, Any] | None]:
        if not self._applies():
            return None, where
        decider = self.decider
        ambient = current_context()
        actor = decider.view(ambient.actor, ambient.tenant)
        plan = decider.plan(actor, model.name, Action.FIND_MANY)
        if plan.denial is not None:
            raise plan.denial.error(model.name, Action.AGGREGATE.value)
        scope = ReadScope(decider, actor, Action.AGGREGATE)
        for field, usage in used:
            scope.keep(model.name, field.name, usage, droppable=False)
        scoped = scope_where(scope, model, where, usage="analytics where") if where else where
        return plan.filter, scoped
