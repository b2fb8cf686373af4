"""The framework-agnostic auto REST API: every model of the schema, zero per-model code.

``await RestApi(kernel).handle(ApiRequest(...)) -> ApiResponse`` (`prisma_infra.rest.api`);
``rest_asgi_app(kernel)`` (`prisma_infra.rest.asgi`) serves it with Starlette. Framework
adapters live in :mod:`prisma_infra.integrations`. Importing this package imports no web
framework: `RestApi` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prisma_infra.rest.request import ApiRequest, ApiRequestError, ApiResponse

if TYPE_CHECKING:
    from prisma_infra.rest.api import RestApi

__all__ = ["ApiRequest", "ApiRequestError", "ApiResponse", "RestApi"]


def __getattr__(name: str) -> Any:
    if name == "RestApi":
        from prisma_infra.rest.api import RestApi

        return RestApi
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
