"""`ActorMiddleware`: a pure ASGI middleware that sets the acting actor for each request.

::

    async def resolve_actor(scope):            # sync or async; gets the ASGI scope
        token = dict(scope["headers"]).get(b"authorization")
        return await users_by_token(token)     # a dict or an object with id/roles/tenant_id

    app = ActorMiddleware(app, resolve_actor)  # Starlette: app.add_middleware(ActorMiddleware, resolve_actor=...)

Every operation run while the request is handled carries that actor (policies,
audit, cache scope). The request id comes from the ``x-request-id`` header
when the client sends one.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prisma_infra.context import acting_as

__all__ = ["ActorMiddleware"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
ActorResolver = Callable[[Scope], Any]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class ActorMiddleware:
    """Runs each HTTP/WebSocket request ``acting_as(resolve_actor(scope))``; other scopes pass through."""

    def __init__(self, app: ASGIApp, resolve_actor: ActorResolver, *, request_id_header: str = "x-request-id") -> None:
        self.app = app
        self.resolve_actor = resolve_actor
        self.request_id_header = request_id_header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        actor = self.resolve_actor(scope)
        if inspect.isawaitable(actor):
            actor = await actor
        request_id = _header(scope, self.request_id_header) or uuid.uuid4().hex
        with acting_as(actor, request_id=request_id):
            await self.app(scope, receive, send)
