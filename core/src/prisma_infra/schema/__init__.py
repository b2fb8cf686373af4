"""The runtime model of the Prisma schema: lookups, relation graph, validation, pydantic models, stubs.

Build it from Prisma's datamodel (``get_datamodel`` of ``@prisma/prisma-schema-wasm``)::

    schema = Schema.from_datamodel(json.loads(datamodel_json), provider="postgresql")
    user = schema.model("user")                      # case-insensitive
    schema.models_touched("user", {"include": {"posts": True}})   # {"User", "Post"}
    args = validate_args(schema, "user", "findMany", {"where": {"email": "a@b.c"}})
"""

from prisma_infra.schema.dmmf import datamodel_hash
from prisma_infra.schema.graph import ModelRef
from prisma_infra.schema.model import (
    Cardinality,
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
from prisma_infra.schema.pydantic_models import Shape, pydantic_model, pydantic_models
from prisma_infra.schema.stubs import render_stubs, write_stubs
from prisma_infra.schema.validate import validate_args

__all__ = [
    "Cardinality",
    "Enum",
    "EnumValue",
    "Field",
    "FieldDefault",
    "FieldKind",
    "Index",
    "IndexType",
    "Model",
    "ModelRef",
    "Relation",
    "Schema",
    "Shape",
    "UniqueConstraint",
    "datamodel_hash",
    "pydantic_model",
    "pydantic_models",
    "render_stubs",
    "validate_args",
    "write_stubs",
]
