"""`prepare_args`: one C pass decides which walks run; the result is that of all three walks."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
from prisma_infra_prisma import codec
from prisma_infra_prisma.arguments import prepare_args
from prisma_infra_prisma.bigints import encode_bigints
from prisma_infra_prisma.dmmf import load_datamodel
from prisma_infra_prisma.preview import mark_views
from prisma_infra_sdk import Action, ReadOnlyViewError, Schema, literal_patterns

MODELS = """
datasource db {
  provider = "postgresql"
}

model Account {
  id      Int     @id @default(autoincrement())
  name    String
  balance BigInt
  meta    Json?
  notes   Note[]
}

model Note {
  id        Int     @id @default(autoincrement())
  text      String
  accountId Int
  account   Account @relation(fields: [accountId], references: [id])
}

model Tag {
  id    Int    @id
  label String
}

view Summary {
  id   Int    @unique
  name String
}
"""

CASES: list[tuple[str, Action, dict[str, Any]]] = [
    ("Account", Action.FIND_UNIQUE, {"where": {"id": 1}}),
    ("Account", Action.FIND_MANY, {"where": {"name": {"contains": "50%_off"}}, "take": 5}),
    ("Account", Action.FIND_MANY, {"where": {"name": {"startsWith": "plain"}}}),
    ("Account", Action.FIND_MANY, {"where": {"meta": {"path": ["a"], "string_contains": "a_b"}}}),
    ("Account", Action.CREATE, {"data": {"name": "x", "balance": 5, "meta": {"$type": "BigInt", "value": "1"}}}),
    ("Account", Action.UPDATE, {"where": {"id": 2**60}, "data": {"balance": {"increment": 1}}}),
    ("Note", Action.FIND_MANY, {"where": {"account": {"is": {"name": {"endsWith": "\\"}}}}}),
    ("Note", Action.FIND_MANY, {"where": {"text": "contains"}}),  # a value spelled like a filter
    ("Tag", Action.FIND_MANY, {"where": {"OR": [{"label": {"contains": "%"}}, {"id": 3}]}}),
]


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    path = tmp_path_factory.mktemp("arguments") / "schema.prisma"
    path.write_text('generator client {\n  provider = "prisma-client-js"\n  previewFeatures = ["views"]\n}\n' + MODELS)
    return Schema.from_datamodel(mark_views(load_datamodel(path, cache=False), [MODELS]), provider="postgresql")


def _three_walks(schema: Schema, model: str, action: Action, args: Any) -> Any:
    return encode_bigints(schema, model, codec.encode(literal_patterns(schema, model, action.value, args)))


@pytest.mark.parametrize(("model", "action", "args"), CASES)
def test_same_result_as_the_three_walks(schema: Schema, model: str, action: Action, args: dict[str, Any]) -> None:
    assert prepare_args(schema, model, action, args) == _three_walks(schema, model, action, args)


def test_untouched_arguments_are_not_copied(schema: Schema) -> None:
    args = {"where": {"label": {"startsWith": "plain"}, "id": {"in": [1, 2]}}, "take": 5}
    assert prepare_args(schema, "Tag", Action.FIND_MANY, args) is args


def test_escapes_and_tags(schema: Schema) -> None:
    out = prepare_args(schema, "Account", Action.FIND_MANY, {"where": {"name": {"contains": "5%"}, "balance": 7}})
    assert out == {"where": {"name": {"contains": "5\\%"}, "balance": {"$type": "BigInt", "value": "7"}}}


def test_a_mapping_orjson_cannot_read_is_walked(schema: Schema) -> None:
    where = MappingProxyType({"label": MappingProxyType({"contains": "a_b"})})
    out = prepare_args(schema, "Tag", Action.FIND_MANY, {"where": where})
    assert out["where"]["label"]["contains"] == "a\\_b"


def test_raw_sql_is_only_encoded(schema: Schema) -> None:
    args = {"sql": "SELECT $1 LIKE 'a_%'", "params": [2**60]}
    assert prepare_args(schema, None, Action.QUERY_RAW, args) == codec.encode(args)
    assert prepare_args(None, None, Action.QUERY_RAW, {"sql": "SELECT 1"}) == {"sql": "SELECT 1"}


def test_views_are_read_only(schema: Schema) -> None:
    with pytest.raises(ReadOnlyViewError):
        prepare_args(schema, "Summary", Action.CREATE, {"data": {"id": 1, "name": "x"}})
    assert prepare_args(schema, "Summary", Action.FIND_MANY, {}) == {}
