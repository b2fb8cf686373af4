"""PII test fixtures: the CRM schema and a manager with keys."""

from __future__ import annotations

import pytest
from prisma_infra.pii import PiiManager
from prisma_infra.schema import Schema

from core.tests.pii.pii_crm import crm_datamodel


@pytest.fixture(scope="session")
def crm_schema() -> Schema:
    return Schema.from_datamodel(crm_datamodel())


@pytest.fixture
def manager(crm_schema: Schema) -> PiiManager:
    return PiiManager(
        crm_schema,
        {"pii": {"hash_key": "test-hash-key", "token_key": "a test token key, 16+ chars", "unmask_roles": ["dpo"]}},
    )
