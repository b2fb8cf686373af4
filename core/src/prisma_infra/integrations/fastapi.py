"""FastAPI: one infrastructure per app in three lines, and dependencies for routes.

.. code-block:: python

    infra = PrismaInfra("settings.toml")
    app = FastAPI(lifespan=infra.lifespan)
    infra.install(app)  # actor middleware, problem+json handlers, the REST API at api.prefix

    @app.get("/authors/{author_id}/posts")
    async def posts_of(author_id: int, posts: Annotated[QueryBuilder, Query("post")]) -> list[dict]:
        return await posts.where({"authorId": author_id}).execute()

Dependencies: `Infra` (the running `Infrastructure`), `Repo` ``("user")`` (its `Repository`), `Query`
``("post")`` (a `QueryBuilder`), `Actor` (the request's actor) and `actor_resolver` (an app's own
dependency as the actor of the routes that use it). Model names are case-insensitive; an unknown one
stops the app at start-up, naming the route and the closest model.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends
from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp

from prisma_infra.context import acting_as, current_context
from prisma_infra.errors import ConfigurationError, UnknownModelError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.integrations.actors import ActorResolver
from prisma_infra.integrations.starlette import (
    InfraLifespan,
    InfraMiddleware,
    combine_lifespans,
    exception_handlers,
    kernel_of,
    lifespan,
    rest_app,
)

if TYPE_CHECKING:
    from prisma_infra.data.query import QueryBuilder
    from prisma_infra.data.repository import Repository

__all__ = ["API_ROUTE_NAME", "Actor", "Infra", "PrismaInfra", "Query", "Repo", "actor_resolver"]

#: The name of the REST API's mount in the app's routes (``app.url_path_for`` it).
API_ROUTE_NAME = "prisma-infra-api"
#: The attribute naming the model a `Repo` / `Query` dependency serves (checked at start-up).
_MODEL_ATTRIBUTE = "__prisma_infra_model__"


class PrismaInfra:
    """One `Infrastructure` served by a FastAPI (or Starlette) app.

    :param infra: a settings file to load it from, or an `Infrastructure` (started or not: one that is
        started already is neither started nor closed by the app).
    :param watch: start the settings watcher with the app (every valid save of the settings is applied).
    :param polling: watch by polling, where file-system events do not arrive (some bind mounts).
    :param resolvers: the app's own actor resolvers, asked before those ``api.auth`` enables.
    """

    def __init__(
        self,
        infra: Infrastructure | str | Path,
        *,
        watch: bool = True,
        polling: bool = False,
        debounce_ms: int = 200,
        resolvers: Sequence[ActorResolver] = (),
    ) -> None:
        #: ``FastAPI(lifespan=infra.lifespan)``: starts, watches and closes the infrastructure.
        self.lifespan: InfraLifespan = lifespan(infra, watch=watch, polling=polling, debounce_ms=debounce_ms)
        self.resolvers = list(resolvers)

    @property
    def infra(self) -> Infrastructure:
        """The infrastructure (started while the app runs)."""
        return self.lifespan.infra

    def install(
        self,
        app: Starlette,
        *,
        api: bool = True,
        prefix: str | None = None,
        resolvers: Sequence[ActorResolver] | None = None,
        handlers: bool = True,
    ) -> None:
        """Add the actor middleware, the problem+json handlers and the REST API to ``app``.

        Call it before the app serves. When the app has a lifespan of its own, ours runs around it (the
        app's sees a started infrastructure), so ``FastAPI(lifespan=infra.lifespan)`` is optional.

        :param api: mount the auto REST API (when ``api.enabled``).
        :param prefix: where (default ``api.prefix``; ``""`` is the root, after the app's own routes).
        :param resolvers: the app's own actor resolvers (default: the constructor's).
        :param handlers: map every prisma-infra error (and any other exception) to problem+json.
        """
        infra = self.infra
        app.state.kernel = app.state.infrastructure = infra
        router = app.router
        if router.lifespan_context is not self.lifespan:
            router.lifespan_context = combine_lifespans(self.lifespan, router.lifespan_context)
        chosen = self.resolvers if resolvers is None else list(resolvers)
        app.add_middleware(InfraMiddleware, kernel=infra, resolvers=chosen)
        if handlers:
            for exc_class, handler in exception_handlers().items():
                app.add_exception_handler(exc_class, handler)
        mount: Mount | None = None
        if api and infra.config.api.enabled:
            path = infra.config.api.prefix if prefix is None else prefix.rstrip("/")
            mount = _ApiMount(path, app=rest_app(infra), name=API_ROUTE_NAME)
            router.routes.append(mount)

        def started(_: Any) -> None:
            check_models(app, infra)
            if mount is not None and mount in router.routes:  # after routes the app added since install
                router.routes.remove(mount)
                router.routes.append(mount)

        self.lifespan.on_start.append(started)


class _ApiMount(Mount):
    """A `Mount` whose pattern also matches a decoded path holding a newline (``%0A`` in a key).

    Starlette's ``{path:path}`` is ``.*`` without DOTALL: such a path would escape the REST API and get
    the framework's plain 404 instead of the API's problem+json.
    """

    def __init__(self, path: str, app: ASGIApp, name: str) -> None:
        super().__init__(path, app=app, name=name)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


def _dependencies(routes: Sequence[BaseRoute]) -> Iterator[tuple[str, Callable[..., Any]]]:
    for route in routes:
        dependant = getattr(route, "dependant", None)
        stack = [dependant] if dependant is not None else []
        while stack:
            current = stack.pop()
            if current.call is not None:
                yield getattr(route, "path", "?"), current.call
            stack.extend(current.dependencies)


def check_models(app: Starlette, infra: Infrastructure) -> None:
    """Every `Repo` / `Query` of the app's routes names a model of the schema (else `ConfigurationError`)."""
    problems: list[str] = []
    for path, call in _dependencies(app.router.routes):
        model = getattr(call, _MODEL_ATTRIBUTE, None)
        if model is None:
            continue
        try:
            infra.schema.model(model)
        except UnknownModelError as exc:
            problems.append(f"route {path}: {exc.message}")
    if problems:
        raise ConfigurationError(
            f"Dependencies name unknown models: {'; '.join(sorted(set(problems)))}", problems=problems
        )


async def _infrastructure(connection: HTTPConnection) -> Infrastructure:
    return kernel_of(connection.scope)


async def _actor() -> Any:
    return current_context().actor


#: ``infra: Infra``: the running `Infrastructure` of the app.
Infra = Annotated[Infrastructure, Depends(_infrastructure)]
#: ``actor: Actor``: the request's actor (``None`` when anonymous and no anonymous actor is configured).
Actor = Annotated[Any, Depends(_actor)]


def Repo(model: str) -> Any:
    """``users: Annotated[Repository, Repo("user")]``: the `Repository` of ``model`` (any case)."""

    async def repository(connection: HTTPConnection) -> Repository:
        return kernel_of(connection.scope).repository(model)

    setattr(repository, _MODEL_ATTRIBUTE, model)
    return Depends(repository)


def Query(model: str) -> Any:
    """``posts: Annotated[QueryBuilder, Query("post")]``: a fresh `QueryBuilder` on ``model`` (any case)."""

    async def query(connection: HTTPConnection) -> QueryBuilder:
        return kernel_of(connection.scope).query(model)

    setattr(query, _MODEL_ATTRIBUTE, model)
    return Depends(query)


def actor_resolver(dependency: Callable[..., Any]) -> Any:
    """The app's own dependency as the actor: ``FastAPI(dependencies=[actor_resolver(current_user)])``.

    ``dependency`` is any FastAPI dependency (it may use ``Depends``, ``Security``, headers, ...); what it
    returns becomes the actor of the route's operations (policies, cache scope, audit), ``None`` leaving the
    middleware's actor. It applies to the routes that depend on it, not to the mounted REST API: give the
    API a plain resolver (``install(app, resolvers=[...])``).
    """

    # A default, not ``Annotated``: the annotations are strings here and ``dependency`` is local.
    async def acting(actor: Any = Depends(dependency)) -> AsyncIterator[Any]:
        if actor is None:
            yield current_context().actor
            return
        with acting_as(actor):
            yield actor

    return Depends(acting)
