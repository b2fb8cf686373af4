"""Pydantic v2 models built at runtime from the schema, one per Prisma model and shape.

Shapes:

- ``read`` (class ``User``): a record as the engine returns it. Scalars are
  required unless nullable; relations are optional (present only when
  included) and typed with the related read model, so ``model_json_schema()``
  gives a complete OpenAPI component graph.
- ``create`` (``UserCreate``): scalar fields (foreign keys included). A field is
  required unless it is nullable, has a ``@default``, is ``@updatedAt`` or is a
  list. Nested relation writes are not modelled.
- ``update`` (``UserUpdate``): every scalar field optional.

Optional fields default to ``None``; dump with ``exclude_unset=True`` to send only
what was given. A non-nullable optional field still rejects an explicit ``None``.
Field names that clash with pydantic (``schema``, ``copy``, ``model_*`` ...)
get a trailing ``_`` and keep the Prisma name as their alias.
"""

from __future__ import annotations

from typing import Annotated, Any, ForwardRef, Literal

from pydantic import BaseModel, ConfigDict, create_model
from pydantic import Field as PydanticField

from prisma_infra.errors import ValidationError
from prisma_infra.schema.model import Field, Model, Schema
from prisma_infra.schema.types import PYTHON_TYPES

__all__ = ["Shape", "pydantic_model", "pydantic_models"]

Shape = Literal["read", "create", "update"]
_SUFFIX: dict[str, str] = {"read": "", "create": "Create", "update": "Update"}
_RESERVED = frozenset(dir(BaseModel))
_READ_CONFIG = ConfigDict(
    extra="ignore", protected_namespaces=(), validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
)
_WRITE_CONFIG = ConfigDict(
    extra="forbid", protected_namespaces=(), validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
)


def pydantic_model(schema: Schema, model: str | Model, shape: Shape = "read") -> type[BaseModel]:
    """The pydantic model of ``model`` in ``shape``, built once per schema and cached."""
    if shape not in _SUFFIX:
        raise ValidationError(f"Unknown pydantic shape {shape!r}: expected one of read, create, update.")
    m = schema.model(model)
    cache: dict[tuple[str, str], type[BaseModel]] = schema._memo.setdefault("pydantic", {})
    found = cache.get((m.name, shape))
    if found is None:
        if shape == "read":
            _build_read_models(schema, cache)
        else:
            cache[(m.name, shape)] = _build_write_model(schema, m, shape)
        found = cache[(m.name, shape)]
    return found


def pydantic_models(schema: Schema, shape: Shape = "read") -> dict[str, type[BaseModel]]:
    """Every model of the schema in ``shape``, by Prisma model name."""
    return {m.name: pydantic_model(schema, m, shape) for m in schema.models}


def _scalar_type(schema: Schema, f: Field) -> Any:
    if f.kind == "enum":
        values = schema.enum(f.type).value_names
        base: Any = Literal.__getitem__(values)
    else:
        base = PYTHON_TYPES.get(f.type, Any)
    return list[base] if f.is_list else _constrained(base, f)


def _python_name(name: str) -> tuple[str, str | None]:
    """The attribute name, and the alias when the Prisma name cannot be an attribute."""
    if name.startswith("_") or name in _RESERVED:
        return f"{name.lstrip('_')}_", name
    return name, None


def _description(f: Field) -> str | None:
    parts = [f.documentation] if f.documentation else []
    if f.default is not None:
        parts.append(f"Default: {f.default.function}()" if f.default.function else f"Default: {f.default.value!r}")
    if f.is_updated_at:
        parts.append("Set by Prisma on every update (@updatedAt).")
    return " ".join(parts) or None


def _constrained(base: Any, f: Field) -> Any:
    """Carry ``@db.VarChar(n)`` / ``@db.Decimal(p, s)`` into the annotation (before ``| None``)."""
    native = f.native_type
    if not native or f.is_list or not native[1]:
        return base
    if f.type == "String" and native[0] in ("VarChar", "Char"):
        return Annotated[base, PydanticField(max_length=int(native[1][0]))]
    if f.type == "Decimal" and len(native[1]) == 2:
        digits, places = (int(a) for a in native[1])
        return Annotated[base, PydanticField(max_digits=digits, decimal_places=places)]
    return base


def _definition(annotation: Any, f: Field, *, required: bool) -> tuple[Any, Any]:
    _, alias = _python_name(f.name)
    kwargs: dict[str, Any] = {"alias": alias, "description": _description(f)}
    if not required:
        kwargs["default"] = None
    return annotation, PydanticField(**kwargs)


def _build_write_model(schema: Schema, m: Model, shape: str) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for f in m.fields:
        if f.kind == "object":
            continue
        base = _scalar_type(schema, f)
        nullable = not f.is_required and not f.is_list
        annotation = base | None if nullable else base
        required = shape == "create" and f.is_required and not f.is_list and not f.has_default and not f.is_updated_at
        definitions[_python_name(f.name)[0]] = _definition(annotation, f, required=required)
    name = f"{m.name}{_SUFFIX[shape]}"
    return create_model(name, __config__=_WRITE_CONFIG, __doc__=_doc(m, shape), **definitions)


def _build_read_models(schema: Schema, cache: dict[tuple[str, str], type[BaseModel]]) -> None:
    """All read models at once: relations reference each other (cycles included) by name."""
    built: dict[str, type[BaseModel]] = {}
    for m in schema.models:
        definitions: dict[str, Any] = {}
        for f in m.fields:
            if f.kind == "object":
                ref = ForwardRef(f.type)
                annotation: Any = list[ref] if f.is_list else ref  # type: ignore[valid-type]
                definitions[_python_name(f.name)[0]] = _definition(annotation | None, f, required=False)
                continue
            base = _scalar_type(schema, f)
            nullable = not f.is_required and not f.is_list
            definitions[_python_name(f.name)[0]] = _definition(
                base | None if nullable else base, f, required=not nullable
            )
        config = ConfigDict(**_READ_CONFIG, defer_build=True)
        built[m.name] = create_model(m.name, __config__=config, __doc__=_doc(m, "read"), **definitions)
    namespace = dict(built)
    for cls in built.values():
        cls.model_rebuild(_types_namespace=namespace)
    for name, cls in built.items():
        cache[(name, "read")] = cls


def _doc(m: Model, shape: str) -> str:
    summary = {"read": "A {} record.", "create": "Data to create a {}.", "update": "Data to update a {}."}[shape]
    return summary.format(m.name) + (f"\n\n{m.documentation}" if m.documentation else "")
