"""`rest_asgi_app`: the REST API as a minimal Starlette app, mountable anywhere.

Every path goes to `RestApi.handle` (``/openapi.json`` included); ``/docs`` is
the docs UI of `prisma_infra.rest.docs_ui` when ``api.docs`` is on. The app
sets no actor: mount it behind the integration's middleware
(`prisma_infra.integrations.starlette.InfraMiddleware`), which enters
``acting_as`` for the request. The body is read up to ``api.max_body_size``
(one byte more, to answer 413 without reading an unbounded body).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prisma_infra.rest.api import RestApi
from prisma_infra.rest.request import ApiRequest

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel

__all__ = ["rest_asgi_app", "to_api_request"]

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return b"\0" * (limit + 1)  # too big: the API answers 413 without reading it
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)


async def to_api_request(request: Request, limit: int) -> ApiRequest:
    """The `ApiRequest` of a Starlette request: the path relative to the mount, the mount's absolute URL."""
    root = request.scope.get("root_path", "")
    path = request.scope["path"]
    if root and path.startswith(root):
        path = path[len(root) :]
    url = request.url
    return ApiRequest(
        method=request.method,
        path=path or "/",
        query=request.query_params.multi_items(),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=await _body(request, limit),
        base_url=f"{url.scheme}://{url.netloc}{root}",
    )


def rest_asgi_app(kernel: Kernel) -> Starlette:
    """The REST API of ``kernel`` as an ASGI app: ``app.mount("/api", rest_asgi_app(kernel))``."""
    api = RestApi(kernel)

    async def endpoint(request: Request) -> Response:
        answer = await api.handle(await to_api_request(request, kernel.config.api.max_body_size))
        return Response(answer.body, status_code=answer.status, headers=answer.headers)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=_METHODS)])
