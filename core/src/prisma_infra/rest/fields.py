"""Field names of JSON bodies that the decoder does not read, checked against what the API exposes.

`prisma_infra.rest.encoding` refuses hidden fields in data and ``where`` filters;
this module does the same for the other parts of a body: ``orderBy`` and the
aggregate selections (``_sum: {"views": true}``), with the query-string parser's
own check (`prisma_infra.rest.filters.FilterContext.field`): a hidden field is
refused as unknown (`UnknownFieldError`), its suggestion drawn from the visible
fields only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prisma_infra.rest.filters import FilterContext
    from prisma_infra.schema import Model

__all__ = ["AGGREGATES", "check_aggregate", "check_order"]

#: Prisma's aggregate selections.
AGGREGATES = ("_count", "_sum", "_avg", "_min", "_max")


def check_order(ctx: FilterContext, model: Model, order: Any, *, label: str = "orderBy") -> None:
    """The fields of a Prisma ``orderBy`` (a mapping or a list of them), relations followed."""
    items = order if isinstance(order, list) else [order]
    for item in items:
        if not isinstance(item, Mapping):
            continue
        for key, value in item.items():
            if key in AGGREGATES:
                check_aggregate(ctx, model, value, label=label)
                continue
            field = ctx.field(model, key, label)
            if field.relation is not None and isinstance(value, Mapping):
                inner = {k: v for k, v in value.items() if k != "_count"}
                check_order(ctx, ctx.target(field), inner, label=label)


def check_aggregate(ctx: FilterContext, model: Model, selection: Any, *, label: str = "aggregate") -> None:
    """The fields of an aggregate selection (``{"views": true}``; ``_all`` allowed)."""
    if isinstance(selection, Mapping):
        for name in selection:
            if name != "_all":
                ctx.field(model, name, label)
