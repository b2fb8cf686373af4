"""The ``Host`` allow-list of the kernel's web app: a page on another site that rebinds its
DNS name to 127.0.0.1 reaches the app with its own name in ``Host``, and is refused (400).

Starlette's `TrustedHostMiddleware` does the matching; this wrapper rebuilds it when the
allow-list in force changes (settings reloaded).
"""

from __future__ import annotations

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from prisma_infra.web.auth import WebAccess

__all__ = ["HostGuard"]


class HostGuard:
    """ASGI middleware: only requests whose ``Host`` is in `WebAccess`'s allow-list get through."""

    def __init__(self, app: ASGIApp, access: WebAccess) -> None:
        self.app = app
        self.access = access
        self._hosts: list[str] | None = None
        self._guard: TrustedHostMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        _, _, hosts = self.access.current()
        if self._guard is None or hosts is not self._hosts:
            self._guard = TrustedHostMiddleware(self.app, allowed_hosts=hosts, www_redirect=False)
            self._hosts = hosts
        await self._guard(scope, receive, send)
