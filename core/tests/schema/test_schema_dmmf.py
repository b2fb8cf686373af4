from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.errors import ValidationError
from prisma_infra.schema import Schema, datamodel_hash

Loader = Callable[[str], dict[str, Any]]


@pytest.mark.parametrize(
    ("name", "provider", "models"),
    [
        ("blog", "postgresql", ["User", "Profile", "Post", "Comment", "Tag"]),
        ("mapped", "postgresql", ["Employee", "Project", "ProjectMember", "Region", "Office"]),
        ("shop_mysql", "mysql", ["Customer", "Product", "Order", "OrderItem"]),
        ("notes_sqlite", "sqlite", ["Notebook", "Note", "Label"]),
    ],
)
def test_every_fixture_builds(
    name: str, provider: str, models: list[str], fixture_data: Loader, fixtures_dir: Path
) -> None:
    schema = Schema.from_datamodel(fixture_data(name))
    assert schema.provider == provider
    assert list(schema.model_names) == models
    assert (fixtures_dir / f"{name}.prisma").exists()


def test_accepts_bare_datamodel_and_full_dmmf(fixture_data: Loader) -> None:
    data = fixture_data("blog")
    bare = Schema.from_datamodel(data["datamodel"])
    full = Schema.from_datamodel({"datamodel": data["datamodel"], "schema": {}, "mappings": {}}, provider="postgresql")
    assert bare.provider is None
    assert full.provider == "postgresql"
    assert bare.model_names == full.model_names
    assert bare.hash == full.hash


def test_explicit_provider_wins_over_the_fixture_one(fixture_data: Loader) -> None:
    assert Schema.from_datamodel(fixture_data("blog"), provider="cockroachdb").provider == "cockroachdb"


def test_hash_is_stable_and_ignores_key_order(fixture_data: Loader) -> None:
    dm = fixture_data("blog")["datamodel"]
    reordered = {k: dm[k] for k in reversed(list(dm))}
    reordered["models"] = [dict(reversed(list(m.items()))) for m in dm["models"]]
    assert datamodel_hash(dm) == datamodel_hash(reordered)
    assert Schema.from_datamodel(dm).hash == datamodel_hash(dm)
    assert len(datamodel_hash(dm)) == 64


def test_hash_changes_with_the_schema(fixture_data: Loader) -> None:
    dm = copy.deepcopy(fixture_data("blog")["datamodel"])
    before = datamodel_hash(dm)
    dm["models"][0]["fields"][1]["isUnique"] = False
    assert datamodel_hash(dm) != before
    assert fixture_data("mapped")["datamodel"] != dm


@pytest.mark.parametrize("bad", [{}, {"models": "nope"}, {"datamodel": []}])
def test_rejects_what_is_not_a_datamodel(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="datamodel"):
        Schema.from_datamodel(bad)
