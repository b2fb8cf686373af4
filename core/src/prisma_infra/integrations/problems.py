"""RFC 9457 problem details: the ONE mapping from an exception to an HTTP error response.

Every adapter (Starlette/FastAPI, Flask/WSGI, the REST API core) answers an error with
``problem_for(exc)``, so a client sees the same status, ``type`` and members whatever the
framework. The body is ``application/problem+json``:

``{"type": "urn:prisma-infra:problem:<slug>", "title", "status", "detail", ...extensions}``

The ``detail`` is the message of one of our errors (value-free by the project's rules: it names
models, fields, policies and rules, never a record value or a credential) and never
``exc.detail`` (Prisma's raw text) nor the message of a foreign exception: anything that is not
one of our errors is a 500 with a generic detail.

Exception → status, ``type`` slug, extensions and headers (checked in this order):

- an error with an int ``status`` in 400..499 (``rest.request.ApiRequestError``) → that status, the
  slug of its name (``bad-request``, ``not-found``, ``method-not-allowed``, ...), ``model``, ``field``;
- ``AuthenticationError`` → 401 ``unauthenticated``, ``WWW-Authenticate: Bearer error="invalid_token",
  error_description="<what failed>"``;
- ``PolicyDeniedError`` → 403 ``policy-denied``: ``policy``, ``rule``, ``model``, ``action``, ``field``;
- ``PolicyError`` → 400 ``bad-request``: ``attribute``;
- ``ValidationError`` and its subclasses → 422 ``validation``: ``model``, ``field``, ``suggestion``;
- ``RecordNotFoundError`` → 404 ``not-found``: ``model``;
- ``UniqueConstraintError`` / ``ForeignKeyConstraintError`` → 409 ``conflict``: ``model``, ``fields``,
  ``constraint``, ``code`` (``unique`` / ``foreign_key``);
- ``TransactionError`` → 409 ``conflict``: ``code: "transaction"``;
- ``OutcomeUnknownError`` → 503 ``outcome-unknown`` without ``Retry-After`` (the write may have been
  applied: check before retrying);
- ``EngineUnavailableError`` → 503 ``unavailable``, ``Retry-After: 1`` (`RETRY_AFTER_UNAVAILABLE`);
- ``OperationTimeoutError`` → 504 ``timeout``, ``Retry-After: 2`` (`RETRY_AFTER_TIMEOUT`);
- anything else → 500 ``internal`` with a generic detail.

Extensions whose value is ``None`` (or an empty list) are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from prisma_infra.errors import (
    AuthenticationError,
    ConstraintError,
    EngineUnavailableError,
    ForeignKeyConstraintError,
    OperationTimeoutError,
    OutcomeUnknownError,
    PolicyDeniedError,
    PolicyError,
    PrismaInfraError,
    RecordNotFoundError,
    TransactionError,
    ValidationError,
)

__all__ = ["MEDIA_TYPE", "RETRY_AFTER_TIMEOUT", "RETRY_AFTER_UNAVAILABLE", "TYPE_PREFIX", "Problem", "problem_for"]

#: The media type of a problem body (RFC 9457 section 3).
MEDIA_TYPE = "application/problem+json"
#: Every ``type`` is this prefix and a slug (``validation``, ``not-found``, ``policy-denied``, ...).
TYPE_PREFIX = "urn:prisma-infra:problem:"
#: ``Retry-After`` seconds of a 503: the engine restarts (supervised) in about this time.
RETRY_AFTER_UNAVAILABLE = 1
#: ``Retry-After`` seconds of a 504: an operation hit its deadline, the database is busy; back off a little more.
RETRY_AFTER_TIMEOUT = 2
#: The detail of a 500: the exception's own message may carry values, so it stays in the server's log.
INTERNAL_DETAIL = "The server could not complete the request; its log has the details."
#: Members of the body that an extension may not override.
_STANDARD = frozenset({"type", "title", "status", "detail", "instance"})
#: Characters RFC 6750 allows in ``error_description`` (printable ASCII without ``"`` and ``\\``).
#: RFC 9110 names of the statuses whose name changed between Python versions (stable titles and slugs).
_RFC_9110 = {413: "Content Too Large", 414: "URI Too Long", 416: "Range Not Satisfiable", 422: "Unprocessable Content"}
_NOT_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem: what `problem_for` makes and every adapter sends."""

    status: int
    title: str
    detail: str
    type: str
    extensions: Mapping[str, Any] = field(default_factory=dict)
    """Members after the standard ones: model, field, suggestion, fields, constraint, policy, rule, code."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Response headers the problem needs (``Retry-After``, ``WWW-Authenticate``)."""

    def body(self) -> dict[str, Any]:
        """The JSON object: the standard members, then the extensions (which cannot override them)."""
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        body.update((k, v) for k, v in self.extensions.items() if k not in _STANDARD)
        return body

    def json(self) -> bytes:
        """The body encoded as UTF-8 JSON."""
        return json.dumps(self.body(), ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _problem(
    status: int,
    slug: str,
    detail: str,
    extensions: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Problem:
    present = {k: v for k, v in (extensions or {}).items() if v is not None and v != []}
    return Problem(status, _title(status), detail, TYPE_PREFIX + slug, present, dict(headers or {}))


def _title(status: int) -> str:
    if status in _RFC_9110:
        return _RFC_9110[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a 4xx Python does not name
        return "Client Error"


def _message(exc: PrismaInfraError) -> str:
    return exc.message or type(exc).__name__


def _request_status(exc: BaseException) -> int | None:
    """The status of an error the API itself detects (``ApiRequestError``), by duck typing."""
    status = getattr(exc, "status", None)
    if isinstance(exc, PrismaInfraError) and isinstance(status, int) and not isinstance(status, bool):
        return status if 400 <= status <= 499 else None
    return None


def _challenge(exc: AuthenticationError) -> str:
    description = _NOT_DESCRIPTION.sub("", _message(exc).replace('"', "'"))
    reason = _NOT_DESCRIPTION.sub("", exc.reason) or "invalid_token"
    return f'{exc.scheme} error="{reason}", error_description="{description}"'


def _attrs(exc: BaseException, *names: str) -> dict[str, Any]:
    return {name: getattr(exc, name, None) for name in names}


def problem_for(exc: BaseException) -> Problem:
    """The problem an adapter answers ``exc`` with (see the module doc for the table)."""
    status = _request_status(exc)
    if status is not None:
        assert isinstance(exc, PrismaInfraError)
        slug = _title(status).lower().replace(" ", "-").replace("'", "")
        headers = getattr(exc, "headers", None)  # e.g. ``Allow`` of a 405, when the error carries it
        extra = {str(k): str(v) for k, v in headers.items()} if isinstance(headers, Mapping) else {}
        return _problem(status, slug, _message(exc), _attrs(exc, "model", "field", "suggestion"), extra)
    if isinstance(exc, AuthenticationError):
        return _problem(401, "unauthenticated", _message(exc), None, {"WWW-Authenticate": _challenge(exc)})
    if isinstance(exc, PolicyDeniedError):
        extensions = _attrs(exc, "policy", "rule", "model", "action", "field")
        return _problem(403, "policy-denied", _message(exc), extensions)
    if isinstance(exc, PolicyError):
        return _problem(400, "bad-request", _message(exc), _attrs(exc, "attribute"))
    if isinstance(exc, ValidationError):
        return _problem(422, "validation", _message(exc), _attrs(exc, "model", "field", "suggestion"))
    if isinstance(exc, RecordNotFoundError):
        return _problem(404, "not-found", _message(exc), {"model": exc.model})
    if isinstance(exc, ConstraintError):
        code = "foreign_key" if isinstance(exc, ForeignKeyConstraintError) else "unique"
        extensions = {"model": exc.model, "fields": list(exc.fields), "constraint": exc.constraint, "code": code}
        return _problem(409, "conflict", _message(exc), extensions)
    if isinstance(exc, TransactionError):
        return _problem(409, "conflict", _message(exc), {"code": "transaction"})
    if isinstance(exc, OutcomeUnknownError):
        return _problem(503, "outcome-unknown", _message(exc))
    if isinstance(exc, EngineUnavailableError):
        return _problem(503, "unavailable", _message(exc), None, {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)})
    if isinstance(exc, OperationTimeoutError):
        return _problem(504, "timeout", _message(exc), None, {"Retry-After": str(RETRY_AFTER_TIMEOUT)})
    return _problem(500, "internal", INTERNAL_DETAIL)
