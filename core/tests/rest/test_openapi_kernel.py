"""The served document follows the configuration in force: built once per configuration, rebuilt by a
reload that changes what is exposed (through the real engine on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from prisma_infra.rest.api import RestApi
from prisma_infra.rest.openapi import openapi_document

from core.tests.rest.rest_support import RestDatabase, rest_database

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

__all__ = ["rest_database"]


async def test_the_document_follows_a_reload(rest_database: RestDatabase) -> None:
    infra = await rest_database.start(api={"exclude_fields": ["Owner.secret"]})
    try:
        first = openapi_document(infra)
        assert openapi_document(infra) is first  # built once per configuration
        assert RestApi(infra).openapi()["paths"] == first["paths"]
        assert "secret" not in first["components"]["schemas"]["Owner"]["properties"]
        assert "note" in first["components"]["schemas"]["Item"]["properties"]

        await infra.configure(
            {"api": {"exclude_fields": ["Owner.secret", "Item.note"]}, "models": {"Slot": {"api": {"enabled": False}}}}
        )
        second = openapi_document(infra)
        assert second is not first
        OpenAPIV31SpecValidator(second).validate()
        assert "note" not in second["components"]["schemas"]["Item"]["properties"]
        assert "Slot" not in second["components"]["schemas"] and not any(p.startswith("/slot") for p in second["paths"])
        assert openapi_document(infra, server_url="https://api.example.com/v1")["servers"] == [
            {"url": "https://api.example.com/v1"}
        ]
    finally:
        await infra.close()
