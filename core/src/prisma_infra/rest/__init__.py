"""The framework-agnostic auto REST API: every model of the schema, zero per-model code.

``RestApi(kernel).handle(ApiRequest(...)) -> ApiResponse``; framework adapters
live in :mod:`prisma_infra.integrations`. This package never imports a web
framework (only :mod:`prisma_infra.rest.asgi` uses Starlette, imported on demand).
"""

from __future__ import annotations

from prisma_infra.rest.request import ApiRequest, ApiRequestError, ApiResponse

__all__ = ["ApiRequest", "ApiRequestError", "ApiResponse"]
