"""``pii scan`` of a real SQLite database, through the Prisma engine, seeded with Faker rows."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import prisma_infra_prisma.engine  # noqa: F401 - the real engine is required, never skipped
import pytest
from faker import Faker
from prisma_infra.config.model import DatabaseConfig
from prisma_infra.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

SCHEMA = Path(__file__).resolve().parents[2] / "core" / "tests" / "pii" / "fixtures" / "crm.prisma"
SETTINGS = """\
[default]
database.engine = "prisma"
database.schema_path = "prisma/schema.prisma"
database.url = "file:./crm.db"
pii.sample_size = 40

[default.models.Customer.pii]
contact = "phone"
"""


def customers(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    rows = []
    for index in range(n):
        fake = Faker(["en_GB", "de_DE", "fr_FR", "nl_NL"][index % 4])
        fake.seed_instance(index)
        rows.append(
            {
                "email": f"{index}.{fake.email()}",
                "firstName": fake.first_name(),
                "lastName": fake.last_name(),
                "phone": fake.phone_number() if index % 5 else None,
                "iban": fake.iban(),
                "lastLoginIp": fake.ipv4_public(),
                "notes": fake.sentence(),
                "contact": Faker("en_US").email() if index % 2 else None,
                "internalNote": fake.email(),
                "orders": {"create": [{"reference": f"ORD-{index:04d}", "cardNumber": Faker().credit_card_number()}]},
                "addresses": {
                    "create": [{"street": fake.street_address(), "city": fake.city(), "postcode": fake.postcode()}]
                },
                "birthDate": fake.date_time_between("-80y", "-18y") if rng.random() < 0.8 else None,
            }
        )
    return rows


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    from prisma_infra_prisma.datasource import resolve_database
    from prisma_infra_prisma.schema_sync import db_push

    root = tmp_path_factory.mktemp("crm")
    (root / "prisma").mkdir()
    shutil.copy(SCHEMA, root / "prisma" / "schema.prisma")
    (root / "settings.toml").write_text(SETTINGS)

    async def prepare() -> None:
        config = DatabaseConfig(schema_path="prisma/schema.prisma", url="file:./crm.db")  # type: ignore[arg-type]
        await db_push(resolve_database(config, root), force=True)
        async with Infrastructure.from_settings(root / "settings.toml") as infra:
            for row in customers(24):
                await infra.call("Customer", "create", {"data": row})

    asyncio.run(prepare())
    return root


async def test_inventory_of_a_sqlite_database(project: Path) -> None:
    async with Infrastructure.from_settings(project / "settings.toml") as infra:
        report = await infra.pii.inventory()
        by_field = {(e.model, e.field): e for e in report}
        for key, category in {
            ("Customer", "email"): "email",
            ("Customer", "firstName"): "person_name",
            ("Customer", "lastName"): "person_name",
            ("Customer", "iban"): "iban",
            ("Customer", "lastLoginIp"): "ip",
            ("Customer", "birthDate"): "dob",
            ("Customer", "phone"): "phone",
            ("Order", "cardNumber"): "card",
            ("Address", "street"): "address",
        }.items():
            assert by_field[key].category == category, by_field[key]
            assert by_field[key].source == "schema+values", by_field[key]
            assert by_field[key].sampled > 0
        assert by_field[("Customer", "contact")].source == "config"
        assert ("Customer", "internalNote") not in by_field  # /// @pii none
        assert ("Customer", "notes") not in by_field and ("Order", "reference") not in by_field
        assert report.sampled_models["Customer"] == 24 and not report.errors
        rows = await infra.call("Customer", "findMany", {"take": 24})
        serialized = report.to_json()
        assert not any(row["email"] in serialized or row["iban"] in serialized for row in rows)
        masked = infra.pii.mask_record("Customer", rows[0], purpose="log")
        assert masked["email"] != rows[0]["email"] and masked["id"] == rows[0]["id"]


def test_cli_scan_json(project: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("PRISMA_INFRA_LOAD_PLUGINS", None)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "prisma-infra"), "pii", "scan", "--sample", "10", "--format", "json"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)["entries"]
    assert {(e["model"], e["field"], e["category"]) for e in entries} >= {
        ("Customer", "email", "email"),
        ("Order", "cardNumber", "card"),
        ("Customer", "iban", "iban"),
    }
    assert all(e["sampled"] <= 10 for e in entries)
