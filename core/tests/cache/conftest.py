from __future__ import annotations

import pytest
from prisma_infra.schema.model import Schema

from core.tests.cache.cache_fakes import FakeDB, blog_schema


@pytest.fixture
def schema() -> Schema:
    return blog_schema()


@pytest.fixture
def db() -> FakeDB:
    return FakeDB()
