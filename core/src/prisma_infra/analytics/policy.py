"""Access policies on analytics queries, the same on the Prisma path and on the raw-SQL path.

The caller (the ambient actor) gets the model's read plan: a denial refuses the
query; the row filter is AND-ed into the SQL (the Prisma path runs through the
policies middleware, which adds it there). Fields a field rule masks or hides
for the caller are never grouped, aggregated, bucketed or filtered on: they are
refused by name (`FieldReadDeniedError`), whatever the rule's ``on_query`` — a
metric or group column cannot be dropped without changing the result's shape —
except in the filter, where ``on_query = "drop"`` removes the condition as in
any other read.

The policies feature publishes all this as the read-access port
(`prisma_infra.ports.row_filters`); analytics reads the port and never the
policies behind it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prisma_infra.context import bypass_policies
from prisma_infra.errors import PrismaInfraError
from prisma_infra.ports.row_filters import ROW_FILTERS

if TYPE_CHECKING:
    from prisma_infra.analytics.plan import Restrict
    from prisma_infra.kernel import Kernel
    from prisma_infra.schema.model import Field, Model

__all__ = ["bypass_policies", "restrict_for"]


def restrict_for(kernel: Kernel) -> Restrict:
    """The caller's access policies on a query of ``kernel``'s current runtime (`plan_query`'s ``restrict``)."""

    def restrict(
        model: Model, where: Mapping[str, Any] | None, used: Sequence[tuple[Field, str]]
    ) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
        try:
            access = kernel.services.get(ROW_FILTERS)
        except PrismaInfraError:  # not started
            return None, where
        if access is None:  # the policies middleware is disabled
            return None, where
        return access.aggregate_scope(model, where, used)

    return restrict
