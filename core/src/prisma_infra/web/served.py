"""`ServedApp`: the one ASGI application ``prisma-infra serve`` runs in each worker.

Paths (the REST API's prefix is ``api.prefix``, ``/api`` by default):

* ``/healthz``, ``/readyz`` — liveness and readiness (open);
* ``/dashboard/...`` and every plugin route (``/metrics`` ...) — the kernel's web app
  (`prisma_infra.web.app.InfraApp`), behind ``monitoring.web.auth``;
* ``<api.prefix>/...`` — the auto REST API, given as an ASGI app (the caller builds it with
  its actor middleware: this module only knows the kernel port).

Every request needs a ``Host`` in the allow-list (``monitoring.web.allowed_hosts``, else the
bind address and localhost), the API's included: a page that rebinds its DNS name to the
server must not reach an API that admits anonymous actors.

The lifespan starts the kernel, starts the settings watcher when it was loaded from files,
adds the plugin routes, and closes the kernel at shutdown: one kernel per worker process.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prisma_infra.errors import ConfigurationError, PrismaInfraError
from prisma_infra.web.app import InfraApp, ServedKernel, create_app
from prisma_infra.web.hosts import HostGuard

__all__ = ["DEBUG_WORKER_VAR", "ServedApp", "WatchedKernel", "WorkerHeader", "check_prefix", "create_served_app"]

log = logging.getLogger("prisma_infra.web")

#: ``1``: every response carries ``X-Served-By: <pid>`` (to see which worker answered; off by default).
DEBUG_WORKER_VAR = "PRISMA_INFRA_SERVE_DEBUG_WORKER"
_KERNEL_PATHS = ("/healthz", "/readyz", "/dashboard", "/dashboard/{path:path}")
_RESERVED = ("/healthz", "/readyz", "/dashboard")


class WatchedKernel(ServedKernel, Protocol):
    """A kernel that can also watch its settings files (``Infrastructure`` is one)."""

    async def watch(self) -> object:
        """Start applying every valid save of the settings files."""
        ...


class WorkerHeader:
    """ASGI middleware adding ``X-Served-By: <pid>`` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.value = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_pid(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-served-by", self.value)]}
            await send(message)

        await self.app(scope, receive, send_with_pid)


class _Forward:
    """The kernel's app as a route endpoint: the path goes through unchanged, and its own router
    (not this app's) answers ``url_for``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({key: value for key, value in scope.items() if key != "router"}, receive, send)


class ServedApp(Starlette):
    """The kernel's web app and the REST API under one lifespan; ``app.state.kernel`` is the kernel."""

    def __init__(
        self,
        kernel: WatchedKernel,
        api: ASGIApp | None,
        *,
        prefix: str,
        allowed_hosts: Sequence[str] | None = None,
        watch: bool = True,
        debug_worker: bool = False,
    ) -> None:
        self.kernel = kernel
        self.watch = watch
        self.dashboard: InfraApp = create_app(kernel, allowed_hosts=allowed_hosts)
        self.prefix = prefix
        self._forward = _Forward(self.dashboard)
        routes: list[BaseRoute] = [Route(path, self._forward) for path in _KERNEL_PATHS]
        if api is not None:
            routes.append(Mount(prefix, app=api, name="api"))
        if prefix or api is None:
            routes.append(Mount("", app=self._forward, name="kernel"))  # "/" and plugin routes
        middleware = [Middleware(HostGuard, access=self.dashboard.access)]
        if debug_worker:
            middleware.insert(0, Middleware(WorkerHeader))
        super().__init__(routes=routes, middleware=middleware, lifespan=self._lifespan)
        self.state.kernel = kernel
        self._start_failure: PrismaInfraError | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await super().__call__(scope, receive, send)
            return

        async def reporting(message: Message) -> None:
            failure = self._start_failure
            if message["type"] == "lifespan.startup.failed" and failure is not None:
                # Our errors name the setting and carry no values: the message, not a traceback.
                message = {**message, "message": f"prisma-infra could not start: {failure}"}
            await send(message)

        await super().__call__(scope, receive, reporting)

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: Starlette) -> AsyncIterator[None]:
        kernel = self.kernel
        try:
            await kernel.start()
        except PrismaInfraError as exc:
            self._start_failure = exc
            raise
        try:
            if self.watch:
                await kernel.watch()
            self.dashboard.load_extensions()
            if not self.prefix:
                self._route_plugins_before_the_api()
            yield
        finally:
            await kernel.close()

    def _route_plugins_before_the_api(self) -> None:
        """With the API at the root, plugin routes (``/metrics``) must come before its mount."""
        plugin_paths = [
            route.path
            for route in self.dashboard.router.routes
            if isinstance(route, Route) and (route.name or "").startswith("plugin:")
        ]
        at = next(i for i, route in enumerate(self.router.routes) if isinstance(route, Mount))
        self.router.routes[at:at] = [Route(path, self._forward) for path in plugin_paths]


def check_prefix(prefix: str) -> None:
    """Refuse an ``api.prefix`` that would hide the kernel's own paths (or be hidden by them).

    :raises ConfigurationError: naming ``api.prefix``.
    """
    for reserved in _RESERVED:
        if prefix == reserved or prefix.startswith(reserved + "/"):
            raise ConfigurationError(
                f"api.prefix {prefix!r} is a path the kernel's web app serves ({reserved}); choose another, "
                "e.g. '/api'",
                problems=[f"api.prefix: {reserved} is reserved"],
            )


def create_served_app(
    kernel: WatchedKernel,
    api: ASGIApp | None,
    *,
    host: str = "127.0.0.1",
    watch: bool = True,
    debug_worker: bool | None = None,
) -> ServedApp:
    """The application of one worker of ``prisma-infra serve``.

    :param kernel: not started: the app's lifespan starts it (and its settings watcher) and closes it.
    :param api: the REST API as an ASGI app, mounted at ``api.prefix`` (``None``: no API).
    :param host: the bind address; with ``monitoring.web.allowed_hosts`` unset, requests must name it
        or localhost in ``Host``.
    :param watch: start the settings watcher (hot reload) in the lifespan.
    :param debug_worker: add ``X-Served-By: <pid>``; default: ``PRISMA_INFRA_SERVE_DEBUG_WORKER=1``.
    """
    from prisma_infra.web.auth import default_hosts

    config = kernel.config
    check_prefix(config.api.prefix)
    # From the settings when they name the hosts: a reload that changes them then takes effect.
    hosts = None if config.monitoring.web.allowed_hosts is not None else default_hosts(host)
    if debug_worker is None:
        debug_worker = os.environ.get(DEBUG_WORKER_VAR) == "1"
    return ServedApp(
        kernel,
        api,
        prefix=config.api.prefix,
        allowed_hosts=hosts,
        watch=watch,
        debug_worker=debug_worker,
    )
