"""`RestApi`: the auto REST API of every exposed model, framework-free.

``await RestApi(kernel).handle(ApiRequest(...))`` routes the method and path to
a handler and answers an `ApiResponse`; it never raises: every error becomes an
RFC 9457 problem (`prisma_infra.integrations.problems.problem_for`). The
request's actor is the ambient context's (the adapter enters ``acting_as``
before calling ``handle``); ``handle`` never reads credentials.

Routes, relative to the API's mount point (``{key}`` is one path segment per
field of the primary key, in ``@@id`` order; a model without ``@id`` uses its
first ``@@unique``):

=======  ==========================  =========
method   path                        action
=======  ==========================  =========
GET      /{model}                    list
POST     /{model}                    create
POST     /{model}/search             list
GET      /{model}/count              count
POST     /{model}/aggregate          aggregate
POST     /{model}/group-by           group_by
GET      /{model}/analytics          analytics
POST     /{model}/bulk               bulk
GET      /{model}/{key}              read
PATCH    /{model}/{key}              update
PUT      /{model}/{key}              upsert
DELETE   /{model}/{key}              delete
GET      /openapi.json               the OpenAPI document (``api.docs``)
GET      /docs                       the docs UI (``api.docs``)
GET      /docs/static/{name}         the docs UI's files (``api.docs``)
=======  ==========================  =========

The words ``search``, ``count``, ``aggregate``, ``group-by``, ``analytics`` and
``bulk`` win over a one-field key of that value. ``HEAD`` is ``GET`` without a
body. An action the model does not offer is 405 with ``Allow``; a body that is
not JSON is 415, one over ``api.max_body_size`` 413. The ``api`` settings are
read on every request, so a reload applies at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prisma_infra.integrations.problems import MEDIA_TYPE, problem_for
from prisma_infra.rest import aggregates, bulk, listing, records
from prisma_infra.rest.call import Call
from prisma_infra.rest.docs_pages import DOCUMENT_PATHS, document_response
from prisma_infra.rest.etag import conditional
from prisma_infra.rest.exposure import ENDPOINT_WORDS, ModelExposure, exposure
from prisma_infra.rest.openapi import openapi_document
from prisma_infra.rest.request import ApiRequest, ApiRequestError, ApiResponse

if TYPE_CHECKING:
    from prisma_infra.config.api import ApiAction
    from prisma_infra.kernel import Kernel

__all__ = ["ROUTES", "SERVICE_ROUTES", "RestApi", "Route", "problem_response"]

logger = logging.getLogger(__name__)

#: Second path segments that name an endpoint of the model, not a key (`prisma_infra.rest.exposure`).
COLLECTION_WORDS = ENDPOINT_WORDS


@dataclass(frozen=True, slots=True)
class Route:
    """One route of the API: method, path template, the action it needs (None: not a model's)."""

    method: str
    path: str
    action: ApiAction | None


Handler = Callable[[Call], Awaitable[ApiResponse]]


def _problem_body(exc: BaseException) -> dict[str, Any]:
    return problem_for(exc).body()


def problem_response(exc: BaseException) -> ApiResponse:
    """The problem+json response of ``exc`` (the one mapping of `prisma_infra.integrations.problems`)."""
    problem = problem_for(exc)
    headers = {"content-type": MEDIA_TYPE, **{k.lower(): v for k, v in problem.headers.items()}}
    return ApiResponse(problem.status, headers, problem.json())


async def _read(call: Call) -> ApiResponse:
    operation = records.read_operation(call)
    return await conditional(
        call.kernel, call.request.header("if-none-match"), operation, lambda: records.read(call, operation)
    )


async def _list(call: Call) -> ApiResponse:
    query = listing.list_query(call)
    return await conditional(
        call.kernel,
        call.request.header("if-none-match"),
        query.operation,
        lambda: listing.listing(call, query),
        query.window,
    )


async def _count(call: Call) -> ApiResponse:
    operation = listing.count_operation(call)
    return await conditional(
        call.kernel, call.request.header("if-none-match"), operation, lambda: listing.count(call, operation)
    )


async def _analytics(call: Call) -> ApiResponse:
    return await conditional(
        call.kernel, call.request.header("if-none-match"), None, lambda: aggregates.analytics(call)
    )


async def _bulk(call: Call) -> ApiResponse:
    return await bulk.bulk(call, _problem_body)


#: (method, endpoint word or None for the collection, "key" for a record) → (action, handler).
_TABLE: dict[tuple[str, str], tuple[ApiAction, Handler]] = {
    ("GET", ""): ("list", _list),
    ("POST", ""): ("create", records.create),
    ("POST", "search"): ("list", listing.search),
    ("GET", "count"): ("count", _count),
    ("POST", "aggregate"): ("aggregate", aggregates.aggregate),
    ("POST", "group-by"): ("group_by", aggregates.group_by),
    ("GET", "analytics"): ("analytics", _analytics),
    ("POST", "bulk"): ("bulk", _bulk),
    ("GET", "key"): ("read", _read),
    ("PATCH", "key"): ("update", records.update),
    ("PUT", "key"): ("upsert", records.upsert),
    ("DELETE", "key"): ("delete", records.delete),
}


def _path(endpoint: str) -> str:
    return "/{model}" if not endpoint else "/{model}/{key}" if endpoint == "key" else f"/{{model}}/{endpoint}"


#: Every route of a model, in the table's order (the OpenAPI document and the security matrix list them).
ROUTES: tuple[Route, ...] = tuple(Route(method, _path(word), action) for (method, word), (action, _) in _TABLE.items())
#: The routes that are not a model's.
SERVICE_ROUTES: tuple[Route, ...] = tuple(Route("GET", path, None) for path in DOCUMENT_PATHS)


def _allowed(target: ModelExposure, endpoint: str) -> list[str]:
    methods = [method for (method, word), (action, _) in _TABLE.items() if word == endpoint and target.allows(action)]
    if "GET" in methods:
        methods.append("HEAD")
    return methods


class RestApi:
    """The auto REST API over a kernel (see the module documentation)."""

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    @property
    def kernel(self) -> Kernel:
        """The kernel the API runs its operations on."""
        return self._kernel

    def openapi(self, *, server_url: str | None = None) -> dict[str, Any]:
        """The OpenAPI 3.1 document of the API as exposed now (`prisma_infra.rest.openapi`).

        :param server_url: the absolute URL the API is served at (its ``servers`` entry).
        """
        return openapi_document(self.kernel, server_url=server_url)

    async def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer ``request``; never raises (errors are problem+json responses)."""
        try:
            response = await self._dispatch(request)
        except Exception as exc:
            response = problem_response(exc)
            if response.status >= 500:
                # The type only: an exception's text may carry record values.
                logger.error("REST %s failed with %s", request.method.upper(), type(exc).__name__)
        if request.method.upper() == "HEAD":
            response.body = b""
        return response

    async def _dispatch(self, request: ApiRequest) -> ApiResponse:
        kernel = self.kernel
        settings = kernel.config.api
        method = request.method.upper()
        method = "GET" if method == "HEAD" else method
        if len(request.body) > settings.max_body_size:
            raise ApiRequestError(
                f"The request body exceeds {settings.max_body_size} bytes (api.max_body_size)", status=413
            )
        segments = request.segments()
        if not settings.enabled or not segments:
            raise ApiRequestError("No such resource", status=404)
        document = document_response(kernel, request, method, segments)
        if document is not None:
            return document
        found = exposure(kernel)
        target = found.route(segments[0])
        rest = segments[1:]
        key: tuple[str, ...] = ()
        if not rest:
            endpoint = ""
        elif len(rest) == 1 and rest[0] in COLLECTION_WORDS:
            endpoint = rest[0]
        else:
            endpoint, key = "key", tuple(rest)
        entry = _TABLE.get((method, endpoint))
        if entry is None or not target.allows(entry[0]):
            allowed = _allowed(target, endpoint)
            if not allowed:
                raise ApiRequestError("No such resource", status=404, model=target.name)
            raise ApiRequestError(
                f"{target.name}: {method} is not allowed here",
                status=405,
                model=target.name,
                headers={"Allow": ", ".join(allowed)},
            )
        call = Call(kernel, request, settings, found, target, key)
        return await entry[1](call)
