"""The integration schemas: one per provider, identical but for the datasource."""

from __future__ import annotations

import pytest

from tests.integration.it_support import PROVIDERS, SCHEMAS

pytestmark = pytest.mark.integration


def test_schemas_are_identical_but_for_the_provider() -> None:
    texts = {p: (SCHEMAS / p / "schema.prisma").read_text().replace(f'"{p}"', '"__PROVIDER__"') for p in PROVIDERS}
    assert len(set(texts.values())) == 1


def test_mysql_has_its_migration() -> None:
    migrations = SCHEMAS / "mysql" / "migrations"
    assert (migrations / "0001_init" / "migration.sql").is_file()
    assert 'provider = "mysql"' in (migrations / "migration_lock.toml").read_text()
