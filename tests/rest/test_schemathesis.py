"""Schemathesis against the served OpenAPI document, over real HTTP, on SQLite and PostgreSQL.

A FastAPI app (``PrismaInfra``: the REST API at ``/api``) runs under uvicorn in a thread on a free
port of 127.0.0.1; the document is loaded from ``/api/openapi.json`` as a client would. For every
operation schemathesis generates a bounded number of requests (positive and negative data,
derandomized: the same requests every run) and each response must pass its checks: no 5xx, a
documented status, content type and headers, and a body valid against the response schema.
Every failure is collected and shown (operation, request, response), not only the first.
"""

from __future__ import annotations

from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from openapi_spec_validator import OpenAPIV31SpecValidator
from prisma_infra.rest.exposure import ENDPOINT_WORDS
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.http_server import ServedApp
from tests.rest.rest_http import served

pytestmark = pytest.mark.integration

__all__ = ["served"]

#: Requests per operation and generation mode (positive, negative): bounded for the suite's budget.
EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def fuzz(operation: Any, mode: GenerationMode, session: requests.Session) -> list[str]:
    """Run one operation's generated requests; the failures, described."""
    failures: list[str] = []

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def run(case: Any) -> None:
        if any(value in ENDPOINT_WORDS for value in (case.path_parameters or {}).values()):
            return  # a key that is an endpoint word (refused by the document) is another operation's path
        response = case.call(session=session, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup is a BaseExceptionGroup
            failures.append(
                f"{operation.label} [{mode.value}] {case.method} {case.formatted_path} query={case.query!r} "
                f"body={str(case.body)[:300]!r} -> {response.status_code} {response.text[:400]!r}: "
                + str(exc).split("Reproduce with")[0].strip()[:600]
            )

    run()
    return failures


def test_the_served_api_keeps_to_its_document(served: ServedApp) -> None:
    document = httpx.get(served.url + "/api/openapi.json").json()
    OpenAPIV31SpecValidator(document).validate()  # the served document, as served
    assert "secret" not in document["components"]["schemas"]["Owner"]["properties"]
    schema = schemathesis.openapi.from_url(served.url + "/api/openapi.json")
    assert schema.get_base_url() == served.url + "/api"  # servers: the API root as requested
    failures: list[str] = []
    operations = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures.extend(fuzz(operation, mode, session))
    assert operations >= 4 * 12  # every action of every model (4 models; 5 on PostgreSQL)
    assert not failures, f"{len(failures)} failing requests:\n" + "\n".join(failures)
