"""``/metrics`` for the kernel's web app, for any ASGI app and for any WSGI app.

The exporter serving a scrape is looked up on every request in the running
configuration (``runtime.services[METRICS_EXPORTERS]``), so a reload that
replaces it is picked up without remounting. On ASGI the text is rendered in
a worker thread: ``generate_latest`` over many label sets takes tens of
milliseconds and must not block the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prisma_infra_sdk import METRICS_EXPORTERS, PrismaInfraError
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from prisma_infra_prometheus.exporter import PrometheusExporter

__all__ = ["MetricsApp", "asgi_app", "find_exporter", "metrics_response", "wsgi_app"]

_UNAVAILABLE = (
    "No Prometheus exporter is running: add 'prometheus' to monitoring.exporters "
    "(and keep monitoring.enabled on), then start the infrastructure.\n"
)


def find_exporter(infrastructure: Any) -> PrometheusExporter | None:
    """The running `PrometheusExporter` of ``infrastructure`` (async or sync facade), if any."""
    try:
        exporters = infrastructure.runtime.services.get(METRICS_EXPORTERS)
    except PrismaInfraError:
        return None
    for exporter in dict(exporters or {}).values():
        if isinstance(exporter, PrometheusExporter):
            return exporter
    return None


async def metrics_response(infrastructure: Any, headers: Headers) -> Response:
    """The scrape response, rendered off the event loop; 503 with a hint when no exporter runs."""
    exporter = find_exporter(infrastructure)
    if exporter is None:
        return Response(_UNAVAILABLE, status_code=503, media_type="text/plain")
    body, content_type, extra = await asyncio.to_thread(
        exporter.render, headers.get("accept", ""), headers.get("accept-encoding", "")
    )
    response = Response(body, headers={"Cache-Control": "no-store", **dict(extra)})
    response.headers["content-type"] = content_type
    return response


class MetricsApp:
    """An ASGI app answering scrapes at any path it is mounted on.

    :param infrastructure: the infrastructure to read; ``None`` inside the kernel's
        web app, which provides it as ``app.state.infrastructure``.
    """

    def __init__(self, infrastructure: Any = None) -> None:
        self.infrastructure = infrastructure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # served on its own: nothing to start
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            response = Response("method not allowed\n", status_code=405, headers={"Allow": "GET, HEAD"})
        else:
            infrastructure = self.infrastructure
            if infrastructure is None:
                infrastructure = scope["app"].state.infrastructure
            response = await metrics_response(infrastructure, Headers(scope=scope))
        await response(scope, receive, send)


def asgi_app(infrastructure: Any) -> MetricsApp:
    """Mount in your ASGI app: ``app.mount("/metrics", asgi_app(infra))`` (Starlette, FastAPI...)."""
    return MetricsApp(infrastructure)


def wsgi_app(infrastructure: Any) -> Any:
    """A WSGI app for Flask and friends: ``DispatcherMiddleware(app.wsgi_app, {"/metrics": wsgi_app(infra)})``.

    ``infrastructure`` is an `Infrastructure` or a `SyncInfrastructure`; the
    WSGI server already runs the request in a worker thread.
    """

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "GET, HEAD")])
            return [b"method not allowed\n"]
        exporter = find_exporter(infrastructure)
        if exporter is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [_UNAVAILABLE.encode()]
        body, content_type, extra = exporter.render(
            environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_ACCEPT_ENCODING", "")
        )
        start_response(
            "200 OK",
            [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Cache-Control", "no-store"), *extra],
        )
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    return app
