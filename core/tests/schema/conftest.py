"""Schemas built from the real DMMF fixtures (see ../fixtures/dmmf/README.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.schema import Schema

from core.tests.schema.dmmf_fixtures import FIXTURES, load_fixture


@pytest.fixture(scope="session")
def fixture_data() -> Callable[[str], dict[str, Any]]:
    """Loads ``<name>.json`` (``{"provider": ..., "datamodel": ...}``) from the DMMF fixtures."""
    return load_fixture


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def blog() -> Schema:
    return Schema.from_datamodel(load_fixture("blog"))


@pytest.fixture(scope="session")
def mapped() -> Schema:
    return Schema.from_datamodel(load_fixture("mapped"))


@pytest.fixture(scope="session")
def shop() -> Schema:
    return Schema.from_datamodel(load_fixture("shop_mysql"))


@pytest.fixture(scope="session")
def notes() -> Schema:
    return Schema.from_datamodel(load_fixture("notes_sqlite"))
