"""Field names of JSON bodies that the decoder does not read, checked against what the API exposes.

`prisma_infra.rest.encoding` refuses hidden fields in data and ``where`` filters;
this module does the same for the other parts of a body: ``orderBy``, the
aggregate selections (``_sum: {"views": true}``), ``by``, and the fields the
analytics parameters name. A hidden field is refused as unknown
(`UnknownFieldError`), its suggestion drawn from the visible fields only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prisma_infra.errors import UnknownFieldError
from prisma_infra.rest.exposure import Exposure, ModelExposure

__all__ = ["AGGREGATES", "check_aggregate", "check_field", "check_order"]

#: Prisma's aggregate selections.
AGGREGATES = ("_count", "_sum", "_avg", "_min", "_max")


def check_field(exposure: Exposure, model: str, name: str, *, where: str = "") -> ModelExposure:
    """Refuse ``name`` unless it is a visible field of ``model``; returns the model's exposure."""
    target = exposure.of(model)
    if target is None:  # a relation to a hidden model is itself hidden: never reached
        raise UnknownFieldError(model, name, (), where=where)
    if name in target.hidden or not target.model.has_field(name):
        raise UnknownFieldError(model, name, target.visible_fields(), where=where)
    return target


def check_order(exposure: Exposure, model: str, order: Any, *, label: str = "orderBy") -> None:
    """The fields of a Prisma ``orderBy`` (a mapping or a list of them), relations followed."""
    items = order if isinstance(order, list) else [order]
    for item in items:
        if not isinstance(item, Mapping):
            continue
        for key, value in item.items():
            if key in AGGREGATES:
                check_aggregate(exposure, model, value, label=label)
                continue
            field = check_field(exposure, model, key, where=label).model.field(key)
            if field.relation is not None and isinstance(value, Mapping):
                check_order(exposure, field.type, {k: v for k, v in value.items() if k != "_count"}, label=label)


def check_aggregate(exposure: Exposure, model: str, selection: Any, *, label: str = "aggregate") -> None:
    """The fields of an aggregate selection (``{"views": true}``; ``_all`` allowed)."""
    if isinstance(selection, Mapping):
        for name in selection:
            if name != "_all":
                check_field(exposure, model, name, where=label)
