"""The framework-free request and response of the auto REST API.

Adapters (Starlette, FastAPI, Flask, WSGI) translate their request into an
:class:`ApiRequest`, call :meth:`prisma_infra.rest.api.RestApi.handle` and
write the :class:`ApiResponse` back. :class:`ApiRequestError` is a bad request
the API itself detects (malformed query, wrong content type, body too big,
method not allowed); it maps to its own status through the problem mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from prisma_infra.errors import PrismaInfraError

__all__ = ["ApiRequest", "ApiRequestError", "ApiResponse"]


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request as the REST API sees it.

    ``path`` is relative to the API's mount point, percent-decoded as ASGI and
    WSGI give it (``"/user/42"``); ``query`` keeps the order and the repeated
    keys of the query string; ``headers`` has lower-cased keys; ``base_url`` is
    the absolute URL of the API root (no trailing slash needed), used for
    ``Link`` and ``Location`` headers. ``raw_path``, when the adapter has it (ASGI's
    ``raw_path``), is the same path still percent-encoded: the API then splits
    it before decoding, so a key holding ``/`` (sent as ``%2F``) stays one segment.
    """

    method: str
    path: str
    query: Sequence[tuple[str, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    base_url: str = "http://localhost"
    raw_path: str | None = None

    def segments(self) -> list[str]:
        """The path's segments, decoded (from ``raw_path`` when given), without empty ones."""
        if self.raw_path is not None:
            return [unquote(part) for part in self.raw_path.split("/") if part]
        return [part for part in self.path.split("/") if part]

    def header(self, name: str, default: str | None = None) -> str | None:
        """The value of header ``name`` (case-insensitive), or ``default``."""
        lowered = name.lower()
        value = self.headers.get(lowered)
        if value is not None:
            return value
        for key, candidate in self.headers.items():
            if key.lower() == lowered:
                return candidate
        return default

    def query_value(self, name: str) -> str | None:
        """The last value of query parameter ``name``, or None."""
        found: str | None = None
        for key, value in self.query:
            if key == name:
                found = value
        return found


@dataclass
class ApiResponse:
    """The API's answer: a status, headers and a JSON (or problem+json) body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def media_type(self) -> str | None:
        """The ``content-type`` header, if any."""
        for key, value in self.headers.items():
            if key.lower() == "content-type":
                return value
        return None


class ApiRequestError(PrismaInfraError):
    """A bad request detected by the REST API itself (the API raises 400, 404, 405, 413 and 415).

    The message names the model, field or parameter at fault and never carries
    a record value. ``headers`` are sent with the problem (``Allow`` for 405).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        field: str | None = None,
        model: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.model = model
        self.headers: dict[str, str] = dict(headers or {})
