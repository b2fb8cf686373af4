"""Any WSGI framework on prisma-infra: the request's actor, problem+json errors and the REST API.

`InfraWSGIMiddleware` wraps a WSGI app (Django, Bottle, Pyramid, Falcon, a Flask app ...)::

    infra = SyncInfrastructure.from_settings("settings.toml").start()
    application = InfraWSGIMiddleware(application, infra)

Each request's actor is resolved (the app's resolvers, then those of ``api.auth``), every infra call
the wrapped app makes while it answers (the response's iteration included) acts as it, one of our
errors raised through the app becomes ``application/problem+json`` (`problems.problem_for`), and
requests under ``api.prefix`` are answered by the auto REST API.

The pieces are shared with the Flask extension (`prisma_infra.integrations.flask`), so a request is
turned into an `ApiRequest` and its actor resolved in one place:

- `LoopBridge`: a `SyncInfrastructure` as the adapters use it: ``run(coroutine)`` on its one loop
  thread (no event loop per request) and the async infrastructure (the kernel the REST API runs on).
  A coroutine run there sees the contextvars of the calling thread (``run_coroutine_threadsafe``
  schedules it with a copy of the caller's context), so ``acting_as`` in the request's thread
  reaches every operation.
- `RequestActors`: the actor step (``RequestInfo`` from the environ, ``resolve_actor`` on the loop).
- `request_info`, `api_request`: the environ as the resolvers and the REST API see it.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

from prisma_infra.context import acting_as
from prisma_infra.errors import PrismaInfraError
from prisma_infra.integrations.actors import ActorResolver, RequestInfo, SettingsResolvers, resolve_actor
from prisma_infra.integrations.problems import MEDIA_TYPE, Problem, problem_for
from prisma_infra.integrations.request_ids import REQUEST_ID_HEADER, request_id
from prisma_infra.rest.request import ApiRequest, ApiRequestError, ApiResponse

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.rest.api import RestApi
    from prisma_infra.sync import SyncInfrastructure

__all__ = [
    "REQUEST_ID_HEADER",
    "InfraWSGIMiddleware",
    "LoopBridge",
    "RequestActors",
    "api_request",
    "path_under",
    "problem_headers",
    "read_body",
    "request_id",
    "request_info",
    "status_line",
]

T = TypeVar("T")
log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class LoopBridge:
    """A `SyncInfrastructure` as the web adapters use it: one loop thread for every request."""

    def __init__(self, infra: SyncInfrastructure) -> None:
        self.infra = infra
        self._api: RestApi | None = None
        self._lock = threading.Lock()

    @property
    def kernel(self) -> Infrastructure:
        """The async infrastructure behind the facade (what `RestApi` and the resolvers read)."""
        return self.infra.infrastructure

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the facade's loop thread with the caller's contextvars; block until done."""
        return self.infra.run(coroutine)

    @property
    def rest(self) -> RestApi:
        """The auto REST API on this infrastructure (one instance: it reads the settings each request)."""
        if self._api is None:
            with self._lock:
                if self._api is None:
                    from prisma_infra.rest.api import RestApi

                    self._api = RestApi(self.kernel)
        return self._api

    def serve_api(self, request: ApiRequest) -> ApiResponse:
        """Answer ``request`` with the REST API (as the actor the caller's context carries)."""
        return self.run(self.rest.handle(request))


class RequestActors:
    """The actor step: the app's resolvers first, then those ``api.auth`` configures (rebuilt on a reload)."""

    def __init__(self, bridge: LoopBridge, resolvers: Sequence[ActorResolver] = ()) -> None:
        self._bridge = bridge
        self._own = tuple(resolvers)
        self._settings = SettingsResolvers()

    def resolve(self, info: RequestInfo) -> Any:
        """The request's actor (the configured anonymous one when no resolver answers).

        Raises `AuthenticationError` for credentials that are present but invalid.
        """
        config = self._bridge.kernel.config
        resolvers = [*self._own, *self._settings.get(config)]
        return self._bridge.run(resolve_actor(resolvers, info, config.api.auth.anonymous))


def _decoded(text: str) -> str:
    """A WSGI native string (latin-1 code points of the raw bytes) as UTF-8 text."""
    return text.encode("latin-1", "replace").decode("utf-8", "replace")


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers[key.replace("_", "-").lower()] = value
    return headers


def request_info(environ: Mapping[str, Any]) -> RequestInfo:
    """What a resolver sees of a WSGI request: lower-cased headers and the peer address."""
    return RequestInfo(headers=_headers(environ), client=environ.get("REMOTE_ADDR") or None)


def _host_url(environ: Mapping[str, Any]) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = str(environ.get("SERVER_PORT", ""))
        if port and port != ("443" if scheme == "https" else "80"):
            host = f"{host}:{port}"
    return f"{scheme}://{host}"


def api_request(environ: Mapping[str, Any], *, mount: str, path: str, body: bytes) -> ApiRequest:
    """The WSGI request as the REST API sees it.

    :param mount: where the API is mounted, relative to the app's root (``"/api"``).
    :param path: the request's path relative to ``mount`` (``"/user/42"``).
    """
    script = _decoded(environ.get("SCRIPT_NAME", "")).rstrip("/")
    query = _decoded(environ.get("QUERY_STRING", ""))
    return ApiRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=path if path.startswith("/") else f"/{path}",
        query=parse_qsl(query, keep_blank_values=True),
        headers=_headers(environ),
        body=body,
        base_url=f"{_host_url(environ)}{script}{mount.rstrip('/')}",
    )


def path_under(environ: Mapping[str, Any], prefix: str) -> str | None:
    """The request's path relative to ``prefix`` (``"/"`` at the prefix itself), or None outside it."""
    path = _decoded(environ.get("PATH_INFO", "")) or "/"
    prefix = prefix.rstrip("/")
    if not prefix:
        return path
    if path == prefix:
        return "/"
    if path.startswith(prefix + "/"):
        return path[len(prefix) :]
    return None


def status_line(status: int) -> str:
    """``"404 Not Found"``."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def problem_headers(problem: Problem) -> list[tuple[str, str]]:
    """The headers of a problem response (content type, ``Retry-After``, ``WWW-Authenticate`` ...)."""
    return [("Content-Type", MEDIA_TYPE), *problem.headers.items()]


def read_body(stream: Any, *, length: int | None, limit: int) -> bytes:
    """The request body, never more than ``limit`` bytes read (``api.max_body_size``): larger is a 413.

    :param length: the ``Content-Length`` (``None``: unknown, a chunked body read to its end).
    """
    if length is not None and length > limit:
        raise ApiRequestError(f"The request body exceeds api.max_body_size ({limit} bytes)", status=413)
    data = bytes(stream.read(limit + 1 if length is None else length)) if length != 0 else b""
    if len(data) > limit:
        raise ApiRequestError(f"The request body exceeds api.max_body_size ({limit} bytes)", status=413)
    return data


def _environ_body(environ: Mapping[str, Any], limit: int) -> bytes:
    stream = environ.get("wsgi.input")
    try:
        length: int | None = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiRequestError("The Content-Length header is not a number", status=400) from None
    if not length and environ.get("wsgi.input_terminated"):
        length = None  # chunked: the server ends the stream
    return b"" if stream is None else read_body(stream, length=length, limit=limit)


class InfraWSGIMiddleware:
    """Wraps any WSGI app: request-scoped actor, problem+json for our errors, the REST API under a prefix.

    :param app: the WSGI application.
    :param infra: the `SyncInfrastructure` every request runs on (started by the caller).
    :param resolvers: the app's own actor resolvers (``RequestInfo -> actor | None``, sync or async),
        tried before those ``api.auth`` configures.
    :param api: answer the auto REST API's requests (when ``api.enabled`` is on).
    :param prefix: where the REST API is served (default: ``api.prefix``, read each request).
    """

    def __init__(
        self,
        app: WSGIApp,
        infra: SyncInfrastructure,
        *,
        resolvers: Sequence[ActorResolver] = (),
        api: bool = True,
        prefix: str | None = None,
    ) -> None:
        self.app = app
        self.bridge = LoopBridge(infra)
        self.actors = RequestActors(self.bridge, resolvers)
        self.api = api
        self.prefix = prefix

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        info = request_info(environ)
        rid = request_id(info.headers)
        start_response = _echoing(start_response, rid)
        try:
            actor = self.actors.resolve(info)
        except PrismaInfraError as exc:
            return _problem(start_response, exc)
        except Exception as exc:  # a resolver failed (an unreadable key file, the app's own bug): a generic 500
            log.exception("The actor resolver failed (%s); answered 500", type(exc).__name__)
            return _problem(start_response, exc)
        relative = self._api_path(environ)
        if relative is not None:
            return self._serve_api(environ, start_response, relative, actor, rid)
        # The app's response may be iterated after it returns: the actor lives in a context of its own.
        context = contextvars.copy_context()
        scope = acting_as(actor, request_id=rid)
        context.run(scope.__enter__)
        try:
            result = context.run(self.app, environ, start_response)
        except PrismaInfraError as exc:
            context.run(scope.__exit__, None, None, None)
            return _problem(start_response, exc, (type(exc), exc, exc.__traceback__))
        except BaseException:
            context.run(scope.__exit__, None, None, None)
            raise
        return _InContext(result, context, scope)

    def _api_path(self, environ: Mapping[str, Any]) -> str | None:
        if not self.api:
            return None
        config = self.bridge.kernel.config.api
        if not config.enabled:
            return None
        return path_under(environ, config.prefix if self.prefix is None else self.prefix)

    def _serve_api(
        self, environ: Mapping[str, Any], start_response: StartResponse, relative: str, actor: Any, rid: str
    ) -> Iterable[bytes]:
        path = _decoded(environ.get("PATH_INFO", "")) or "/"
        mount = path[: len(path) - len(relative)] if relative != "/" else path.rstrip("/")
        try:
            request = api_request(
                environ,
                mount=mount,
                path=relative,
                body=_environ_body(environ, self.bridge.kernel.config.api.max_body_size),
            )
        except PrismaInfraError as exc:
            return _problem(start_response, exc)
        with acting_as(actor, request_id=rid):
            response = self.bridge.serve_api(request)
        start_response(status_line(response.status), list(response.headers.items()))
        return [response.body]


def _echoing(start_response: StartResponse, rid: str) -> StartResponse:
    def start(status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None) -> Any:
        headers = [*headers, (REQUEST_ID_HEADER, rid)]
        return start_response(status, headers) if exc_info is None else start_response(status, headers, exc_info)

    return start


def _problem(start_response: StartResponse, exc: BaseException, exc_info: ExcInfo | None = None) -> list[bytes]:
    problem = problem_for(exc)
    if exc_info is None:
        start_response(status_line(problem.status), problem_headers(problem))
    else:
        # The app may have started a response already: replace it (PEP 3333 re-raises once bytes went out).
        start_response(status_line(problem.status), problem_headers(problem), exc_info)
    return [problem.json()]


class _InContext:
    """The app's response iterated (and closed) in the request's context, where its actor is set.

    The actor's block ends in that context too: when the iteration ends or fails, at ``close()``, or,
    should a server do neither, when the response is dropped.
    """

    def __init__(self, result: Iterable[bytes], context: contextvars.Context, scope: Any) -> None:
        self._result = result
        self._iterator: Iterator[bytes] | None = None
        self._context = context
        self._scope: Any = scope

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            if self._iterator is None:
                self._iterator = self._context.run(iter, self._result)
            return self._context.run(next, self._iterator)
        except BaseException:
            self._leave()
            raise

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                self._context.run(close)
        finally:
            self._leave()

    def _leave(self) -> None:
        scope, self._scope = self._scope, None
        if scope is not None:
            self._context.run(scope.__exit__, None, None, None)

    def __del__(self) -> None:
        self._leave()
