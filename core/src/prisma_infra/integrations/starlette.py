"""Starlette (and any ASGI framework): the request's actor, problem+json errors, the lifespan, the REST API.

* `InfraMiddleware`: pure ASGI middleware. For every HTTP and WebSocket request it builds a
  `RequestInfo` from the scope, asks the resolvers (the app's own first, then those ``api.auth``
  enables), and runs the app inside ``acting_as(actor, request_id=...)``, so policies, cache scope and
  audit see the actor. No resolver answering means ``api.auth.anonymous``; credentials presented but
  invalid mean a 401 problem. The request id is the client's ``X-Request-ID`` when it is a sane token
  (letters, digits, ``._:-``, at most 128), else a new UUID4, and is echoed in the response.
* `problem_response` / `exception_handlers`: every error through
  `prisma_infra.integrations.problems.problem_for`, the one mapping.
* `lifespan`: starts one `Infrastructure` (and its settings watcher), publishes it as
  ``app.state.kernel``, closes it at shutdown; an infrastructure started by someone else is left to them.
* `rest_app`: the auto REST API (`prisma_infra.rest`) as a mountable ASGI app.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prisma_infra.context import acting_as
from prisma_infra.errors import AuthenticationError, PrismaInfraError
from prisma_infra.integrations import request_ids
from prisma_infra.integrations.actors import ActorResolver, RequestInfo, SettingsResolvers, resolve_actor
from prisma_infra.integrations.problems import MEDIA_TYPE, problem_for
from prisma_infra.integrations.request_ids import REQUEST_ID_HEADER

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.kernel import Kernel

__all__ = [
    "REQUEST_ID_HEADER",
    "SCOPE_KEY",
    "InfraLifespan",
    "InfraMiddleware",
    "Lifespan",
    "combine_lifespans",
    "exception_handlers",
    "kernel_of",
    "lifespan",
    "problem_response",
    "request_info",
    "rest_app",
]

#: Where `InfraMiddleware` puts the infrastructure in the ASGI scope (read by `kernel_of`).
SCOPE_KEY = "prisma_infra.kernel"
#: What ``Starlette(lifespan=...)`` takes: ``lifespan(app)`` is an async context manager.
Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[Any]]
_FROM_SETTINGS: Any = object()


def problem_response(exc: BaseException, *, headers: Mapping[str, str] | None = None) -> Response:
    """The ``application/problem+json`` response for ``exc`` (`problem_for`: the one mapping)."""
    problem = problem_for(exc)
    return Response(
        problem.json(),
        status_code=problem.status,
        headers={**problem.headers, **(headers or {})},
        media_type=MEDIA_TYPE,
    )


async def _handle(request: Request, exc: Exception) -> Response:
    # A foreign exception is re-raised after this response, and the server logs it with its traceback.
    return problem_response(exc)


def exception_handlers() -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    """``Starlette(exception_handlers=exception_handlers())``: our errors, and any other as a generic 500."""
    return {PrismaInfraError: _handle, Exception: _handle}


def request_info(scope: Scope) -> RequestInfo:
    """What a resolver sees of an ASGI request: headers (lower-cased keys, repeats joined) and the peer."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    client = scope.get("client")
    return RequestInfo(headers=headers, client=client[0] if client else None)


def kernel_of(scope: Scope) -> Infrastructure:
    """The infrastructure serving this request: put in the scope by `InfraMiddleware`, else ``app.state``."""
    kernel = scope.get(SCOPE_KEY)
    if kernel is None:
        app = scope.get("app")
        kernel = getattr(getattr(app, "state", None), "kernel", None) if app is not None else None
    if kernel is None:
        raise PrismaInfraError(
            "No prisma-infra infrastructure serves this app: install it (PrismaInfra(...).install(app)) "
            "or use prisma_infra.integrations.starlette.lifespan"
        )
    result: Infrastructure = kernel
    return result


class InfraMiddleware:
    """Pure ASGI middleware: the request's actor and request id around the app (see the module doc).

    :param kernel: the infrastructure (default: ``app.state.kernel``, set by `lifespan`), or a callable
        returning it.
    :param resolvers: the app's own resolvers, asked before the built-in ones: ``(RequestInfo) -> actor |
        None``, plain or async.
    :param settings_resolvers: also ask the resolvers ``api.auth`` enables (JWT, trusted header).
    :param anonymous: the actor of a request no resolver answers (default: ``api.auth.anonymous``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        kernel: Infrastructure | Callable[[], Infrastructure] | None = None,
        resolvers: Sequence[ActorResolver] = (),
        settings_resolvers: bool = True,
        anonymous: Any = _FROM_SETTINGS,
    ) -> None:
        self.app = app
        self._kernel = kernel
        self.resolvers = list(resolvers)
        self._settings = SettingsResolvers() if settings_resolvers else None
        self._anonymous = anonymous

    def kernel(self, scope: Scope) -> Infrastructure:
        if self._kernel is None:
            return kernel_of(scope)
        if callable(self._kernel):
            return self._kernel()
        return self._kernel

    async def actor(self, kernel: Infrastructure, info: RequestInfo) -> Any:
        """The actor of a request: the first resolver that answers, else the anonymous actor."""
        resolvers = [*self.resolvers, *(self._settings.get(kernel.config) if self._settings is not None else ())]
        anonymous = kernel.config.api.auth.anonymous if self._anonymous is _FROM_SETTINGS else self._anonymous
        return await resolve_actor(resolvers, info, anonymous)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        kernel = self.kernel(scope)
        scope[SCOPE_KEY] = kernel
        info = request_info(scope)
        request_id = request_ids.request_id(info.headers)
        echo = (REQUEST_ID_HEADER.lower().encode(), request_id.encode())
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), echo]
            await send(message)

        try:
            actor = await self.actor(kernel, info)
        except AuthenticationError as exc:
            await self._refuse(scope, receive, sending, exc)
            return
        except Exception as exc:  # a resolver failed (an unreadable key file, the app's own bug)
            if scope["type"] == "http":
                await problem_response(exc)(scope, receive, sending)
            else:
                await send({"type": "websocket.close", "code": 1011, "reason": "internal"})
            raise  # the server logs it (the 500 was sent already)
        with acting_as(actor, request_id=request_id):
            try:
                await self.app(scope, receive, sending)
            except Exception as exc:
                if started or scope["type"] != "http":
                    raise
                await problem_response(exc)(scope, receive, sending)
                if not isinstance(exc, PrismaInfraError):
                    raise  # the server logs it (a 500 was sent already)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, exc: AuthenticationError) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "unauthenticated"})
            return
        await problem_response(exc)(scope, receive, send)


class InfraLifespan:
    """``lifespan(app)``: start the infrastructure (and its watcher), publish it, close it at shutdown.

    Entered again while it runs (an app that lists it twice, a composed lifespan), it does nothing more.
    """

    def __init__(
        self, infra: Infrastructure, *, watch: bool = True, polling: bool = False, debounce_ms: int = 200
    ) -> None:
        self.infra = infra
        self.watch = watch
        self.polling = polling
        self.debounce_ms = debounce_ms
        #: Called with the app once the infrastructure is started (checks, route ordering), before serving.
        self.on_start: list[Callable[[Any], None]] = []
        self._depth = 0

    def __call__(self, app: Any) -> contextlib.AbstractAsyncContextManager[None]:
        return self._run(app)

    @contextlib.asynccontextmanager
    async def _run(self, app: Any) -> AsyncIterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        infra = self.infra
        owned = not _started(infra)
        if owned:
            await infra.start()
        self._depth = 1
        try:
            state = getattr(app, "state", None)
            if state is not None:
                state.kernel = state.infrastructure = infra
            if owned and self.watch and infra.loaded is not None:
                await infra.watch(polling=self.polling, debounce_ms=self.debounce_ms)
            for hook in self.on_start:
                hook(app)
            yield
        finally:
            self._depth = 0
            if owned:
                await infra.close()


def _started(infra: Infrastructure) -> bool:
    try:
        return infra.runtime is not None
    except PrismaInfraError:
        return False


def _infrastructure(infra: Infrastructure | str | Path) -> Infrastructure:
    if isinstance(infra, str | Path):
        from prisma_infra.infrastructure import Infrastructure

        return Infrastructure.from_settings(infra)
    return infra


def lifespan(
    infra: Infrastructure | str | Path, *, watch: bool = True, polling: bool = False, debounce_ms: int = 200
) -> InfraLifespan:
    """A Starlette lifespan for ``infra`` (an `Infrastructure`, or a settings file to load one from).

    It starts the infrastructure, starts its settings watcher when ``watch`` (every valid save is applied;
    ``polling`` where file-system events do not arrive), sets ``app.state.kernel``, and closes it at
    shutdown. An infrastructure already started is only published: whoever started it closes it.
    """
    return InfraLifespan(_infrastructure(infra), watch=watch, polling=polling, debounce_ms=debounce_ms)


def combine_lifespans(outer: Lifespan, inner: Lifespan) -> Lifespan:
    """One lifespan running ``inner`` inside ``outer`` (the app's own lifespan sees a started infrastructure)."""

    @contextlib.asynccontextmanager
    async def combined(app: Any) -> AsyncIterator[Any]:
        async with outer(app), inner(app) as state:
            yield state  # the inner lifespan's state (``request.state``), if it has one

    return combined


def rest_app(kernel: Kernel) -> ASGIApp:
    """The auto REST API of ``kernel`` as an ASGI app: ``app.mount("/api", rest_app(infra))``.

    Mount it behind `InfraMiddleware`: the API reads the request's actor from the context.
    """
    from prisma_infra.rest.asgi import rest_asgi_app

    return rest_asgi_app(kernel)
