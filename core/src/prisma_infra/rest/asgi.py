"""`rest_asgi_app`: the REST API as a minimal ASGI app (Starlette's request and response), mountable anywhere.

Every HTTP request goes to `RestApi.handle`, whatever its path (no router: a
path holding any character, a newline included, still gets the API's own
answer, problem+json for an error); ``/openapi.json`` and ``/docs`` are answered
there too. The app sets no actor: mount it behind the integration's middleware
(`prisma_infra.integrations.starlette.InfraMiddleware`), which enters
``acting_as`` for the request. The body is read up to ``api.max_body_size``
(one byte more, to answer 413 without reading an unbounded body).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from prisma_infra.rest.api import RestApi
from prisma_infra.rest.request import ApiRequest

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from prisma_infra.kernel import Kernel

__all__ = ["RestAsgiApp", "rest_asgi_app", "to_api_request"]


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
    raw: bytes | None = request.scope.get("raw_path")
    raw_path = raw.decode("latin-1") if raw else None
    encoded_root = quote(root)
    if raw_path is not None:
        if encoded_root and raw_path.startswith(encoded_root):
            raw_path = raw_path[len(encoded_root) :]
        elif root:  # a root that does not prefix the raw path: rely on the decoded one
            raw_path = None
    return ApiRequest(
        method=request.method,
        path=path or "/",
        raw_path=raw_path,
        query=request.query_params.multi_items(),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=await _body(request, limit),
        base_url=_base_url(request, root),
    )


#: Base URLs by what they are made of: building Starlette's URL is a tenth of a cached read.
_BASE_URLS: dict[tuple[Any, ...], str] = {}
_MAX_BASE_URLS = 256


def _base_url(request: Request, root: str) -> str:
    scope = request.scope
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    key = (scope.get("scheme"), host, scope.get("server"), root)
    found = _BASE_URLS.get(key)
    if found is None:
        url = request.url
        found = f"{url.scheme}://{url.netloc}{root}"
        if len(_BASE_URLS) >= _MAX_BASE_URLS:  # Host headers are the client's: keep the table bounded
            _BASE_URLS.clear()
        _BASE_URLS[key] = found
    return found


class RestAsgiApp:
    """The ASGI app of `rest_asgi_app` (HTTP only; a lifespan is acknowledged, nothing to start)."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.api = RestApi(kernel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        answer = await self.api.handle(await to_api_request(request, self.kernel.config.api.max_body_size))
        await Response(answer.body, status_code=answer.status, headers=answer.headers)(scope, receive, send)


def rest_asgi_app(kernel: Kernel) -> RestAsgiApp:
    """The REST API of ``kernel`` as an ASGI app: ``app.mount("/api", rest_asgi_app(kernel))``."""
    return RestAsgiApp(kernel)
