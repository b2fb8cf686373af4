"""Building blocks of the OpenAPI document: the shared components (problem responses, headers,
query parameters, page and bulk schemas) and small constructors of operations' parts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from prisma_infra.rest.openapi_schemas import PROBLEM_SCHEMA, model_schemas, ref

if TYPE_CHECKING:
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.rest.exposure import Exposure
    from prisma_infra.schema import Schema

__all__ = [
    "ERRORS",
    "JSON",
    "KEYED_READ_ERRORS",
    "KEYED_WRITE_ERRORS",
    "PROBLEM_MEDIA_TYPE",
    "READ_ERRORS",
    "WRITE_ERRORS",
    "Doc",
    "components",
    "error_refs",
    "headers",
    "json_body",
    "json_content",
    "param_ref",
    "query_param",
]

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
JSON: Final = "application/json"
Doc = dict[str, Any]

#: Query keys that are not filters, and the path words that are not keys (`prisma_infra.rest.api`).
ERRORS: Final = {
    "400": ("BadRequest", "The request is malformed (query syntax, a policy that cannot apply)."),
    "401": ("Unauthorized", "The credentials presented are not valid."),
    "403": ("Forbidden", "An access policy denied the operation (names the policy and rule)."),
    "404": ("NotFound", "No such record, or no such resource."),
    "405": ("MethodNotAllowed", "This path does not offer this method (a key that is an endpoint word)."),
    "409": ("Conflict", "A unique or foreign-key constraint, or a transaction conflict."),
    "413": ("PayloadTooLarge", "The body is larger than api.max_body_size (or a bulk over api.bulk_max)."),
    "415": ("UnsupportedMediaType", "The body is not JSON."),
    "422": ("Unprocessable", "A field or value does not fit the schema (names model, field, suggestion)."),
    "503": ("Unavailable", "The database engine is unavailable (Retry-After)."),
    "504": ("Timeout", "The operation did not finish in time (Retry-After)."),
}
READ_ERRORS: Final = ("400", "401", "403", "404", "409", "422", "503", "504")
WRITE_ERRORS: Final = (*READ_ERRORS, "413", "415")
KEYED_WRITE_ERRORS: Final = (*WRITE_ERRORS, "405")
#: A read by key: a single String key may be an endpoint word (``/post/count``), another method's path.
KEYED_READ_ERRORS: Final = (*READ_ERRORS, "405")


def _header(description: str) -> Doc:
    return {"description": description, "schema": {"type": "string"}}


_HEADERS: Final[Doc] = {
    "ETag": _header("A weak validator of this answer: send it back in If-None-Match."),
    "CacheControl": _header("From api.cache_control."),
    "Link": _header('RFC 8288 links to other pages: <url>; rel="next", ...'),
    "Location": _header("The URL of the record."),
    "RetryAfter": _header("Seconds to wait before trying again."),
    "WWWAuthenticate": _header("The Bearer challenge (RFC 6750)."),
}


_HEADER_NAMES: Final = {
    "CacheControl": "Cache-Control",
    "RetryAfter": "Retry-After",
    "WWWAuthenticate": "WWW-Authenticate",
}


def headers(*names: str) -> Doc:
    """Response headers by their component names (``CacheControl`` is ``Cache-Control``)."""
    return {_HEADER_NAMES.get(n, n): {"$ref": f"#/components/headers/{n}"} for n in names}


def components(schema: Schema, exposed: Exposure, config: InfraConfig) -> Doc:
    schemas = model_schemas(schema, exposed)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["PageMeta"] = {
        "type": "object",
        "required": ["page", "per_page", "total", "pages"],
        "properties": {n: {"type": "integer", "minimum": 0} for n in ("page", "per_page", "total", "pages")},
    }
    schemas["CursorMeta"] = {
        "type": "object",
        "required": ["per_page", "next_cursor"],
        "properties": {
            "per_page": {"type": "integer", "minimum": 1},
            "next_cursor": {"type": ["string", "null"], "description": "The cursor of the next page; null at the end."},
        },
    }
    schemas["BulkResult"] = {
        "type": "object",
        "required": ["ok", "created", "updated", "deleted", "batches"],
        "properties": {
            "ok": {"type": "boolean"},
            **{n: {"type": "integer", "minimum": 0} for n in ("created", "updated", "deleted")},
            "batches": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "size", "ok"],
                    "properties": {
                        "index": {"type": "integer"},
                        "size": {"type": "integer"},
                        "ok": {"type": "boolean"},
                        "operation": {"type": "integer", "description": "The failing operation (0-based)."},
                        "error": ref("Problem"),
                    },
                },
            },
        },
    }
    responses: Doc = {}
    for status, (name, description) in ERRORS.items():
        entry: Doc = {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": ref("Problem")}}}
        if status in ("503", "504"):
            entry["headers"] = headers("RetryAfter")
        elif status == "401":
            entry["headers"] = headers("WWWAuthenticate")
        responses[name] = entry
    responses["NotModified"] = {
        "description": "Not modified: the If-None-Match validator still holds.",
        "headers": headers("ETag", "CacheControl"),
    }
    out: Doc = {
        "schemas": schemas,
        "responses": responses,
        "headers": dict(_HEADERS),
        "parameters": _parameters(config),
    }
    if config.api.auth.jose.enabled:
        out["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    return out


def query_param(name: str, description: str, schema: Doc | None = None) -> Doc:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _parameters(config: InfraConfig) -> Doc:
    api = config.api
    return {
        "where": query_param("where", 'A full Prisma where, as JSON text (`where={"name":{"startsWith":"A"}}`).'),
        "or": query_param("or", "Any of the filters in parentheses: `or=(views.gt.100,published.is.true)`."),
        "and": query_param("and", "All of the filters in parentheses: `and=(views.gt.1,views.lt.9)`."),
        "order": query_param(
            "order", "Sort: `field.asc` or `field.desc` (+ `.nullsfirst`/`.nullslast`), comma-separated."
        ),
        "select": query_param("select", "Only these fields (comma-separated; relations included by name)."),
        "include": query_param("include", "Include these relations (comma-separated)."),
        "omit": query_param("omit", "Leave these fields out (comma-separated)."),
        "page": query_param("page", "The page (1-based; page pagination).", {"type": "integer", "minimum": 1}),
        "per_page": query_param(
            "per_page",
            f"Rows per page (default {api.page_size}).",
            {"type": "integer", "minimum": 1, "maximum": api.max_page_size},
        ),
        "cursor": query_param("cursor", "Cursor pagination: empty for the first page, then the page's next_cursor."),
        "search": query_param("search", "Text search: every word in one of the model's searchable fields."),
        "IfNoneMatch": {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "An ETag of an earlier answer: 304 when it still holds.",
            "schema": {"type": "string"},
        },
    }


def param_ref(name: str) -> Doc:
    return {"$ref": f"#/components/parameters/{name}"}


def error_refs(statuses: tuple[str, ...]) -> Doc:
    return {status: {"$ref": f"#/components/responses/{ERRORS[status][0]}"} for status in statuses}


def json_content(schema: Doc, description: str, headers: Doc | None = None) -> Doc:
    out: Doc = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


def json_body(schema: Doc, *, required: bool = True) -> Doc:
    return {"required": required, "content": {JSON: {"schema": schema}}}
