"""`ModelInfo`: what repositories need to know about one model, computed once per schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prisma_infra.errors import ValidationError

if TYPE_CHECKING:
    from prisma_infra.schema import Model, Relation, Schema

__all__ = ["ModelInfo"]

#: Providers whose ``contains`` needs ``mode: "insensitive"`` to ignore case (the others ignore it by collation).
_MODE_PROVIDERS = frozenset({"postgresql", "postgres", "cockroachdb", "mongodb"})


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What repositories need to know about one model, computed once per schema."""

    model: Model
    name: str
    key_fields: tuple[str, ...]
    """The primary key's fields (or the first unique key's, for a model without ``@id``)."""
    key_name: str
    """Prisma's where-unique name for ``key_fields`` (``id``, ``a_b``, or the ``name:`` given)."""
    string_fields: tuple[str, ...]
    """Non-list String fields, without generated ids and foreign keys: the default search fields."""
    relations: Mapping[str, Relation]
    provider: str | None
    insensitive_mode: bool
    """Whether case-insensitive ``contains`` needs ``mode: "insensitive"`` on this provider."""
    key_orders: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    """Key fields without ``gt`` in Prisma (enums, Booleans) and their values in order (`prisma_infra.data.keyset`)."""

    @classmethod
    def build(cls, schema: Schema, model: Model, provider: str | None) -> ModelInfo:
        if model.primary_key is not None:
            key_fields, key_name = model.primary_key.fields, model.primary_key.key
        elif model.unique_constraints:
            first = model.unique_constraints[0]
            key_fields, key_name = first.fields, first.key
        else:  # Prisma requires an id or a unique key; keep going for hand-built schemas
            key_fields, key_name = (), ""
        strings = tuple(
            f.name
            for f in model.fields
            if f.kind == "scalar"
            and f.type == "String"
            and not f.is_list
            and not f.is_read_only
            and not (f.is_id and f.default is not None and f.default.is_function)
        )
        relations = {f.name: f.relation for f in model.fields if f.relation is not None}
        provider = provider or schema.provider
        return cls(
            model=model,
            name=model.name,
            key_fields=tuple(key_fields),
            key_name=key_name,
            string_fields=strings,
            relations=relations,
            provider=provider,
            insensitive_mode=(provider or "").lower() in _MODE_PROVIDERS,
            key_orders=key_orders(schema, model, tuple(key_fields)),
        )

    def unique_where(self, where: Any) -> dict[str, Any]:
        """A where-unique: a mapping passes through; a bare key value (or tuple for compounds) is the primary key."""
        if isinstance(where, Mapping):
            return dict(where)
        if len(self.key_fields) == 1:
            return {self.key_fields[0]: where}
        if isinstance(where, list | tuple) and len(where) == len(self.key_fields):
            return {self.key_name: dict(zip(self.key_fields, where, strict=True))}
        raise ValidationError(
            f"{self.name}: a where-unique must be a mapping or a key value for ({', '.join(self.key_fields)}), "
            f"got {where!r}",
            model=self.name,
        )


def key_orders(schema: Schema, model: Model, fields: tuple[str, ...]) -> dict[str, tuple[Any, ...]]:
    """The key fields Prisma compares by equality only, with their values in the schema's order.

    Booleans ``(False, True)``; enums as declared. Keyset walks go by these (`prisma_infra.data.keyset`),
    never by how a database sorts them.
    """
    orders: dict[str, tuple[Any, ...]] = {}
    for name in fields:
        found = model.get_field(name)
        if found is None:
            continue
        if found.kind == "scalar" and found.type == "Boolean":
            orders[name] = (False, True)
        elif found.kind == "enum":
            orders[name] = schema.enum(found.type).value_names
    return orders
