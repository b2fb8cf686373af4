"""Build a `Schema` from Prisma's datamodel JSON (``get_datamodel`` / ``get_dmmf`` of prisma-schema-wasm).

Accepted inputs, all as parsed JSON:

- the bare datamodel: ``{"models": [...], "enums": [...], "types": [...], "indexes": [...]}``;
- a full DMMF: ``{"datamodel": {...}, "schema": {...}, "mappings": {...}}``;
- the fixture shape ``{"provider": "postgresql", "datamodel": {...}}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from prisma_infra.errors import ValidationError
from prisma_infra.schema.model import (
    Enum,
    EnumValue,
    Field,
    FieldDefault,
    FieldKind,
    Index,
    IndexType,
    Model,
    Relation,
    Schema,
    UniqueConstraint,
)

__all__ = ["build_schema", "datamodel_hash"]

_KINDS = frozenset({"scalar", "enum", "object", "unsupported"})
_INDEX_TYPES = frozenset({"id", "unique", "normal", "fulltext"})


def datamodel_hash(datamodel: Mapping[str, Any]) -> str:
    """SHA-256 of the datamodel's canonical JSON: equal datamodels hash equal, whatever their key order."""
    canonical = json.dumps(datamodel, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_schema(data: Mapping[str, Any], *, provider: str | None = None) -> Schema:
    """Build a `Schema`; see the module docstring for the accepted shapes."""
    if not isinstance(data, Mapping):
        raise ValidationError(f"Expected Prisma's datamodel as a mapping, got {type(data).__name__}.")
    datamodel: Mapping[str, Any] = data
    if "datamodel" in data:
        datamodel = data["datamodel"]
        if provider is None and isinstance(data.get("provider"), str):
            provider = data["provider"]
    if not isinstance(datamodel, Mapping) or not isinstance(datamodel.get("models"), list):
        raise ValidationError("Not a Prisma datamodel: expected a 'models' list (or a DMMF with 'datamodel').")

    raw_models: list[Mapping[str, Any]] = datamodel["models"]
    raw_indexes: list[Mapping[str, Any]] = list(datamodel.get("indexes") or [])
    relations = _relations(raw_models)
    models = tuple(_model(m, [i for i in raw_indexes if i.get("model") == m["name"]], relations) for m in raw_models)
    enums = tuple(_enum(e) for e in datamodel.get("enums") or [])
    return Schema(models=models, enums=enums, provider=provider, hash=datamodel_hash(datamodel))


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if value else ()


def _freeze(value: Any) -> Any:
    """Lists become tuples so that `Field` stays hashable."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _default(raw: Mapping[str, Any]) -> FieldDefault | None:
    if "default" not in raw:
        return None
    value = raw["default"]
    if isinstance(value, Mapping) and isinstance(value.get("name"), str) and "args" in value:
        return FieldDefault(function=value["name"], args=_freeze(list(value.get("args") or [])))
    return FieldDefault(value=_freeze(value))


def _native_type(raw: Any) -> tuple[str, tuple[str, ...]] | None:
    if not raw:
        return None
    name, args = raw[0], raw[1] if len(raw) > 1 else []
    return str(name), tuple(str(a) for a in args)


def _relations(raw_models: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], Relation]:
    """Every relation side, keyed by (model, field); pairs the two sides by relation name."""
    sides: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for m in raw_models:
        for f in m["fields"]:
            if f.get("kind") == "object":
                sides.setdefault(f.get("relationName") or "", []).append((m["name"], f))

    out: dict[tuple[str, str], Relation] = {}
    for name, members in sides.items():
        for model_name, f in members:
            opposite = _opposite(model_name, f, members)
            own_from = _tuple(f.get("relationFromFields"))
            other_from = _tuple(opposite[1].get("relationFromFields")) if opposite else ()
            many_to_many = bool(
                f.get("isList") and opposite and opposite[1].get("isList") and not own_from and not other_from
            )
            if own_from:
                fields, refs, fk_model = own_from, _tuple(f.get("relationToFields")), model_name
            elif other_from and opposite:
                fields, refs = other_from, _tuple(opposite[1].get("relationToFields"))
                fk_model = opposite[0]
            else:
                fields, refs, fk_model = (), (), None
            out[(model_name, f["name"])] = Relation(
                name=name,
                model=model_name,
                field=f["name"],
                to_model=f["type"],
                cardinality="many" if f.get("isList") else "one",
                fields=fields,
                references=refs,
                holds_foreign_key=bool(own_from),
                foreign_key_model=fk_model,
                is_implicit_many_to_many=many_to_many,
                opposite_field=opposite[1]["name"] if opposite else None,
                is_required=bool(f.get("isRequired")) and not f.get("isList"),
                on_delete=f.get("relationOnDelete") or (opposite[1].get("relationOnDelete") if opposite else None),
                on_update=f.get("relationOnUpdate") or (opposite[1].get("relationOnUpdate") if opposite else None),
            )
    return out


def _opposite(
    model_name: str, f: Mapping[str, Any], members: Sequence[tuple[str, Mapping[str, Any]]]
) -> tuple[str, Mapping[str, Any]] | None:
    """The other side of the relation: same relation name, pointing back at ``model_name``."""
    for other_model, other in members:
        if other is f:
            continue
        if other_model == f["type"] and other["type"] == model_name:
            return other_model, other
    return None


def _model(
    raw: Mapping[str, Any], raw_indexes: Sequence[Mapping[str, Any]], relations: Mapping[tuple[str, str], Relation]
) -> Model:
    name: str = raw["name"]
    fields = tuple(_field(name, f, relations) for f in raw["fields"])
    indexes = tuple(_index(i) for i in raw_indexes)

    pk = raw.get("primaryKey")
    primary_key: UniqueConstraint | None = None
    if pk and pk.get("fields"):
        pk_fields = tuple(pk["fields"])
        pk_index = _find_index(indexes, "id", pk_fields)
        primary_key = UniqueConstraint(
            fields=pk_fields,
            key=pk.get("name") or "_".join(pk_fields),
            name=pk.get("name"),
            db_name=pk_index.db_name if pk_index else None,
            is_id=True,
        )
    else:
        id_fields = tuple(f.name for f in fields if f.is_id)
        if id_fields:
            pk_index = _find_index(indexes, "id", id_fields)
            primary_key = UniqueConstraint(
                fields=id_fields, key=id_fields[0], db_name=pk_index.db_name if pk_index else None, is_id=True
            )

    uniques: list[UniqueConstraint] = []
    for f in fields:
        if f.is_unique:
            idx = _find_index(indexes, "unique", (f.name,))
            uniques.append(UniqueConstraint(fields=(f.name,), key=f.name, db_name=idx.db_name if idx else None))
    for u in raw.get("uniqueIndexes") or []:
        u_fields = tuple(u["fields"])
        idx = _find_index(indexes, "unique", u_fields)
        uniques.append(
            UniqueConstraint(
                fields=u_fields,
                key=u.get("name") or "_".join(u_fields),
                name=u.get("name"),
                db_name=idx.db_name if idx else None,
            )
        )
    return Model(
        name=name,
        fields=fields,
        db_name=raw.get("dbName"),
        primary_key=primary_key,
        unique_constraints=tuple(uniques),
        indexes=indexes,
        documentation=raw.get("documentation"),
        db_schema=raw.get("schema"),
        is_view=bool(raw.get("isView")),
    )


def _field(model_name: str, raw: Mapping[str, Any], relations: Mapping[tuple[str, str], Relation]) -> Field:
    kind = raw.get("kind")
    if kind not in _KINDS:
        raise ValidationError(f"Field {model_name}.{raw.get('name')} has unknown kind {kind!r}.", model=model_name)
    return Field(
        name=raw["name"],
        kind=cast(FieldKind, kind),
        type=raw["type"],
        db_name=raw.get("dbName"),
        is_list=bool(raw.get("isList")),
        is_required=bool(raw.get("isRequired")),
        is_id=bool(raw.get("isId")),
        is_unique=bool(raw.get("isUnique")),
        is_read_only=bool(raw.get("isReadOnly")),
        has_default=bool(raw.get("hasDefaultValue")),
        default=_default(raw),
        is_updated_at=bool(raw.get("isUpdatedAt")),
        native_type=_native_type(raw.get("nativeType")),
        documentation=raw.get("documentation"),
        relation=relations.get((model_name, raw["name"])),
    )


def _index(raw: Mapping[str, Any]) -> Index:
    kind = raw.get("type", "normal")
    return Index(
        fields=tuple(f["name"] if isinstance(f, Mapping) else str(f) for f in raw.get("fields") or []),
        type=cast(IndexType, kind if kind in _INDEX_TYPES else "normal"),
        name=raw.get("name"),
        db_name=raw.get("dbName"),
        is_defined_on_field=bool(raw.get("isDefinedOnField")),
        algorithm=raw.get("algorithm"),
    )


def _find_index(indexes: Sequence[Index], kind: str, fields: tuple[str, ...]) -> Index | None:
    return next((i for i in indexes if i.type == kind and i.fields == fields), None)


def _enum(raw: Mapping[str, Any]) -> Enum:
    values = tuple(
        EnumValue(name=v["name"], db_name=v.get("dbName")) if isinstance(v, Mapping) else EnumValue(name=str(v))
        for v in raw.get("values") or []
    )
    return Enum(name=raw["name"], values=values, db_name=raw.get("dbName"), documentation=raw.get("documentation"))
