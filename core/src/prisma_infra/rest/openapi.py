"""The OpenAPI 3.1 document of the auto REST API, generated from the schema and the ``api`` settings.

``openapi_document(kernel)`` describes what is exposed now (`prisma_infra.rest.exposure`): for each
exposed model its routes (the route is the Prisma client accessor, ``BlogPost`` → ``/blogPost``; a
key is one path segment per key field, in ``@@id`` order), only the actions it offers, and only its
visible fields. Components: per model ``<Model>``, ``<Model>Create``, ``<Model>Update``,
``<Model>Upsert``, ``<Model>WhereUnique`` (`prisma_infra.rest.openapi_schemas`), the enums,
``Problem`` (``application/problem+json`` for every error status), the page metadata and the bulk
report. List, read and count answers carry ``ETag`` and ``Cache-Control`` and honour
``If-None-Match`` (304); lists carry a ``Link`` header. The document is built once per
configuration and schema (a reload builds it again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from prisma_infra.rest.exposure import build_exposure, exposure
from prisma_infra.rest.openapi_components import PROBLEM_MEDIA_TYPE, Doc, components
from prisma_infra.rest.openapi_paths import model_paths
from prisma_infra.stash import StashKey

if TYPE_CHECKING:
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.kernel import Executor
    from prisma_infra.rest.exposure import Exposure
    from prisma_infra.schema import Schema

__all__ = ["PROBLEM_MEDIA_TYPE", "build_document", "openapi_document"]


_DESCRIPTION: Final = (
    "The auto REST API of prisma-infra, generated from the Prisma schema. Encodings: BigInt and Decimal "
    'are strings (`"9007199254740993"`, `"12.30"`), DateTime is ISO 8601 in UTC with milliseconds '
    "(`2024-05-01T12:30:00.000Z`), Bytes is standard base64, Json is the value itself, enums are their "
    "names. Errors are RFC 9457 problem details (application/problem+json) and never carry a record's values."
)


def build_document(
    config: InfraConfig, schema: Schema, *, server_url: str | None = None, exposed: Exposure | None = None
) -> Doc:
    """The document for ``config`` and ``schema`` (``server_url``: the API root; default ``api.prefix``)."""
    if exposed is None:
        exposed = build_exposure(config, schema)
    paths: Doc = {}
    if exposed.enabled:
        for model in exposed.models.values():
            paths.update(model_paths(schema, model))
    document: Doc = {
        "openapi": "3.1.0",
        "info": {"title": "prisma-infra REST API", "version": schema.hash[:12] or "0", "description": _DESCRIPTION},
        "servers": [{"url": server_url if server_url is not None else (config.api.prefix or "/")}],
        "tags": [
            {"name": m.name, **({"description": m.model.documentation} if m.model.documentation else {})}
            for m in exposed.models.values()
        ],
        "paths": paths,
        "components": components(schema, exposed, config),
    }
    if config.api.auth.jose.enabled:
        document["security"] = [{}, {"bearer": []}]
    return document


_DOCUMENT: StashKey[tuple[InfraConfig, Schema, str | None, Doc]] = StashKey("rest openapi document")


def openapi_document(kernel: Executor, *, server_url: str | None = None) -> Doc:
    """The document of what the kernel's configuration exposes now (rebuilt after a reload)."""
    config, schema = kernel.config, kernel.schema
    held = kernel.stash.get(_DOCUMENT)
    if held is not None and held[0] is config and held[1] is schema and held[2] == server_url:
        return held[3]
    document = build_document(config, schema, server_url=server_url, exposed=exposure(kernel))
    kernel.stash[_DOCUMENT] = (config, schema, server_url, document)
    return document
