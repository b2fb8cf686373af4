"""`literal_patterns`: LIKE wildcards escaped in every where an operation carries, nothing else touched."""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.schema import Schema
from prisma_infra.schema.patterns import escape_like, literal_patterns

E = "a\\%b\\_c\\\\"  # escape_like("a%b_c\\")
RAW = "a%b_c\\"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("plain", "plain"), ("%", "\\%"), ("_", "\\_"), ("\\", "\\\\"), ("\\%", "\\\\\\%"), (RAW, E), ("", "")],
)
def test_escape_like(text: str, escaped: str) -> None:
    assert escape_like(text) == escaped


def test_untouched_arguments_are_the_same_object(blog: Schema) -> None:
    args = {
        "where": {"title": {"contains": "plain"}, "views": {"gt": 1}, "author": {"is": {"email": "x%"}}},
        "include": {"comments": {"where": {"text": "a_b"}}},  # equality: no pattern
        "orderBy": {"title": "asc"},
    }
    assert literal_patterns(blog, "Post", "findMany", args) is args
    assert literal_patterns(blog, "Post", "findMany", None) is None


@pytest.mark.parametrize(
    ("model", "action", "args", "escaped"),
    [
        ("Post", "findMany", {"where": {"title": {"contains": RAW}}}, {"where": {"title": {"contains": E}}}),
        (
            "Post",
            "findMany",
            {"where": {"title": {"startsWith": RAW, "endsWith": "%", "mode": "insensitive"}}},
            {"where": {"title": {"startsWith": E, "endsWith": "\\%", "mode": "insensitive"}}},
        ),
        (
            "Post",
            "count",
            {"where": {"title": {"not": {"contains": RAW}}}},
            {"where": {"title": {"not": {"contains": E}}}},
        ),
        (
            "Post",
            "findMany",
            {
                "where": {
                    "AND": [{"title": {"contains": RAW}}],
                    "OR": [{"body": {"endsWith": RAW}}],
                    "NOT": {"title": {"startsWith": RAW}},
                }
            },
            {
                "where": {
                    "AND": [{"title": {"contains": E}}],
                    "OR": [{"body": {"endsWith": E}}],
                    "NOT": {"title": {"startsWith": E}},
                }
            },
        ),
        (
            "User",
            "findMany",
            {
                "where": {
                    "posts": {
                        "some": {"title": {"contains": RAW}},
                        "every": {"body": {"contains": "_"}},
                        "none": {"comments": {"some": {"text": {"contains": "%"}}}},
                    }
                }
            },
            {
                "where": {
                    "posts": {
                        "some": {"title": {"contains": E}},
                        "every": {"body": {"contains": "\\_"}},
                        "none": {"comments": {"some": {"text": {"contains": "\\%"}}}},
                    }
                }
            },
        ),
        (
            "Post",
            "findMany",
            {"where": {"author": {"is": {"email": {"contains": RAW}}, "isNot": {"name": {"startsWith": "_"}}}}},
            {"where": {"author": {"is": {"email": {"contains": E}}, "isNot": {"name": {"startsWith": "\\_"}}}}},
        ),
        (  # a to-one shorthand: the where of the related model itself
            "Comment",
            "findFirst",
            {"where": {"post": {"author": {"email": {"endsWith": RAW}}}}},
            {"where": {"post": {"author": {"email": {"endsWith": E}}}}},
        ),
        (
            "Post",
            "groupBy",
            {"by": ["status"], "having": {"title": {"contains": RAW, "_min": {"startsWith": "%"}}}},
            {"by": ["status"], "having": {"title": {"contains": E, "_min": {"startsWith": "\\%"}}}},
        ),
        (
            "User",
            "findMany",
            {
                "include": {
                    "posts": {
                        "where": {"title": {"contains": RAW}},
                        "include": {"comments": {"where": {"text": {"contains": "%"}}}},
                    },
                    "_count": {"select": {"posts": {"where": {"title": {"endsWith": "_"}}}, "comments": True}},
                }
            },
            {
                "include": {
                    "posts": {
                        "where": {"title": {"contains": E}},
                        "include": {"comments": {"where": {"text": {"contains": "\\%"}}}},
                    },
                    "_count": {"select": {"posts": {"where": {"title": {"endsWith": "\\_"}}}, "comments": True}},
                }
            },
        ),
        (
            "User",
            "findUnique",
            {
                "where": {"id": 1},
                "select": {"id": True, "posts": {"where": {"body": {"contains": RAW}}, "select": {"id": True}}},
            },
            {
                "where": {"id": 1},
                "select": {"id": True, "posts": {"where": {"body": {"contains": E}}, "select": {"id": True}}},
            },
        ),
        (  # Json string filters are LIKE too; their `not` is a value
            "User",
            "findMany",
            {"where": {"settings": {"path": ["k"], "string_contains": RAW, "not": "%"}}},
            {"where": {"settings": {"path": ["k"], "string_contains": E, "not": "%"}}},
        ),
    ],
    ids=[
        "contains",
        "starts-ends-insensitive",
        "not",
        "logical",
        "to-many",
        "to-one",
        "to-one-shorthand",
        "having",
        "include-and-count",
        "select",
        "json",
    ],
)
def test_every_where_of_a_read(blog: Schema, model: str, action: str, args: Any, escaped: Any) -> None:
    before = repr(args)
    assert literal_patterns(blog, model, action, args) == escaped
    assert repr(args) == before  # the caller's arguments are never changed


def test_wheres_of_nested_writes(blog: Schema) -> None:
    data = {
        "posts": {
            "updateMany": {"where": {"title": {"contains": RAW}}, "data": {"body": "%"}},
            "deleteMany": [{"title": {"startsWith": "%"}}],
            "update": [
                {
                    "where": {"id": "p1", "title": {"endsWith": "_"}},
                    "data": {"comments": {"deleteMany": {"text": {"contains": "%"}}}},
                }
            ],
            "upsert": {
                "where": {"id": "p2"},
                "create": {"title": "%"},
                "update": {"comments": {"disconnect": {"id": 1, "text": {"contains": "_"}}}},
            },
            "create": {"title": "%", "comments": {"connect": {"id": 2, "text": {"contains": "%"}}}},
            "connectOrCreate": {"where": {"id": "p3", "title": {"contains": "%"}}, "create": {"title": "%"}},
        },
        "profile": {"update": {"bio": "%"}},
        "name": "%_",  # a value written, not a pattern
    }
    out = literal_patterns(blog, "User", "update", {"where": {"id": 1, "name": {"contains": "%"}}, "data": data})
    posts = out["data"]["posts"]
    assert out["where"] == {"id": 1, "name": {"contains": "\\%"}}
    assert posts["updateMany"] == {"where": {"title": {"contains": E}}, "data": {"body": "%"}}
    assert posts["deleteMany"] == [{"title": {"startsWith": "\\%"}}]
    assert posts["update"][0]["where"] == {"id": "p1", "title": {"endsWith": "\\_"}}
    assert posts["update"][0]["data"]["comments"]["deleteMany"] == {"text": {"contains": "\\%"}}
    assert posts["upsert"]["update"]["comments"]["disconnect"] == {"id": 1, "text": {"contains": "\\_"}}
    assert posts["upsert"]["create"] == {"title": "%"}
    assert posts["create"] == {"title": "%", "comments": {"connect": {"id": 2, "text": {"contains": "\\%"}}}}
    assert posts["connectOrCreate"]["where"] == {"id": "p3", "title": {"contains": "\\%"}}
    assert out["data"]["profile"] == {"update": {"bio": "%"}} and out["data"]["name"] == "%_"


def test_upsert_and_many_writes(blog: Schema) -> None:
    upsert = {
        "where": {"id": "p1"},
        "create": {"title": "%", "comments": {"connect": {"id": 1, "text": {"contains": "%"}}}},
        "update": {"tags": {"set": [{"id": 1, "name": {"contains": "_"}}]}},
    }
    out = literal_patterns(blog, "Post", "upsert", upsert)
    assert out["create"]["comments"]["connect"]["text"] == {"contains": "\\%"}
    assert out["update"]["tags"]["set"] == [{"id": 1, "name": {"contains": "\\_"}}]
    many = {"where": {"title": {"contains": "%"}}, "data": {"title": "%"}}
    assert literal_patterns(blog, "Post", "updateMany", many) == {
        "where": {"title": {"contains": "\\%"}},
        "data": {"title": "%"},
    }
    rows = {"data": [{"title": "%", "body": "_"}]}
    assert literal_patterns(blog, "Post", "createMany", rows) is rows


def test_only_string_filters_are_patterns(blog: Schema) -> None:
    args = {
        "where": {
            "nicknames": {"has": "%"},
            "tenantId": "%",
            "role": {"in": ["ADMIN"]},
            "email": {"equals": "_", "in": ["%"], "gt": "%"},
        }
    }
    assert literal_patterns(blog, "User", "findMany", args) is args


def test_model_names_and_unknown_models(blog: Schema) -> None:
    args = {"where": {"title": {"contains": "%"}}}
    assert literal_patterns(blog, "post", "findMany", args) == {"where": {"title": {"contains": "\\%"}}}
    assert literal_patterns(blog, "Nope", "findMany", args) is args  # left for the engine to refuse
