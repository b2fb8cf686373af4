"""The datamodel from @prisma/prisma-schema-wasm, with its on-disk cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from prisma_infra_prisma.dmmf import load_datamodel, load_dmmf
from prisma_infra_sdk import ConfigurationError

FIXTURES = Path(__file__).parent / "fixtures" / "sync"
DATASOURCE = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n\n'


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The datamodel cache lives under the cache dir; keep the npm packages where they are.
    from prisma_infra_prisma import dmmf

    monkeypatch.setattr(dmmf, "_cache_root", lambda: tmp_path / "datamodel-cache")


def _schema(tmp_path: Path) -> Path:
    path = tmp_path / "schema.prisma"
    path.write_text(DATASOURCE + (FIXTURES / "models.prisma").read_text())
    return path


def test_datamodel_of_a_schema_file(tmp_path: Path) -> None:
    datamodel = load_datamodel(_schema(tmp_path))  # a Prisma 6 style `url` is accepted
    models = {m["name"]: m for m in datamodel["models"]}
    assert set(models) == {"User", "Post", "Tag", "Membership"}
    assert models["User"]["dbName"] == "users"
    fields = {f["name"]: f for f in models["User"]["fields"]}
    assert fields["email"]["dbName"] == "email_address" and fields["email"]["isUnique"]
    assert fields["manager"]["relationName"] == "Management"
    assert fields["tags"]["isList"] and fields["tags"]["kind"] == "object"
    assert models["Membership"]["primaryKey"]["fields"] == ["userId", "groupId"]


def test_cached_on_disk(tmp_path: Path) -> None:
    schema = _schema(tmp_path)
    first = load_datamodel(schema)
    cached = list((tmp_path / "datamodel-cache").glob("datamodel-*.json"))
    assert len(cached) == 1
    assert load_datamodel(str(schema)) == first  # path as text, served from the cache
    assert len(list((tmp_path / "datamodel-cache").glob("*.json"))) == 1


def test_schema_text(tmp_path: Path) -> None:
    datamodel = load_datamodel('datasource db {\n  provider = "sqlite"\n}\nmodel A {\n  id Int @id\n}\n', cache=False)
    assert [m["name"] for m in datamodel["models"]] == ["A"]


def test_invalid_schema_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_datamodel('datasource db {\n  provider = "sqlite"\n}\nmodel A {\n  id Int\n}\n', cache=False)
    assert "unique criteria" in raised.value.problems[0] or "id" in raised.value.problems[0]
    assert "\x1b[" not in raised.value.problems[0]


def test_full_dmmf(tmp_path: Path) -> None:
    dmmf = load_dmmf(_schema(tmp_path))
    assert {"datamodel", "schema", "mappings"} <= set(dmmf)
