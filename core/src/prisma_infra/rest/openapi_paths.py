"""The paths of the OpenAPI document: each exposed model's routes and the actions it offers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from prisma_infra.data.model_info import ModelInfo
from prisma_infra.rest.exposure import ENDPOINT_WORDS
from prisma_infra.rest.filters import OPERATORS, RESERVED
from prisma_infra.rest.openapi_components import (
    KEYED_READ_ERRORS,
    KEYED_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Doc,
    error_refs,
    headers,
    json_body,
    json_content,
    param_ref,
    query_param,
)
from prisma_infra.rest.openapi_schemas import ref, scalar_schema

if TYPE_CHECKING:
    from prisma_infra.rest.exposure import ModelExposure
    from prisma_infra.schema import Field, Schema

__all__ = ["WORDS", "model_paths"]

#: The query keys that are not filters (`prisma_infra.rest.filters`), and the logical groups.
_LIST_PARAMS: Final = ("where", "or", "and", *sorted(RESERVED - {"where"}))
_SHAPE_PARAMS: Final = ("select", "include", "omit")
#: The second path segments that name an endpoint, not a key (a String key never equals one).
WORDS: Final = tuple(sorted(ENDPOINT_WORDS))
_ANALYTICS_PARAMS: Final = ("metrics", "group_by", "since", "until", "interval", "date_field", "tz")

_FILTER_SYNTAX: Final = (
    f"Filter on this field: `op.value` with op one of {', '.join(OPERATORS)} (`*` is the like/ilike wildcard; "
    "in.(a,b); is.null, is.true, is.false; cs/ov for lists); `not.` before an op negates it. The value is in "
    "the field's encoding"
)
_LIST_TEXT: Final = (
    "Filters: `field=op.value` for every field (see each parameter); relation paths join by dots "
    "(`author.name=eq.Ada`: a to-one relation must match, a to-many relation must have some match); "
    "`or=(a.eq.1,b.gt.2)` and `and=(...)`; `where={json}` takes a full Prisma where. `order=name.desc,id.asc`, "
    "`select=id,name`, `include=posts`, `omit=email`. Pages: `page`/`per_page` (the default), or "
    "`cursor=` (empty for the first page) with `per_page`. `search=` looks for every word in the model's "
    "searchable fields. The `Link` header names first/prev/next/last pages (next only for cursors)."
)


def _filter_params(exposed: ModelExposure, taken: tuple[str, ...]) -> list[Doc]:
    out: list[Doc] = []
    for field in exposed.model.scalar_fields:
        if field.name in exposed.hidden or field.name in taken or field.kind == "unsupported":
            continue
        kind = f"{field.type}[]" if field.is_list else field.type
        out.append(query_param(field.name, f"{_FILTER_SYNTAX} ({kind}).", {"type": "string"}))
    return out


def _operation(
    exposed: ModelExposure, action: str, summary: str, responses: Doc, errors: tuple[str, ...], **extra: Any
) -> Doc:
    op: Doc = {
        "operationId": f"{action}{exposed.name}",
        "tags": [exposed.name],
        "summary": summary,
        "responses": {**responses, **error_refs(errors)},
    }
    op.update(extra)
    return op


def _list_response(model: str) -> Doc:
    page = {"oneOf": [ref("PageMeta"), ref("CursorMeta")]}
    schema = {
        "type": "object",
        "required": ["data", "page"],
        "properties": {"data": {"type": "array", "items": ref(model)}, "page": page},
    }
    return json_content(schema, f"A page of {model} records.", headers("ETag", "CacheControl", "Link"))


def _field_names(exposed: ModelExposure, *, numeric: bool = False) -> list[str]:
    names = []
    for field in exposed.model.scalar_fields:
        if field.name in exposed.hidden or field.is_list or field.kind == "unsupported":
            continue
        if numeric and field.type not in ("Int", "BigInt", "Float", "Decimal"):
            continue
        if not numeric and field.type in ("Json", "Bytes"):
            continue
        names.append(field.name)
    return names


def _flags(names: list[str], *extra: str) -> Doc:
    return {
        "type": "object",
        "properties": {n: {"type": "boolean"} for n in (*extra, *names)},
        "additionalProperties": False,
    }


def _aggregate_body(exposed: ModelExposure, *, group: bool) -> Doc:
    numeric, scalars = _field_names(exposed, numeric=True), _field_names(exposed)
    properties: Doc = {
        "where": {"type": "object", "description": "A Prisma where."},
        "orderBy": {"anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]},
        "take": {"type": "integer"},
        "skip": {"type": "integer", "minimum": 0},
        "_count": {"anyOf": [{"type": "boolean"}, _flags(scalars, "_all")]},
        "_sum": _flags(numeric),
        "_avg": _flags(numeric),
        "_min": _flags(scalars),
        "_max": _flags(scalars),
    }
    body: Doc = {"type": "object", "properties": properties, "additionalProperties": False}
    if group:
        by = {"type": "string", "enum": scalars} if scalars else {"type": "string"}
        properties["by"] = {"anyOf": [by, {"type": "array", "items": by, "minItems": 1}]}
        properties["having"] = {"type": "object"}
        body["required"] = ["by"]
        # Prisma pages groups only in a stated order (of fields that are in `by`).
        body["dependentRequired"] = {"take": ["orderBy"], "skip": ["orderBy"]}
    return body


def _key_fields(schema: Schema, exposed: ModelExposure) -> tuple[Field, ...]:
    info = ModelInfo.build(schema, exposed.model, schema.provider)
    return tuple(exposed.model.field(name) for name in info.key_fields)


def _key_param(field: Field, single: bool) -> Doc:
    value = dict(scalar_schema(field))
    if field.kind == "scalar" and field.type in ("String", "Bytes", "Json"):
        value = {"type": "string", "minLength": 1}
        if single:
            value["not"] = {"enum": list(WORDS)}  # these words name the model's endpoints
    return {
        "name": field.name,
        "in": "path",
        "required": True,
        "schema": value,
        "description": f"{field.name} ({field.type}).",
    }


def model_paths(schema: Schema, exposed: ModelExposure) -> dict[str, Doc]:
    name, route = exposed.name, exposed.route
    base = f"/{route}"
    paths: dict[str, Doc] = {}
    record = json_content(ref(name), f"The {name} record.")
    filters = _filter_params(exposed, _LIST_PARAMS)
    shape = [param_ref(p) for p in _SHAPE_PARAMS]
    listing = [*filters, *(param_ref(p) for p in _LIST_PARAMS)]
    collection: Doc = {}
    if exposed.allows("list"):
        collection["get"] = _operation(
            exposed,
            "list",
            f"List {name} records",
            {"200": _list_response(name), "304": {"$ref": "#/components/responses/NotModified"}},
            READ_ERRORS,
            description=_LIST_TEXT,
            parameters=[*listing, param_ref("IfNoneMatch")],
        )
        search_body = {
            "type": "object",
            "properties": {
                "where": {"type": "object"},
                "orderBy": {"anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]},
            },
            "additionalProperties": False,
        }
        paths[f"{base}/search"] = {
            "post": _operation(
                exposed,
                "search",
                f"Search {name} records with a full Prisma where",
                {"200": _list_response(name)},
                WRITE_ERRORS,
                parameters=listing,
                requestBody=json_body(search_body, required=False),  # none: the query string's filters only
            )
        }
    if exposed.allows("create"):
        created = json_content(ref(name), f"The created {name} record.", headers("Location"))
        collection["post"] = _operation(
            exposed,
            "create",
            f"Create a {name}",
            {"201": created},
            WRITE_ERRORS,
            parameters=shape,
            requestBody=json_body(ref(f"{name}Create")),
        )
    if collection:
        paths[base] = collection
    if exposed.allows("count"):
        counted = {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer", "minimum": 0}}}
        paths[f"{base}/count"] = {
            "get": _operation(
                exposed,
                "count",
                f"Count {name} records",
                {
                    "200": json_content(counted, "The number of matching records.", headers("ETag", "CacheControl")),
                    "304": {"$ref": "#/components/responses/NotModified"},
                },
                READ_ERRORS,
                parameters=[
                    *filters,
                    *(param_ref(p) for p in ("where", "or", "and", "search")),
                    param_ref("IfNoneMatch"),
                ],
            )
        }
    if exposed.allows("aggregate"):
        paths[f"{base}/aggregate"] = {
            "post": _operation(
                exposed,
                "aggregate",
                f"Aggregate {name} records (Prisma's aggregate)",
                {"200": json_content({"type": "object"}, "Prisma's aggregate result.")},
                WRITE_ERRORS,
                requestBody=json_body(_aggregate_body(exposed, group=False)),
            )
        }
    if exposed.allows("group_by"):
        grouped = {
            "type": "object",
            "required": ["data"],
            "properties": {"data": {"type": "array", "items": {"type": "object"}}},
        }
        paths[f"{base}/group-by"] = {
            "post": _operation(
                exposed,
                "groupBy",
                f"Group {name} records (Prisma's groupBy)",
                {"200": json_content(grouped, "The groups.")},
                WRITE_ERRORS,
                requestBody=json_body(_aggregate_body(exposed, group=True)),
            )
        }
    if exposed.allows("analytics"):
        analytic = [
            query_param("metrics", "Comma-separated metrics: count, sum:field, avg:field, min:field, max:field, ..."),
            query_param("group_by", "Comma-separated fields to group by."),
            query_param("since", "The start: a duration back from now (`30d`) or an ISO 8601 instant."),
            query_param("until", "The end: an ISO 8601 instant."),
            query_param("interval", "Time buckets: hour, day, week, month, ..."),
            query_param("date_field", "The DateTime field the range and buckets use."),
            query_param("tz", "The IANA time zone of the buckets (`Europe/Paris`)."),
        ]
        paths[f"{base}/analytics"] = {
            "get": _operation(
                exposed,
                "analytics",
                f"Analytics over {name} records",
                {
                    "200": json_content({"type": "object"}, "The analytics result.", headers("ETag", "CacheControl")),
                    "304": {"$ref": "#/components/responses/NotModified"},
                },
                READ_ERRORS,
                parameters=[
                    *analytic,
                    *_filter_params(exposed, (*_LIST_PARAMS, *_ANALYTICS_PARAMS)),
                    param_ref("where"),
                    param_ref("IfNoneMatch"),
                ],
            )
        }
    if exposed.allows("bulk"):
        update_item = {
            "type": "object",
            "required": ["where", "data"],
            "properties": {"where": ref(f"{name}WhereUnique"), "data": ref(f"{name}Update")},
        }
        bulk_body = {
            "type": "object",
            "properties": {
                "create": {"type": "array", "items": ref(f"{name}Create")},
                "update": {"type": "array", "items": update_item},
                "delete": {"type": "array", "items": ref(f"{name}WhereUnique")},
            },
            "additionalProperties": False,
        }
        report = json_content(ref("BulkResult"), "Every batch committed.")
        partial = json_content(ref("BulkResult"), "Some batches were rolled back (each names its failing operation).")
        paths[f"{base}/bulk"] = {
            "post": _operation(
                exposed,
                "bulk",
                f"Create, update and delete {name} records in batches",
                {"200": report, "207": partial},
                WRITE_ERRORS,
                requestBody=json_body(bulk_body),
            )
        }
    keys = _key_fields(schema, exposed)
    if keys:
        paths.update(_keyed_paths(exposed, keys, record, shape))
    return paths


def _keyed_paths(exposed: ModelExposure, keys: tuple[Field, ...], record: Doc, shape: list[Doc]) -> dict[str, Doc]:
    name = exposed.name
    item: Doc = {"parameters": [_key_param(f, len(keys) == 1) for f in keys]}
    if exposed.allows("read"):
        read = json_content(ref(name), f"The {name} record.", headers("ETag", "CacheControl"))
        item["get"] = _operation(
            exposed,
            "read",
            f"Read a {name}",
            {"200": read, "304": {"$ref": "#/components/responses/NotModified"}},
            KEYED_READ_ERRORS,
            parameters=[*shape, param_ref("IfNoneMatch")],
        )
    if exposed.allows("update"):
        item["patch"] = _operation(
            exposed,
            "update",
            f"Update a {name}",
            {"200": record},
            KEYED_WRITE_ERRORS,
            parameters=shape,
            requestBody=json_body(ref(f"{name}Update")),
        )
    if exposed.allows("upsert"):
        created = json_content(ref(name), f"The created {name} record.", headers("Location"))
        item["put"] = _operation(
            exposed,
            "upsert",
            f"Create or update a {name} by its key",
            {"200": record, "201": created},
            KEYED_WRITE_ERRORS,
            parameters=shape,
            requestBody=json_body(ref(f"{name}Upsert")),
        )
    if exposed.allows("delete"):
        item["delete"] = _operation(
            exposed, "delete", f"Delete a {name}", {"200": record}, KEYED_WRITE_ERRORS, parameters=shape
        )
    if len(item) == 1:
        return {}
    path = "/" + "/".join([exposed.route, *(f"{{{f.name}}}" for f in keys)])
    return {path: item}
