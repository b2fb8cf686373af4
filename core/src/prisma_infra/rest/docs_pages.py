"""The API's own documents, answered by `RestApi.handle` when ``api.docs`` is on (every adapter serves them).

* ``GET /openapi.json``: the OpenAPI 3.1 document (`prisma_infra.rest.openapi`), its
  server the request's ``base_url``;
* ``GET /docs``: the docs UI page (`prisma_infra.rest.docs_ui`: Swagger UI from the
  installed package, no CDN), with a Content-Security-Policy that allows only its
  own files and its one inline script;
* ``GET /docs/static/{name}``: the docs UI's files.
"""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from typing import TYPE_CHECKING

from prisma_infra.rest.docs_ui import docs_html, docs_script_hash, docs_static_file
from prisma_infra.rest.encoding import dumps
from prisma_infra.rest.openapi import openapi_document
from prisma_infra.rest.request import ApiRequest, ApiRequestError, ApiResponse

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel

__all__ = ["DOCUMENT_PATHS", "document_response"]

#: The paths this module answers (``{name}``: one file name).
DOCUMENT_PATHS = ("/openapi.json", "/docs", "/docs/static/{name}")


@lru_cache(maxsize=32)
def _asset(name: str) -> tuple[bytes, str] | None:
    path = docs_static_file(name)
    if path is None:
        return None
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.read_bytes(), media


def _page(root: str) -> ApiResponse:
    openapi = f"{root}/openapi.json"
    csp = f"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' {docs_script_hash(openapi)}"
    headers = {"content-type": "text/html; charset=utf-8", "content-security-policy": csp}
    return ApiResponse(200, headers, docs_html(openapi, f"{root}/docs/static").encode())


def document_response(kernel: Kernel, request: ApiRequest, method: str, segments: list[str]) -> ApiResponse | None:
    """The answer for a document path, or None when ``segments`` name none (or ``api.docs`` is off)."""
    if not kernel.config.api.docs:
        return None
    if segments == ["openapi.json"]:
        kind = "document"
    elif segments == ["docs"]:
        kind = "page"
    elif len(segments) == 3 and segments[:2] == ["docs", "static"]:
        kind = "asset"
    else:
        return None
    if method != "GET":
        raise ApiRequestError("Method not allowed", status=405, headers={"Allow": "GET, HEAD"})
    root = request.base_url.rstrip("/")
    if kind == "document":
        body = dumps(openapi_document(kernel, server_url=root or None))
        return ApiResponse(200, {"content-type": "application/json"}, body)
    if kind == "page":
        return _page(root)
    found = _asset(segments[2])
    if found is None:
        raise ApiRequestError("No such file of the docs UI", status=404)
    return ApiResponse(200, {"content-type": found[1], "cache-control": "public, max-age=86400"}, found[0])
