"""The JSON Schemas of the OpenAPI document: models (read, create, update, upsert), where-uniques, enums.

Every type is described in the encoding the API uses (`prisma_infra.rest.encoding`): BigInt and
Decimal as strings with a pattern (input also takes a JSON integer / number), DateTime as
``date-time``, Bytes as ``contentEncoding: base64``, Json as any value, enums by name. Only what the
exposure shows appears: hidden fields and relations to hidden models are absent.

* ``<Model>``: a record as the API returns it. No property is required, because ``?select=`` returns
  a subset; a field that cannot be null is not nullable; relations appear with ``include``; no other
  property may appear (a hidden field in an answer is a schema violation).
* ``<Model>Create``: the body of ``POST``; required are the fields Prisma requires (no default, not
  ``@updatedAt``, not a list); a required relation is given by its foreign key or by a nested write.
* ``<Model>Update``: the body of ``PATCH``, every field optional; numbers also take
  ``{"increment": n}`` and the like, lists ``{"set": [...]}`` / ``{"push": ...}``.
* ``<Model>Upsert``: the body of ``PUT`` (the key comes from the path, so it is not required).
* ``<Model>WhereUnique``: one of the unique keys (nested ``connect``, bulk ``update``/``delete``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from prisma_infra.rest.values import BIGINT_PATTERN, DECIMAL_MAX_DIGITS, DECIMAL_PATTERN

if TYPE_CHECKING:
    from prisma_infra.config.api import ApiAction
    from prisma_infra.rest.exposure import Exposure, ModelExposure
    from prisma_infra.schema import Field, Model, Schema

__all__ = [
    "DECIMAL_OUT_PATTERN",
    "PROBLEM_SCHEMA",
    "model_schemas",
    "nullable",
    "ref",
    "scalar_schema",
]

#: A Decimal as the API writes it: plain notation, never an exponent.
DECIMAL_OUT_PATTERN: Final = r"^-?[0-9]+(\.[0-9]+)?$"

Schema_ = dict[str, Any]

#: RFC 9457 problem details, with the extensions the problem mapping adds.
PROBLEM_SCHEMA: Final[Schema_] = {
    "type": "object",
    "description": "RFC 9457 problem details. Never carries a value of a record.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "urn:prisma-infra:problem:<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"type": "string"},
        "model": {"type": ["string", "null"]},
        "field": {"type": ["string", "null"]},
        "suggestion": {"type": ["string", "null"], "description": "The closest known name."},
        "fields": {"type": ["array", "null"], "items": {"type": "string"}},
        "constraint": {"type": ["string", "null"]},
        "policy": {"type": ["string", "null"]},
        "rule": {"type": ["string", "null"]},
        "code": {"type": ["string", "null"]},
    },
}


def ref(name: str) -> Schema_:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema_) -> Schema_:
    """``schema`` or ``null``."""
    kind = schema.get("type")
    if isinstance(kind, str) and "$ref" not in schema:
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    if not schema:
        return schema  # any value already
    return {"anyOf": [schema, {"type": "null"}]}


_OUT: Final[dict[str, Schema_]] = {
    "String": {"type": "string"},
    "Int": {"type": "integer", "format": "int32"},
    "BigInt": {"type": "string", "pattern": BIGINT_PATTERN, "description": "A 64-bit integer as a string."},
    "Float": {"type": "number", "format": "double"},
    "Decimal": {"type": "string", "pattern": DECIMAL_OUT_PATTERN, "description": "A decimal number as a string."},
    "Boolean": {"type": "boolean"},
    "DateTime": {"type": "string", "format": "date-time", "description": "UTC, milliseconds: 2024-05-01T12:30:00.000Z"},
    "Bytes": {"type": "string", "contentEncoding": "base64", "description": "Standard base64, padded."},
    "Json": {},
}
_IN: Final[dict[str, Schema_]] = {
    **_OUT,
    "BigInt": {
        "type": ["string", "integer"],
        "pattern": BIGINT_PATTERN,
        "minimum": -(2**63),
        "maximum": 2**63 - 1,
        "description": "A 64-bit integer: a string of decimal digits (or a JSON integer).",
    },
    "Decimal": {
        "type": ["string", "number"],
        "pattern": DECIMAL_PATTERN,
        "description": f"A decimal number: a string (or a JSON number), below 1e{DECIMAL_MAX_DIGITS} in magnitude.",
    },
    "DateTime": {"type": "string", "format": "date-time", "description": "ISO 8601 (RFC 3339)."},
}


def scalar_schema(field: Field, *, incoming: bool = False) -> Schema_:
    """The schema of one value of a scalar or enum field (a list: an array of them), null not included."""
    if field.kind == "enum":
        element: Schema_ = ref(field.type)
    else:
        element = dict((_IN if incoming else _OUT).get(field.type, {}))
    if field.is_list:
        return {"type": "array", "items": element}
    return element


def _described(schema: Schema_, field: Field) -> Schema_:
    if field.documentation:
        if "$ref" in schema:
            return {"allOf": [schema], "description": field.documentation}
        return {**schema, "description": field.documentation}
    return schema


def _visible(exposed: ModelExposure) -> list[Field]:
    return [f for f in exposed.model.fields if f.name not in exposed.hidden and f.kind != "unsupported"]


def _read_schema(exposed: ModelExposure) -> Schema_:
    properties: dict[str, Schema_] = {}
    for field in _visible(exposed):
        if field.kind == "object":
            target = ref(field.type)
            schema: Schema_ = {"type": "array", "items": target} if field.is_list else target
            if not field.is_list and not field.is_required:
                schema = nullable(schema)
        else:
            schema = scalar_schema(field)
            if not field.is_required:
                schema = nullable(schema)
        properties[field.name] = _described(schema, field)
    if any(f.kind == "object" for f in _visible(exposed)):
        properties["_count"] = {
            "type": "object",
            "description": "Related records counted (``include=_count``).",
            "additionalProperties": {"type": "integer", "minimum": 0},
        }
    # Strict: a field the API hides must never appear in an answer (schemathesis checks every body).
    out: Schema_ = {"type": "object", "properties": properties, "additionalProperties": False}
    if exposed.model.documentation:
        out["description"] = exposed.model.documentation
    return out


_NUMBER_OPS: Final = ("set", "increment", "decrement", "multiply", "divide")


def _update_value(field: Field) -> Schema_:
    value = scalar_schema(field, incoming=True)
    if not field.is_required:
        value = nullable(value)
    if field.is_list:
        element = value.get("items", {}) if "items" in value else {}
        op: Schema_ = {
            "type": "object",
            "properties": {"set": value, "push": {"anyOf": [element, {"type": "array", "items": element}]}},
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
        }
        return {"anyOf": [value, op]}
    if field.type in ("Int", "BigInt", "Float", "Decimal"):
        op = {
            "type": "object",
            "properties": dict.fromkeys(_NUMBER_OPS, value),
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
        }
        return {"anyOf": [value, op]}
    return value


def _many(schema: Schema_) -> Schema_:
    return {"anyOf": [schema, {"type": "array", "items": schema}]}


def _upper(name: str) -> str:
    return name[:1].upper() + name[1:]


class _Inputs:
    """The input components, built on demand: ``<Model>Create``, ``<Model>Update``, ``<Model>Upsert``, and
    per relation the data of a nested write without its back relation (``<Model>CreateWithout<Field>``)."""

    def __init__(self, exposure: Exposure, out: dict[str, Schema_]) -> None:
        self.exposure = exposure
        self.out = out

    def component(self, model: str, kind: str, without: str | None = None) -> Schema_:
        name = f"{model}{kind}" + (f"Without{_upper(without)}" if without else "")
        if name not in self.out:
            exposed = self.exposure.of(model)
            assert exposed is not None  # only relations to exposed models are written
            self.out[name] = {}  # a placeholder: relations may lead back here
            self.out[name] = self.build(exposed, update=kind == "Update", keyless=kind == "Upsert", without=without)
        return ref(name)

    def nested(self, field: Field, *, update: bool) -> Schema_:
        """A relation's nested writes: one object of operations (their arguments by the related model)."""
        target = field.type
        back = field.relation.opposite_field if field.relation else None
        unique = ref(f"{target}WhereUnique")
        create = self.component(target, "Create", back)
        ops: dict[str, Schema_] = {
            "create": _many(create) if field.is_list else create,
            "connect": _many(unique) if field.is_list else unique,
            "connectOrCreate": {
                "type": "object",
                "required": ["where", "create"],
                "properties": {"where": unique, "create": create},
            },
        }
        if field.is_list:
            ops["createMany"] = {
                "type": "object",
                "required": ["data"],
                "properties": {"data": _many(create), "skipDuplicates": {"type": "boolean"}},
            }
        if update:
            data = self.component(target, "Update", back)
            if field.is_list:
                ops.update(
                    set=_many(unique),
                    disconnect=_many(unique),
                    delete=_many(unique),
                    update=_many(
                        {"type": "object", "required": ["where", "data"], "properties": {"where": unique, "data": data}}
                    ),
                    updateMany=_many(
                        {
                            "type": "object",
                            "required": ["where", "data"],
                            "properties": {"where": {"type": "object"}, "data": data},
                        }
                    ),
                    upsert=_many(
                        {
                            "type": "object",
                            "required": ["where", "create", "update"],
                            "properties": {"where": unique, "create": create, "update": data},
                        }
                    ),
                    deleteMany=_many({"type": "object"}),
                )
            else:
                ops.update(
                    update=data,
                    upsert={
                        "type": "object",
                        "required": ["create", "update"],
                        "properties": {"create": create, "update": data},
                    },
                )
                if not field.is_required:
                    ops.update(disconnect={"type": "boolean"}, delete={"type": "boolean"})
        return {
            "type": "object",
            "description": f"Nested writes to {target}: {', '.join(ops)}.",
            "properties": ops,
            "additionalProperties": False,
            "minProperties": 1,
        }

    def build(self, exposed: ModelExposure, *, update: bool, keyless: bool, without: str | None) -> Schema_:
        model = exposed.model
        properties: dict[str, Schema_] = {}
        required: list[str] = []
        either: list[Schema_] = []
        foreign = _foreign_keys(model)
        skipped = set()
        if without is not None:
            back = model.field(without)
            skipped = {without, *(back.relation.fields if back.relation and back.relation.holds_foreign_key else ())}
        for field in _visible(exposed):
            if field.name in skipped or field.is_updated_at:
                continue
            if field.kind == "object":
                if self.exposure.of(field.type) is None:
                    continue
                properties[field.name] = _described(self.nested(field, update=update), field)
                relation = field.relation
                if not update and relation and relation.holds_foreign_key and field.is_required:
                    by_key = [n for n in relation.fields if n not in exposed.hidden]
                    either.append({"oneOf": [{"required": by_key}, {"required": [field.name]}]})
                continue
            if update:
                properties[field.name] = _described(_update_value(field), field)
                continue
            schema = scalar_schema(field, incoming=True)
            needed = field.is_required and not field.has_default and not field.is_list and field.name not in foreign
            if field.type == "Json" and field.is_required:
                schema = {**schema, "not": {"type": "null"}}
            properties[field.name] = _described(schema if field.is_required else nullable(schema), field)
            if needed and not (keyless and field.name in model.id_fields):
                required.append(field.name)
        out: Schema_ = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            out["required"] = required
        if either:
            out["allOf"] = either
        return out


def _foreign_keys(model: Model) -> set[str]:
    return {name for f in model.fields if f.relation and f.relation.holds_foreign_key for name in f.relation.fields}


def _where_unique(exposed: ModelExposure) -> Schema_:
    model = exposed.model
    options: list[Schema_] = []
    for key, fields in model.unique_keys.items():
        if any(name in exposed.hidden for name in fields):
            continue
        values = {name: scalar_schema(model.field(name), incoming=True) for name in fields}
        if len(fields) == 1:
            options.append({"type": "object", "required": list(fields), "properties": values})
        else:
            inner = {"type": "object", "required": list(fields), "properties": values, "additionalProperties": False}
            options.append({"type": "object", "required": [key], "properties": {key: inner}})
    if not options:
        return {"type": "object"}
    return options[0] if len(options) == 1 else {"anyOf": options}


#: The input components a model's own actions use.
_INPUTS_OF: Final[tuple[tuple[str, tuple[ApiAction, ...]], ...]] = (
    ("Create", ("create", "bulk")),
    ("Update", ("update", "bulk")),
    ("Upsert", ("upsert",)),
)


def model_schemas(schema: Schema, exposure: Exposure) -> dict[str, Schema_]:
    """Every component schema of the exposed models and the enums they use, by component name."""
    out: dict[str, Schema_] = {}
    inputs = _Inputs(exposure, out)
    enums: set[str] = set()
    for exposed in exposure.models.values():
        name = exposed.name
        out[name] = _read_schema(exposed)
        for kind, actions in _INPUTS_OF:
            if any(exposed.allows(a) for a in actions):  # nested writes build what they need on demand
                inputs.component(name, kind)
        out[f"{name}WhereUnique"] = _where_unique(exposed)
        enums.update(f.type for f in _visible(exposed) if f.kind == "enum")
    for enum in schema.enums:
        if enum.name in enums:
            entry: Schema_ = {"type": "string", "enum": list(enum.value_names)}
            if enum.documentation:
                entry["description"] = enum.documentation
            out[enum.name] = entry
    return out
