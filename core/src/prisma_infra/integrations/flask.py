"""The Flask extension: one `SyncInfrastructure` per app, the request's actor, problem+json, the REST API.

::

    pi = PrismaInfra()                      # module level (app factories)

    def create_app() -> Flask:
        app = Flask(__name__)
        app.config["PRISMA_INFRA_SETTINGS"] = "settings.toml"
        pi.init_app(app)
        app.register_blueprint(pi.rest_blueprint())   # the auto REST API at api.prefix
        return app

    @app.get("/authors/<int:id>")
    def author(id: int):
        return pi.repository("user").find_unique(id) or abort(404)

Everything runs on the facade's one event loop thread (no event loop per request). A
``before_request`` resolves the request's actor (the app's resolvers, then those of ``api.auth``:
bearer JWT, a trusted proxy's headers) and enters ``acting_as`` for the rest of the request, so every
infra call of the request acts as it (policies, cache scope, audit). Our errors (and, unless
``errors=False``, any other exception) become ``application/problem+json`` through the one mapping,
`prisma_infra.integrations.problems.problem_for`. The request conversion and the actor step are the
WSGI middleware's (`prisma_infra.integrations.wsgi`), shared.
"""

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import Blueprint, Flask, Response, current_app, g, has_app_context, request
from werkzeug.exceptions import HTTPException

from prisma_infra.context import acting_as
from prisma_infra.errors import ConfigurationError, EngineUnavailableError, PrismaInfraError
from prisma_infra.integrations.actors import ActorResolver
from prisma_infra.integrations.problems import problem_for
from prisma_infra.integrations.wsgi import (
    REQUEST_ID_HEADER,
    LoopBridge,
    RequestActors,
    api_request,
    problem_headers,
    read_body,
    request_id,
    request_info,
)
from prisma_infra.rest.request import ApiRequestError

if TYPE_CHECKING:
    from flask.sansio.app import App

    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.sync import SyncInfrastructure

__all__ = ["EXTENSION", "SETTINGS_KEY", "PrismaInfra", "problem_response"]

#: ``app.extensions`` key of an app's state.
EXTENSION = "prisma_infra"
#: ``app.config`` key naming the settings file(s) (a path or a list of paths; relative to ``app.root_path``).
SETTINGS_KEY = "PRISMA_INFRA_SETTINGS"
#: Every method the REST API answers (it says 405 itself for the others it knows).
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_SCOPE = "_prisma_infra_actor_scope"
_REQUEST_ID = "_prisma_infra_request_id"

Settings = str | Path | Sequence[str | Path]


def problem_response(exc: BaseException) -> Response:
    """The problem+json response of ``exc`` (`problems.problem_for`: one mapping for every adapter)."""
    problem = problem_for(exc)
    return Response(problem.json(), status=problem.status, headers=problem_headers(problem))


def _handle_error(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):
        return exc  # Flask's own 404/405/413 ... stay as they are
    if not isinstance(exc, PrismaInfraError):
        app = current_app
        propagate = app.config.get("PROPAGATE_EXCEPTIONS")
        if propagate or (propagate is None and (app.testing or app.debug)):
            raise exc  # the debugger, or the test client, sees it as Flask would show it
        app.log_exception(sys.exc_info())  # as Flask does without a handler
    return problem_response(exc)


class _AppState:
    """One app's infrastructure (owned or shared), its actor step and its REST API.

    An infrastructure made from settings gets its loop thread when it starts (on first use), not
    in ``init_app``: an app created before a fork (``gunicorn --preload``) has no thread to lose.
    """

    def __init__(
        self,
        infra: Infrastructure | SyncInfrastructure,
        *,
        owned: bool,
        resolvers: Sequence[ActorResolver],
        watch: bool,
    ) -> None:
        from prisma_infra.sync import SyncInfrastructure

        self._given = infra
        self._bridge = LoopBridge(infra) if isinstance(infra, SyncInfrastructure) else None
        self._resolvers = resolvers
        self._actors = RequestActors(self._bridge, resolvers) if self._bridge is not None else None
        self.owned = owned
        self.watch = watch
        self.started = False
        self.closed = False
        self._lock = threading.Lock()

    @property
    def kernel(self) -> Infrastructure:
        """The async infrastructure (its settings can be read before it starts)."""
        return self._bridge.kernel if self._bridge is not None else cast("Infrastructure", self._given)

    def _ready(self) -> tuple[LoopBridge, RequestActors]:
        if self._bridge is None or self._actors is None:
            from prisma_infra.sync import SyncInfrastructure

            with self._lock:
                if self._bridge is None or self._actors is None:
                    self._bridge = LoopBridge(SyncInfrastructure(cast("Infrastructure", self._given)))
                    self._actors = RequestActors(self._bridge, self._resolvers)
        return self._bridge, self._actors

    @property
    def bridge(self) -> LoopBridge:
        """The loop thread the app's requests run on (made on first use)."""
        return self._ready()[0]

    @property
    def actors(self) -> RequestActors:
        """The actor step on `bridge`."""
        return self._ready()[1]

    def start(self) -> SyncInfrastructure:
        if self.closed:
            raise EngineUnavailableError("The Flask app's infrastructure is closed (PrismaInfra.close)")
        if not self.started:
            bridge = self.bridge
            with self._lock:
                if not self.started:
                    bridge.infra.start()  # idempotent: a shared infrastructure may be started already
                    if self.watch:
                        bridge.infra.watch()
                    self.started = True
        return self.bridge.infra

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
        if self.owned and self._bridge is not None:  # never started: no thread, no engine to close
            self._bridge.infra.close()


class PrismaInfra:
    """The Flask extension (``PrismaInfra(app)`` or ``PrismaInfra()`` + ``init_app(app)``).

    :param settings: the settings file(s) (default: ``app.config["PRISMA_INFRA_SETTINGS"]``, else the
        usual discovery of ``settings.toml``); ``app.config`` wins when both are given.
    :param infrastructure: an `Infrastructure` or `SyncInfrastructure` to use instead of settings, shared by
        every app this extension initialises (a `SyncInfrastructure` passed in is not closed by the extension).
    :param resolvers: the app's own actor resolvers (``RequestInfo -> actor | None``, sync or async), tried
        before those ``api.auth`` configures.
    :param errors: answer every error with problem+json (an errorhandler for `PrismaInfraError` and
        ``Exception``; Flask's own HTTP errors are left as they are, and a foreign exception propagates
        when Flask would propagate it: ``PROPAGATE_EXCEPTIONS``, else in testing or debug mode).
    :param start: start the infrastructure in ``init_app`` (default: on the first request or use).
    :param watch: reload the settings when their files change.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        settings: Settings | None = None,
        infrastructure: Infrastructure | SyncInfrastructure | None = None,
        resolvers: Sequence[ActorResolver] = (),
        errors: bool = True,
        start: bool = False,
        watch: bool = False,
    ) -> None:
        self.settings = settings
        self.resolvers = tuple(resolvers)
        self.errors = errors
        self.eager = start
        self.watch = watch
        self._shared: SyncInfrastructure | None = None
        self._owns_shared = False
        if infrastructure is not None:
            from prisma_infra.sync import SyncInfrastructure

            if isinstance(infrastructure, SyncInfrastructure):
                self._shared = infrastructure
            else:
                self._shared, self._owns_shared = SyncInfrastructure(infrastructure), True
                atexit.register(self.close)
        self._states: list[_AppState] = []
        self._lock = threading.Lock()
        if app is not None:
            self.init_app(app)

    # -- set-up ------------------------------------------------------------------------------

    def init_app(self, app: Flask) -> None:
        """Give ``app`` its infrastructure, the actor step, the error mapping; closed at process exit."""
        if EXTENSION in app.extensions:
            raise ConfigurationError(f"PrismaInfra is initialised twice on the Flask app {app.name!r}")
        state = _AppState(
            self._infrastructure(app), owned=self._shared is None, resolvers=self.resolvers, watch=self.watch
        )
        app.extensions[EXTENSION] = state
        with self._lock:
            self._states.append(state)
        atexit.register(state.close)
        app.before_request(self._enter_actor)
        app.after_request(self._echo_request_id)
        app.teardown_request(self._leave_actor)
        if self.errors:
            app.register_error_handler(PrismaInfraError, _handle_error)
            app.register_error_handler(Exception, _handle_error)
        if self.eager:
            state.start()

    def _infrastructure(self, app: Flask) -> Infrastructure | SyncInfrastructure:
        if self._shared is not None:
            return self._shared
        from prisma_infra.infrastructure import Infrastructure

        configured = app.config.get(SETTINGS_KEY)
        if configured is not None:
            files = [configured] if isinstance(configured, str | Path) else list(configured)
            paths = [Path(app.root_path, f) for f in files]  # absolute paths stay as they are
        elif self.settings is not None:
            paths = [Path(self.settings)] if isinstance(self.settings, str | Path) else [Path(p) for p in self.settings]
        else:
            paths = []
        return Infrastructure.from_settings(*paths)

    def _state(self, app: App | None = None) -> _AppState:
        if app is None and has_app_context():
            app = current_app
        if app is not None:
            state = app.extensions.get(EXTENSION)
            if not isinstance(state, _AppState):
                raise ConfigurationError(f"PrismaInfra.init_app was not called on the Flask app {app.name!r}")
            return state
        with self._lock:
            if len(self._states) == 1:
                return self._states[0]
        raise RuntimeError("PrismaInfra: outside an application context, with not exactly one app initialised")

    # -- use ---------------------------------------------------------------------------------

    @property
    def infra(self) -> SyncInfrastructure:
        """The current app's `SyncInfrastructure` (started on first use)."""
        return self._state().start()

    @property
    def kernel(self) -> Infrastructure:
        """The async `Infrastructure` behind `infra`, for code on its loop: an async resolver's look-up
        (``await pi.kernel.repository("user").find_unique(...)``)."""
        self._state().start()
        return self._state().kernel

    def repository(self, model: str) -> Any:
        """``pi.repository("user").find_many(...)``: the model's repository, synchronous."""
        return self.infra.repository(model)

    def query(self, model: str) -> Any:
        """``pi.query("post").where({...}).execute()``: the model's query builder, synchronous."""
        return self.infra.query(model)

    def close(self) -> None:
        """Close every infrastructure this extension made (also done at process exit); safe to call twice.

        Each app's requests are refused afterwards (an `Infrastructure` passed in is closed too; a
        `SyncInfrastructure` passed in is left to its owner).
        """
        with self._lock:
            states = list(self._states)
            shared, self._owns_shared = (self._shared if self._owns_shared else None), False
        for state in states:
            state.close()
        if shared is not None:
            shared.close()

    # -- the request's actor -----------------------------------------------------------------

    def _enter_actor(self) -> None:
        state = self._state()
        state.start()
        info = request_info(request.environ)
        rid = request_id(info.headers)
        setattr(g, _REQUEST_ID, rid)
        scope = acting_as(state.actors.resolve(info), request_id=rid)
        scope.__enter__()
        setattr(g, _SCOPE, scope)

    def _echo_request_id(self, response: Response) -> Response:
        rid = g.get(_REQUEST_ID)
        if rid is not None:
            response.headers[REQUEST_ID_HEADER] = rid
        return response

    def _leave_actor(self, exc: BaseException | None) -> None:
        scope = g.pop(_SCOPE, None)
        if scope is not None:
            scope.__exit__(None, None, None)

    # -- the REST API ------------------------------------------------------------------------

    def rest_blueprint(self, url_prefix: str | None = None, *, name: str = "prisma_infra_api") -> Blueprint:
        """The auto REST API as a blueprint (``url_prefix`` default: the settings' ``api.prefix``)."""
        blueprint = _ApiBlueprint(self, name, url_prefix)

        def serve(path: str = "") -> Response:
            state = self._state()
            if not state.kernel.config.api.enabled:
                raise ApiRequestError("The REST API is disabled (api.enabled = false)", status=404)
            full = request.path
            relative = "/" + path
            mount = full[: len(full) - len(relative)] if path and full.endswith(relative) else full.rstrip("/")
            limit = state.kernel.config.api.max_body_size
            body = read_body(request.stream, length=request.content_length, limit=limit)
            answer = state.bridge.serve_api(api_request(request.environ, mount=mount, path=relative, body=body))
            return Response(answer.body, status=answer.status, headers=answer.headers)

        options: dict[str, Any] = {"methods": _METHODS, "provide_automatic_options": False}
        blueprint.add_url_rule("/", "root", serve, strict_slashes=False, **options)
        blueprint.add_url_rule("/<path:path>", "path", serve, **options)
        return blueprint


class _ApiBlueprint(Blueprint):
    """Takes its prefix from the app's ``api.prefix`` when none was given (read at registration)."""

    def __init__(self, extension: PrismaInfra, name: str, url_prefix: str | None) -> None:
        super().__init__(name, __name__, url_prefix=url_prefix)
        self._extension = extension
        self._fixed = url_prefix is not None

    def register(self, app: App, options: dict[str, Any]) -> None:
        if not self._fixed and "url_prefix" not in options:
            options = {**options, "url_prefix": self._extension._state(app).kernel.config.api.prefix}
        super().register(app, options)
