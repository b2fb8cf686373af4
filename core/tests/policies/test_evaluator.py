"""The in-memory evaluator: Prisma filter operators with SQL's three-valued logic."""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.policies import MissingRelationError, evaluate, matches
from prisma_infra.schema import Schema

from core.tests.doubles import datamodel

ROW = {"id": 1, "name": None, "title": "Hello World", "views": 5, "tags": ["a", "b"]}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({}, True),
        ({"views": 5}, True),
        ({"views": {"equals": 6}}, False),
        ({"name": None}, True),
        ({"name": "x"}, None),
        ({"name": {"not": "x"}}, None),  # NULL <> 'x' is unknown: Prisma does not return it
        ({"NOT": {"name": "x"}}, None),
        ({"name": {"not": None}}, False),
        ({"views": {"in": [1, 5]}}, True),
        ({"views": {"notIn": [5]}}, False),
        ({"name": {"in": []}}, False),
        ({"name": {"notIn": []}}, True),
        ({"name": {"in": ["x"]}}, None),
        ({"views": {"gt": 4, "lte": 5}}, True),
        ({"name": {"gt": "a"}}, None),
        ({"title": {"contains": "World"}}, True),
        ({"title": {"contains": "world"}}, False),
        ({"title": {"contains": "world", "mode": "insensitive"}}, True),
        ({"title": {"startsWith": "Hell"}}, True),
        ({"title": {"endsWith": "d"}}, True),
        ({"tags": {"has": "a"}}, True),
        ({"tags": {"hasEvery": ["a", "c"]}}, False),
        ({"OR": []}, False),
        ({"AND": []}, True),
        ({"NOT": []}, True),
        ({"OR": [{"name": "x"}, {"views": 5}]}, True),
        ({"OR": [{"name": "x"}, {"views": 6}]}, None),
        ({"AND": [{"name": "x"}, {"views": 6}]}, False),
        ({"NOT": [{"views": 6}, {"views": 7}]}, True),
        ({"NOT": [{"views": 5}, {"name": "x"}]}, False),
    ],
)
def test_scalar_filters_are_three_valued(where: dict[str, Any], expected: bool | None) -> None:
    assert evaluate(where, ROW) is expected
    assert matches(where, ROW) is (expected is True)


def test_sqlite_like_ignores_ascii_case_and_mysql_ignores_case_everywhere() -> None:
    assert evaluate({"title": {"contains": "world"}}, ROW, provider="sqlite") is True
    assert evaluate({"title": "hello world"}, ROW, provider="sqlite") is False
    assert evaluate({"title": "hello world"}, ROW, provider="mysql") is True


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.from_datamodel(datamodel("blog"), provider="postgresql")


POST = {
    "id": "p1",
    "authorId": 1,
    "author": {"id": 1, "tenantId": "a", "name": None, "role": "ADMIN"},
    "comments": [{"id": 1, "authorId": 2, "text": "hi"}, {"id": 2, "authorId": None, "text": "yo"}],
}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"author": {"is": {"tenantId": "a"}}}, True),
        ({"author": {"tenantId": "b"}}, False),  # shorthand for is
        ({"author": {"is": {"name": "x"}}}, None),  # the joined row's filter stays unknown
        ({"author": {"isNot": {"name": "x"}}}, None),
        ({"author": {"isNot": {"tenantId": "b"}}}, True),
        ({"comments": {"some": {"text": "yo"}}}, True),
        ({"comments": {"none": {"text": "yo"}}}, False),
        ({"comments": {"every": {"authorId": 2}}}, True),  # an unknown does not fail every
        ({"comments": {"every": {"text": "hi"}}}, False),
        ({"comments": {"some": {"authorId": {"gt": 5}}}}, False),
        ({"AND": [{"author": {"is": {"role": "ADMIN"}}}, {"comments": {"some": {}}}]}, True),
    ],
)
def test_relation_filters_on_included_data(schema: Schema, where: dict[str, Any], expected: bool | None) -> None:
    assert evaluate(where, POST, schema=schema, model="Post") is expected


def test_null_to_one_relation(schema: Schema) -> None:
    comment = {"id": 2, "authorId": None, "author": None}
    assert evaluate({"author": {"is": {"role": "ADMIN"}}}, comment, schema=schema, model="Comment") is False
    assert evaluate({"author": {"isNot": {"role": "ADMIN"}}}, comment, schema=schema, model="Comment") is True
    assert evaluate({"author": None}, comment, schema=schema, model="Comment") is True
    assert evaluate({"author": {"isNot": None}}, comment, schema=schema, model="Comment") is False


def test_missing_relation_names_it(schema: Schema) -> None:
    with pytest.raises(MissingRelationError, match="include=\\{'author': True\\}"):
        evaluate({"author": {"is": {"role": "ADMIN"}}}, {"id": "p1"}, schema=schema, model="Post")
