"""`create_app`: the kernel's Starlette application.

Routes (relative to where the app is mounted):

* ``GET /healthz`` — liveness, always 200 while the process serves;
* ``GET /readyz`` — readiness with JSON details, 200 or 503;
* ``GET /dashboard/`` — the live dashboard (``/`` and ``/dashboard`` redirect to it);
* ``GET /dashboard/api/snapshot`` — the dashboard document as JSON;
* ``GET /dashboard/api/events`` — the same document pushed as server-sent events;
* ``GET /dashboard/static/<file>`` — the page's script and style, and plotly.js
  from the installed ``plotly`` package (no CDN);
* every ``register_routes`` entry of every plugin (``/metrics`` from the
  prometheus plugin, ...).

Every route but the two health checks requires an authenticated actor with the
role ``monitoring.web.role`` (``monitoring.web.auth``: bearer token by default,
HTTP basic, your own authenticator, or ``none`` to open it explicitly), and every
request a ``Host`` in the allow-list (DNS rebinding); see `prisma_infra.web.auth`.

Run standalone (``prisma-infra dashboard``), the app starts the infrastructure
in its lifespan and closes it at shutdown. Mounted into another application
(``app.mount("/infra", create_app(infra))``), that application owns the
infrastructure's lifecycle; plugin routes and panels are collected on the
first request after the infrastructure has loaded its plugins.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from prisma_infra.errors import PluginError, PrismaInfraError
from prisma_infra.kernel import Kernel
from prisma_infra.monitoring.health import liveness, readiness
from prisma_infra.web.auth import FROM_SETTINGS, Authenticator, AuthGuard, WebAccess, _FromSettings
from prisma_infra.web.dashboard import DashboardData
from prisma_infra.web.hosts import HostGuard
from prisma_infra.web.panels import collect_panels

if TYPE_CHECKING:
    from prisma_infra.plugin_manager import PluginManager

__all__ = ["InfraApp", "ServedKernel", "create_app", "plotly_js_path"]

log = logging.getLogger("prisma_infra.web")

STATIC = Path(str(resources.files("prisma_infra.web") / "static"))
_OWN_STATIC = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
_RESERVED = ("/healthz", "/readyz", "/dashboard")


def plotly_js_path() -> Path:
    """plotly.min.js as shipped in the installed ``plotly`` package's data."""
    try:
        root = resources.files("plotly")
    except ModuleNotFoundError as exc:  # pragma: no cover - plotly is a dependency of prisma-infra
        raise PrismaInfraError("The dashboard draws charts with plotly.js: pip install plotly") from exc
    path = Path(str(root / "package_data" / "plotly.min.js"))
    if not path.is_file():  # pragma: no cover - every plotly release ships it there
        raise PrismaInfraError(f"plotly.min.js is not in the installed plotly package ({path})")
    return path


class ServedKernel(Kernel, Protocol):
    """A kernel the app can start and close when it runs standalone (``Infrastructure`` is one)."""

    async def start(self) -> object:
        """Load plugins, build providers, start the engine and read the schema."""
        ...

    async def close(self) -> None:
        """Close every provider; safe to call twice."""
        ...


def _started(kernel: Kernel) -> bool:
    try:
        return kernel.runtime is not None
    except PrismaInfraError:
        return False


class InfraApp(Starlette):
    """The Starlette app of one infrastructure; ``app.state.kernel`` (and, deprecated,
    ``app.state.infrastructure``) is it.

    Every route but ``/healthz`` and ``/readyz`` needs an authenticated actor with the
    required role (`prisma_infra.web.auth`); every request needs an allowed ``Host``.
    """

    def __init__(
        self,
        kernel: ServedKernel,
        *,
        debug: bool = False,
        authenticate: Authenticator | str | None = None,
        role: str | _FromSettings | None = FROM_SETTINGS,
        allowed_hosts: Sequence[str] | None = None,
    ) -> None:
        self.kernel = kernel
        self.dashboard = DashboardData(kernel)
        self.access = WebAccess(kernel, authenticate=authenticate, role=role, allowed_hosts=allowed_hosts)
        self.access.current()  # a missing secret or an open app is logged now, not at the first request
        self._extensions_loaded = False
        super().__init__(
            debug=debug,
            routes=_routes(),
            lifespan=self._lifespan,
            middleware=[Middleware(HostGuard, access=self.access), Middleware(AuthGuard, access=self.access)],
        )
        self.state.kernel = self.state.infrastructure = kernel
        self.load_extensions()

    @property
    def infrastructure(self) -> ServedKernel:
        """Deprecated name of `kernel`."""
        return self.kernel

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: Starlette) -> AsyncIterator[None]:
        kernel = self.kernel
        owned = not _started(kernel)
        if owned:
            await kernel.start()
        self.load_extensions()
        try:
            yield
        finally:
            if owned:
                await kernel.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._extensions_loaded and scope["type"] in ("http", "websocket"):
            self.load_extensions(strict=False)
        await super().__call__(scope, receive, send)

    def load_extensions(self, *, strict: bool = True) -> bool:
        """Add plugin routes and panels once the infrastructure has loaded its plugins.

        :param strict: raise `PluginError` on a bad registration (else log it and skip that hook).
        :return: whether they are loaded.
        """
        if self._extensions_loaded:
            return True
        try:
            plugins = self.kernel.plugins
        except PrismaInfraError:  # loaded when the infrastructure starts
            return False
        self._extensions_loaded = True
        for what, load in (("routes", self._load_routes), ("dashboard panels", self._load_panels)):
            try:
                load(plugins)
            except PluginError:
                if strict:
                    raise
                log.exception("plugin %s were not added to the web app", what)
        return True

    def _load_routes(self, plugins: PluginManager) -> None:
        found = plugins.collect(
            "register_routes",
            check=lambda endpoint: callable(endpoint),
            expected="a Starlette endpoint or an ASGI app",
        )
        routes: list[BaseRoute] = []
        for path, registration in found.items():
            if not path.startswith("/"):
                raise PluginError(
                    f"Plugin {registration.plugin!r} registered route {path!r}: paths start with '/'",
                    plugin=registration.plugin,
                )
            if any(path == reserved or path.startswith(reserved + "/") for reserved in _RESERVED):
                raise PluginError(
                    f"Plugin {registration.plugin!r} registered route {path!r}, which the kernel serves",
                    plugin=registration.plugin,
                )
            routes.append(Route(path, _endpoint(registration.factory), name=f"plugin:{registration.plugin}:{path}"))
        self.router.routes.extend(routes)

    def _load_panels(self, plugins: PluginManager) -> None:
        self.dashboard.panels.update(collect_panels(plugins))


class _ASGIFunction:
    """Makes Starlette's `Route` treat a plain ``async def app(scope, receive, send)`` as an ASGI app."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _endpoint(endpoint: Any) -> Any:
    """A function taking ``(scope, receive, send)`` is an ASGI app; one taking ``request`` an endpoint."""
    if inspect.isfunction(endpoint) or inspect.ismethod(endpoint):
        try:
            positional = [
                p
                for p in inspect.signature(endpoint).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
        except (TypeError, ValueError):
            return endpoint
        if len(positional) == 3:
            return _ASGIFunction(endpoint)
    return endpoint


def _kernel(request: Request) -> Kernel:
    kernel: Kernel = request.app.state.kernel
    return kernel


async def healthz(request: Request) -> Response:
    return JSONResponse(liveness())


async def readyz(request: Request) -> Response:
    ready, details = await readiness(_kernel(request))
    return JSONResponse(details, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})


async def to_dashboard(request: Request) -> Response:
    return RedirectResponse(request.url_for("dashboard"), status_code=307)


async def dashboard_page(request: Request) -> Response:
    return FileResponse(STATIC / "dashboard.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


async def static_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name == "plotly.min.js":
        return FileResponse(
            plotly_js_path(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )
    media_type = _OWN_STATIC.get(name)
    if media_type is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(STATIC / name, media_type=media_type, headers={"Cache-Control": "no-cache"})


async def snapshot(request: Request) -> Response:
    data: DashboardData = request.app.dashboard
    return Response(await data.json(), media_type="application/json", headers={"Cache-Control": "no-store"})


async def events(request: Request) -> Response:
    """Server-sent events: one ``snapshot`` event per ``monitoring.dashboard_interval``, while the
    request's credentials stay valid (a rotated token or a removed role closes the stream)."""
    data: DashboardData = request.app.dashboard
    access: WebAccess = request.app.access

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        while await access.admits(request):
            payload = await data.json()
            yield b"event: snapshot\ndata: " + payload + b"\n\n"
            await asyncio.sleep(data.interval)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"},
    )


def _routes() -> list[BaseRoute]:
    return [
        Route("/", to_dashboard, name="root"),
        Route("/healthz", healthz, name="healthz"),
        Route("/readyz", readyz, name="readyz"),
        Route("/dashboard", to_dashboard, name="dashboard_redirect"),
        Route("/dashboard/", dashboard_page, name="dashboard"),
        Route("/dashboard/static/{name}", static_file, name="dashboard_static"),
        Route("/dashboard/api/snapshot", snapshot, name="dashboard_snapshot"),
        Route("/dashboard/api/events", events, name="dashboard_events"),
    ]


def create_app(
    kernel: ServedKernel,
    *,
    debug: bool = False,
    authenticate: Authenticator | str | None = None,
    role: str | _FromSettings | None = FROM_SETTINGS,
    allowed_hosts: Sequence[str] | None = None,
) -> InfraApp:
    """The kernel's Starlette app for ``kernel`` (an `Infrastructure`): health, dashboard and plugin routes.

    :param kernel: started or not; when not, the app's lifespan starts and closes it.
    :param debug: Starlette's debug mode (tracebacks in error responses).
    :param authenticate: ``authenticate(request) -> actor | None`` (plain or async), or one of
        ``monitoring.web.auth``'s values; default: ``monitoring.web.auth``.
    :param role: the role the actor needs (``None``: any actor); default ``monitoring.web.role``.
    :param allowed_hosts: ``Host`` names served; default ``monitoring.web.allowed_hosts``, else
        ``monitoring.dashboard_host`` and localhost.
    """
    return InfraApp(kernel, debug=debug, authenticate=authenticate, role=role, allowed_hosts=allowed_hosts)
