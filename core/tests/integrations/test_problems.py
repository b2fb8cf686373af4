"""RFC 9457 problems: every exception → status mapping, the headers, and that no record value leaks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prisma_infra.analytics.types import AnalyticsQueryError
from prisma_infra.errors import (
    AuthenticationError,
    ConfigurationError,
    EngineError,
    EngineUnavailableError,
    ForeignKeyConstraintError,
    OperationTimeoutError,
    OutcomeUnknownError,
    PolicyDeniedError,
    PolicyError,
    PrismaInfraError,
    ReadOnlyViewError,
    RecordNotFoundError,
    TransactionError,
    UniqueConstraintError,
    UnknownFieldError,
    UnknownModelError,
    ValidationError,
)
from prisma_infra.integrations.problems import (
    MEDIA_TYPE,
    RETRY_AFTER_TIMEOUT,
    RETRY_AFTER_UNAVAILABLE,
    Problem,
    problem_for,
)
from prisma_infra.policies.rules import AccessDeniedError, FieldReadDeniedError
from prisma_infra.rest.request import ApiRequestError
from prisma_infra.stash import ServiceUnavailableError

SECRET_VALUE = "alice@example.com"


def body(exc: BaseException) -> dict[str, Any]:
    """The body as a client decodes it from the wire."""
    decoded = json.loads(problem_for(exc).json())
    assert isinstance(decoded, dict)
    return decoded


def test_media_type_is_rfc_9457() -> None:
    assert MEDIA_TYPE == "application/problem+json"


def test_body_has_the_standard_members_first_and_extensions_cannot_override_them() -> None:
    problem = Problem(404, "Not Found", "gone", "urn:x", {"model": "User", "status": 200, "type": "evil"})
    assert problem.body() == {"type": "urn:x", "title": "Not Found", "status": 404, "detail": "gone", "model": "User"}
    assert list(problem.body())[:4] == ["type", "title", "status", "detail"]
    assert json.loads(problem.json()) == problem.body()


@pytest.mark.parametrize(
    ("exc", "status", "slug", "extensions"),
    [
        (
            UnknownFieldError("User", "emial", ["id", "email", "name"]),
            422,
            "validation",
            {"model": "User", "field": "emial", "suggestion": "email"},
        ),
        (UnknownModelError("Usr", ["User", "Post"]), 422, "validation", {"model": "Usr", "suggestion": "User"}),
        (ValidationError("bad data for User.age", model="User", field="age"), 422, "validation", {"field": "age"}),
        (ReadOnlyViewError("UserStats", "create"), 422, "validation", {"model": "UserStats"}),
        (AnalyticsQueryError("unknown metric 'cnt'", model="Post", field="metrics"), 422, "validation", {}),
        (RecordNotFoundError("No User matches the where", model="User"), 404, "not-found", {"model": "User"}),
        (
            UniqueConstraintError("Unique constraint failed on User (email)", model="User", fields=["email"]),
            409,
            "conflict",
            {"model": "User", "fields": ["email"], "code": "unique"},
        ),
        (
            ForeignKeyConstraintError("Foreign key failed on Post", model="Post", fields=["authorId"], constraint="fk"),
            409,
            "conflict",
            {"model": "Post", "fields": ["authorId"], "constraint": "fk", "code": "foreign_key"},
        ),
        (TransactionError("Transaction expired"), 409, "conflict", {"code": "transaction"}),
        (
            PolicyDeniedError("denied by tenant.isolation", policy="tenant", rule="isolation"),
            403,
            "policy-denied",
            {"policy": "tenant", "rule": "isolation"},
        ),
        (
            AccessDeniedError("denied", policy="shop", rule="admins-write", model="Product", action="create"),
            403,
            "policy-denied",
            {"policy": "shop", "rule": "admins-write", "model": "Product", "action": "create"},
        ),
        (
            FieldReadDeniedError("denied", field="salary", policy="hr", rule="no-salary", model="User"),
            403,
            "policy-denied",
            {"field": "salary", "policy": "hr", "rule": "no-salary"},
        ),
        (PolicyError("actor attribute tenant_id is not a value", attribute="tenant_id"), 400, "bad-request", {}),
        (AuthenticationError("Bearer token refused: expired (exp)."), 401, "unauthenticated", {}),
        (EngineUnavailableError("engine is down"), 503, "unavailable", {}),
        (OutcomeUnknownError("write in flight when the engine died"), 503, "outcome-unknown", {}),
        (OperationTimeoutError("User.findMany exceeded 5s"), 504, "timeout", {}),
        (ApiRequestError("bad ?order", field="order", model="User"), 400, "bad-request", {"field": "order"}),
        (ApiRequestError("no such route", status=404), 404, "not-found", {}),
        (ApiRequestError("use GET", status=405, headers={"Allow": "GET"}), 405, "method-not-allowed", {}),
        (ApiRequestError("precondition", status=412), 412, "precondition-failed", {}),
        (ApiRequestError("too big", status=413), 413, "content-too-large", {}),
        (ApiRequestError("json only", status=415), 415, "unsupported-media-type", {}),
    ],
)
def test_every_mapping(exc: PrismaInfraError, status: int, slug: str, extensions: dict[str, Any]) -> None:
    problem = problem_for(exc)
    got = body(exc)
    assert problem.status == got["status"] == status
    assert got["type"] == f"urn:prisma-infra:problem:{slug}"
    assert got["detail"] == exc.message
    assert got["title"]  # the status phrase, e.g. "Unprocessable Content"
    for key, value in extensions.items():
        assert got[key] == value, key
    assert None not in got.values()


def test_headers_of_each_problem() -> None:
    assert problem_for(EngineUnavailableError("down")).headers == {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}
    assert problem_for(OperationTimeoutError("late")).headers == {"Retry-After": str(RETRY_AFTER_TIMEOUT)}
    assert (RETRY_AFTER_UNAVAILABLE, RETRY_AFTER_TIMEOUT) == (1, 2)
    assert "Retry-After" not in problem_for(OutcomeUnknownError("maybe applied")).headers
    assert problem_for(ApiRequestError("use GET", status=405, headers={"Allow": "GET, HEAD"})).headers == {
        "Allow": "GET, HEAD"
    }
    assert problem_for(UnknownFieldError("User", "x", ["id"])).headers == {}


def test_unauthenticated_carries_an_rfc_6750_challenge() -> None:
    challenge = problem_for(AuthenticationError('Bearer token refused: "wrong" audience\\ (aud).')).headers
    value = challenge["WWW-Authenticate"]
    assert value.startswith('Bearer error="invalid_token", error_description="')
    description = value.split('error_description="', 1)[1]
    assert description.endswith('"')
    assert '"' not in description[:-1] and "\\" not in description  # quoted-string stays well formed
    assert "audience" in description
    request = problem_for(AuthenticationError("no token", reason="invalid_request")).headers["WWW-Authenticate"]
    assert 'error="invalid_request"' in request


def test_an_api_request_error_outside_4xx_is_not_trusted_for_its_status() -> None:
    assert problem_for(ApiRequestError("odd", status=302)).status == 500
    assert problem_for(ApiRequestError("odd", status=503)).status == 500


class _Foreign(Exception):
    status = 404


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError(f"boom for {SECRET_VALUE}"),
        _Foreign(f"status attribute on a foreign exception: {SECRET_VALUE}"),
        KeyError(SECRET_VALUE),
        EngineError(f"P9999 for {SECRET_VALUE}", code="P9999"),
        ConfigurationError(f"settings mention {SECRET_VALUE}"),
        ServiceUnavailableError(f"no analytics service for {SECRET_VALUE}"),
    ],
)
def test_anything_else_is_a_generic_500_without_the_message(exc: BaseException) -> None:
    got = body(exc)
    assert got["status"] == 500
    assert got["type"] == "urn:prisma-infra:problem:internal"
    assert SECRET_VALUE not in problem_for(exc).json().decode()


def test_no_record_value_reaches_a_body_from_prisma_detail() -> None:
    raw = f'Unique constraint failed: Key (email)=({SECRET_VALUE}) already exists. "{SECRET_VALUE}"'
    exc = UniqueConstraintError(
        "Unique constraint failed on User (email) in User.create",
        model="User",
        fields=["email"],
        constraint="User_email_key",
        detail=raw,
    )
    wire = problem_for(exc).json().decode()
    assert SECRET_VALUE not in wire
    assert json.loads(wire)["constraint"] == "User_email_key"
    validation = ValidationError("Invalid value for User.age", model="User", field="age", detail=f"age: {SECRET_VALUE}")
    assert SECRET_VALUE not in problem_for(validation).json().decode()
    engine = EngineUnavailableError("engine unavailable", detail=f"socket closed while sending {SECRET_VALUE}")
    assert SECRET_VALUE not in problem_for(engine).json().decode()


def test_titles_and_slugs_do_not_depend_on_the_python_version() -> None:
    assert problem_for(UnknownFieldError("User", "x", ["id"])).title == "Unprocessable Content"
    assert problem_for(ApiRequestError("big", status=413)).title == "Content Too Large"
    odd = problem_for(ApiRequestError("unnamed 4xx", status=499))
    assert (odd.status, odd.title, odd.type) == (499, "Client Error", "urn:prisma-infra:problem:client-error")
