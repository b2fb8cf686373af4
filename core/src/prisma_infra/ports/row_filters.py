"""Read access: what the access policies let the caller read, for features that read around the pipeline.

The policies feature (`prisma_infra.policies`) publishes a `ReadAccess` under
`ROW_FILTERS` in ``runtime.services`` when its middleware starts. Each method
applies the policies exactly as the policies middleware does on an ordinary
read, and is a no-op while policies are disabled (``policies.enabled = false``)
or bypassed (``with infra.policies.bypass():``). When nothing is published (the
policies middleware is disabled) there is nothing to apply.

* the cache facade (``infra.cache.model(...).get``): `scope_read`;
* full-text search: `unreadable_fields` (a field masked or hidden is never searched);
* analytics' SQL path: `aggregate_scope` (the row filter to AND into the statement).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from prisma_infra.stash import ServiceKey

if TYPE_CHECKING:
    from prisma_infra.operation import Operation
    from prisma_infra.schema.model import Field, Model

__all__ = ["READ_ACCESS", "ROW_FILTERS", "ReadAccess", "RowFilter", "ScopedRead"]

#: A Prisma ``where`` the rows must also match; ``None``: no restriction.
RowFilter = Mapping[str, Any] | None
#: An operation as the policies send it on, and the scoping of its result on the way back.
ScopedRead = tuple["Operation", Callable[[Any], Any]]


class ReadAccess(Protocol):
    """The caller's read access under the access policies (see the module documentation)."""

    def scope_read(self, operation: Operation) -> ScopedRead:
        """A model read (its context's actor) as the policies middleware sends it on: the row filter
        AND-ed into ``where``, unreadable fields refused; and the function that masks its result.

        :raises AccessDeniedError: the actor may not read the model.
        :raises FieldReadDeniedError: the read filters, orders or selects on a field it may not read.
        """
        ...

    def unreadable_fields(self, model: str) -> Collection[str]:
        """The fields of ``model`` a field rule masks or hides for the ambient actor."""
        ...

    def aggregate_scope(
        self, model: Model, where: Mapping[str, Any] | None, used: Sequence[tuple[Field, str]]
    ) -> tuple[RowFilter, Mapping[str, Any] | None]:
        """``(row filter, where)`` for the ambient actor: the filter to AND into raw SQL, and the
        query's own ``where`` as the actor may use it.

        :param used: the fields the query computes on, each with what it does (``"analytics group_by"``).
        :raises AccessDeniedError: the actor may not read the model.
        :raises FieldReadDeniedError: a used field is masked or hidden for the actor.
        """
        ...


ROW_FILTERS: ServiceKey[ReadAccess] = ServiceKey(
    "row filters", missing="Access policies are not available: the 'policies' middleware is disabled"
)
#: The same key under the name of what it offers.
READ_ACCESS = ROW_FILTERS
