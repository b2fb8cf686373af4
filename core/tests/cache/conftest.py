from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cache_fakes import FakeDB, blog_schema
from prisma_infra.schema.model import Schema


@pytest.fixture
def schema() -> Schema:
    return blog_schema()


@pytest.fixture
def db() -> FakeDB:
    return FakeDB()
