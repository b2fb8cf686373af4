"""The query-string filter syntax → Prisma ``where``: every operator, every type, relation paths,
``or``/``and`` trees, quoting, per-provider case rules, and the errors (names, never values).

Every ``where`` produced is also checked by the schema's own validation of Prisma arguments, so a
shape Prisma would refuse fails here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from prisma_infra.errors import UnknownFieldError, ValidationError
from prisma_infra.rest.filters import FilterValueError
from prisma_infra.rest.params import parse_where
from prisma_infra.rest.request import ApiRequestError
from prisma_infra.schema import Schema, validate_args

from core.tests.doubles import datamodel

SECRET = "Secret-Value-42"


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.from_datamodel(datamodel("blog"))


def hide_email(model: str, field: str) -> bool:
    return (model, field) == ("User", "email")


def where(schema: Schema, model: str, *query: tuple[str, str], provider: str | None = None) -> dict[str, Any]:
    found = parse_where(schema.model(model), schema, list(query), hide_email, provider=provider)
    if provider in (None, "postgresql"):
        validate_args(schema, model, "findMany", {"where": found})
    return found


# -- operators ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("eq.Hello", {"equals": "Hello"}),
        ("neq.Hello", {"not": "Hello"}),
        ("gt.b", {"gt": "b"}),
        ("gte.b", {"gte": "b"}),
        ("lt.b", {"lt": "b"}),
        ("lte.b", {"lte": "b"}),
        ("in.(a,b,c)", {"in": ["a", "b", "c"]}),
        ('in.(a,"b, (c)",d)', {"in": ["a", "b, (c)", "d"]}),
        ("in.()", {"in": []}),
        ('eq."a.b,c"', {"equals": "a.b,c"}),
        (r'eq."say \"hi\" \\ bye"', {"equals": 'say "hi" \\ bye'}),
        ("eq.", {"equals": ""}),
        ("eq.a.b.c", {"equals": "a.b.c"}),
    ],
)
def test_string_operators(schema: Schema, value: str, expected: dict[str, Any]) -> None:
    assert where(schema, "Post", ("title", value)) == {"title": expected}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("like.Hello", {"title": {"equals": "Hello"}}),
        ("like.Hel*", {"title": {"startsWith": "Hel"}}),
        ("like.*llo", {"title": {"endsWith": "llo"}}),
        ("like.*ell*", {"title": {"contains": "ell"}}),
        ("like.H*o", {"AND": [{"title": {"startsWith": "H"}}, {"title": {"endsWith": "o"}}]}),
        (
            "like.a*b*c",
            {"AND": [{"title": {"startsWith": "a"}}, {"title": {"contains": "b"}}, {"title": {"endsWith": "c"}}]},
        ),
        ("like.*", {"title": {"contains": ""}}),
        ("like.50%*", {"title": {"startsWith": "50%"}}),
        ("ilike.*ell*", {"title": {"contains": "ell", "mode": "insensitive"}}),
        ("ilike.hello", {"title": {"equals": "hello", "mode": "insensitive"}}),
    ],
)
def test_like_patterns_on_postgresql(schema: Schema, value: str, expected: dict[str, Any]) -> None:
    assert where(schema, "Post", ("title", value)) == expected


def test_ilike_on_sqlite_and_mysql_relies_on_like_ignoring_case(schema: Schema) -> None:
    # No ``mode`` outside PostgreSQL: SQLite's LIKE and MySQL's collations ignore (ASCII) case.
    for provider in ("sqlite", "mysql"):
        assert where(schema, "Post", ("title", "ilike.*ell*"), provider=provider) == {"title": {"contains": "ell"}}
    assert where(schema, "Post", ("title", "ilike.hello"), provider="mysql") == {"title": {"equals": "hello"}}
    # SQLite's "=" never ignores case: an exact ilike is "starts and ends with" (documented).
    assert where(schema, "Post", ("title", "ilike.hello"), provider="sqlite") == {
        "AND": [{"title": {"startsWith": "hello"}}, {"title": {"endsWith": "hello"}}]
    }
    # like stays as the database's own LIKE does it
    assert where(schema, "Post", ("title", "like.Hel*"), provider="sqlite") == {"title": {"startsWith": "Hel"}}


def test_ilike_of_non_ascii_text_without_mode_matches_its_spellings(schema: Schema) -> None:
    found = where(schema, "Post", ("title", "ilike.*émile*"), provider="sqlite")
    assert found == {
        "OR": [{"title": {"contains": "émile"}}, {"title": {"contains": "ÉMILE"}}, {"title": {"contains": "Émile"}}]
    }
    # PostgreSQL's mode covers every alphabet
    assert where(schema, "Post", ("title", "ilike.*émile*")) == {"title": {"contains": "émile", "mode": "insensitive"}}


def test_is_and_negations(schema: Schema) -> None:
    assert where(schema, "Post", ("publishedAt", "is.null")) == {"publishedAt": None}
    assert where(schema, "Post", ("publishedAt", "not.is.null")) == {"NOT": {"publishedAt": None}}
    assert where(schema, "Post", ("published", "is.true")) == {"published": {"equals": True}}
    assert where(schema, "Post", ("published", "is.FALSE")) == {"published": {"equals": False}}
    assert where(schema, "Post", ("title", "not.eq.x")) == {"NOT": {"title": {"equals": "x"}}}
    assert where(schema, "Post", ("title", "not.like.*x*")) == {"NOT": {"title": {"contains": "x"}}}
    assert where(schema, "Post", ("title", "not.in.(a,b)")) == {"NOT": {"title": {"in": ["a", "b"]}}}


def test_repeated_keys_are_all_applied(schema: Schema) -> None:
    assert where(schema, "Post", ("views", "gte.10"), ("views", "lt.20"), ("title", "eq.x")) == {
        "AND": [{"views": {"gte": 10}}, {"views": {"lt": 20}}, {"title": {"equals": "x"}}]
    }
    assert where(schema, "Post") == {}


# -- types ----------------------------------------------------------------------------------------


def test_values_are_converted_by_type(schema: Schema) -> None:
    assert where(schema, "Post", ("views", "gt.10")) == {"views": {"gt": 10}}
    assert where(schema, "User", ("karma", "gte.9007199254740993")) == {"karma": {"gte": 9007199254740993}}
    assert where(schema, "Post", ("rating", "lt.4.5")) == {"rating": {"lt": 4.5}}
    assert where(schema, "Post", ("price", "lte.10.50")) == {"price": {"lte": Decimal("10.50")}}
    assert where(schema, "Post", ("published", "eq.true")) == {"published": {"equals": True}}
    utc = dt.UTC
    assert where(schema, "Post", ("publishedAt", "gte.2024-05-01T12:30:00Z")) == {
        "publishedAt": {"gte": dt.datetime(2024, 5, 1, 12, 30, tzinfo=utc)}
    }
    offset = where(schema, "Post", ("publishedAt", "lt.2024-05-01T12:30:00+02:00"))
    assert offset["publishedAt"]["lt"] == dt.datetime(2024, 5, 1, 10, 30, tzinfo=utc)
    spaced = where(schema, "Post", ("publishedAt", "lt.2024-05-01T12:30:00 02:00"))  # "+" form-decoded
    assert spaced == offset
    assert where(schema, "Post", ("publishedAt", "lt.2024-05-01")) == {
        "publishedAt": {"lt": dt.datetime(2024, 5, 1, tzinfo=utc)}
    }
    assert where(schema, "User", ("avatar", "eq.AAEC")) == {"avatar": {"equals": b"\x00\x01\x02"}}
    assert where(schema, "Post", ("views", "in.(1,2,3)")) == {"views": {"in": [1, 2, 3]}}
    assert where(schema, "Post", ("price", "in.(1.5,2)")) == {"price": {"in": [Decimal("1.5"), Decimal("2")]}}


def test_enums_are_checked_against_their_values(schema: Schema) -> None:
    assert where(schema, "Post", ("status", "in.(DRAFT,PUBLISHED)")) == {"status": {"in": ["DRAFT", "PUBLISHED"]}}
    assert where(schema, "Post", ("status", "neq.ARCHIVED")) == {"status": {"not": "ARCHIVED"}}
    with pytest.raises(FilterValueError) as caught:
        where(schema, "Post", ("status", "in.(DRAFT,PUBLISHD)"))
    assert caught.value.model == "Post" and caught.value.field == "status"
    assert caught.value.suggestion == "PUBLISHED"
    assert "PUBLISHD" not in caught.value.message and "Did you mean 'PUBLISHED'" in caught.value.message


def test_json_takes_eq_of_a_json_value(schema: Schema) -> None:
    assert where(schema, "Post", ("metadata", 'eq.{"a":[1,2]}')) == {"metadata": {"equals": {"a": [1, 2]}}}
    with pytest.raises(FilterValueError, match="only eq"):
        where(schema, "Post", ("metadata", "neq.1"))
    with pytest.raises(FilterValueError, match="cannot be tested for null"):
        where(schema, "User", ("settings", "is.null"))
    with pytest.raises(FilterValueError, match="not valid JSON"):
        where(schema, "Post", ("metadata", "eq.{nope"))


def test_list_fields_take_cs_and_ov(schema: Schema) -> None:
    assert where(schema, "User", ("nicknames", "cs.{ada,al}")) == {"nicknames": {"hasEvery": ["ada", "al"]}}
    assert where(schema, "User", ("nicknames", "ov.(ada,al)")) == {"nicknames": {"hasSome": ["ada", "al"]}}
    with pytest.raises(FilterValueError, match="is a list"):
        where(schema, "User", ("nicknames", "eq.ada"))
    with pytest.raises(FilterValueError, match="is not a list"):
        where(schema, "User", ("name", "cs.(a)"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("views", f"gt.{SECRET}", "not a valid Int"),
        ("views", "gt.99999999999", "not a valid Int"),
        ("rating", f"eq.{SECRET}", "not a valid Float"),
        ("price", f"eq.{SECRET}", "not a valid Decimal"),
        ("published", f"eq.{SECRET}", "not a valid Boolean"),
        ("publishedAt", f"gt.{SECRET}", "not a valid DateTime"),
        ("status", f"eq.{SECRET}", "enum Status"),
        ("status", "gt.DRAFT", "cannot be compared with gt"),
        ("published", "gt.true", "cannot be compared with gt"),
        ("published", "in.(true)", "is Boolean"),
        ("views", f"like.{SECRET}*", "is not a String"),
        ("title", "is.true", "is not a Boolean"),
        ("title", "is.null", "is required"),
        ("author", "eq.1", "is a relation"),
        ("author", "is.null", "is required"),
        ("comments", "is.null", "cannot be tested for null"),
        ("metadata", "is.null", "is required"),
        ("title", f"eq.{SECRET}\x00", "NUL character"),
        ("title", "ilike.*\x00*", "NUL character"),
    ],
)
def test_values_that_do_not_fit_name_the_field_never_the_value(
    schema: Schema, field: str, value: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        where(schema, "Post", (field, value))
    assert caught.value.model == "Post" and caught.value.field == field
    assert SECRET not in str(caught.value) and SECRET.lower() not in str(caught.value).lower()


# -- relation paths -------------------------------------------------------------------------------


def test_relation_paths(schema: Schema) -> None:
    # to-one → is, to-many → some, at any depth
    assert where(schema, "Post", ("author.name", "eq.Ada")) == {"author": {"is": {"name": {"equals": "Ada"}}}}
    assert where(schema, "User", ("posts.views", "gt.100")) == {"posts": {"some": {"views": {"gt": 100}}}}
    assert where(schema, "User", ("posts.comments.author.name", "ilike.ada*")) == {
        "posts": {
            "some": {"comments": {"some": {"author": {"is": {"name": {"startsWith": "ada", "mode": "insensitive"}}}}}}
        }
    }
    # a negation stays inside the path: "has a post whose title is not x"
    assert where(schema, "User", ("posts.title", "not.eq.x")) == {
        "posts": {"some": {"NOT": {"title": {"equals": "x"}}}}
    }
    # an optional to-one relation tests for null
    assert where(schema, "Comment", ("author", "is.null")) == {"author": {"is": None}}
    assert where(schema, "Comment", ("author", "not.is.null")) == {"NOT": {"author": {"is": None}}}


def test_logic_on_a_relation(schema: Schema) -> None:
    assert where(schema, "Post", ("author.or", "(name.eq.Ada,role.eq.ADMIN)")) == {
        "author": {"is": {"OR": [{"name": {"equals": "Ada"}}, {"role": {"equals": "ADMIN"}}]}}
    }
    assert where(schema, "User", ("posts.not.and", "(views.gt.1,published.is.true)")) == {
        "posts": {"some": {"NOT": {"AND": [{"views": {"gt": 1}}, {"published": {"equals": True}}]}}}
    }


# -- or / and -------------------------------------------------------------------------------------


def test_or_and_trees(schema: Schema) -> None:
    assert where(schema, "Post", ("or", "(views.gt.100,published.is.true)")) == {
        "OR": [{"views": {"gt": 100}}, {"published": {"equals": True}}]
    }
    found = where(
        schema,
        "Post",
        ("and", '(status.in.(DRAFT,PUBLISHED),or(title.ilike.*a*,title.eq."x, y"),not.and(views.lt.0,rating.gt.1))'),
    )
    assert found == {
        "AND": [
            {"status": {"in": ["DRAFT", "PUBLISHED"]}},
            {"OR": [{"title": {"contains": "a", "mode": "insensitive"}}, {"title": {"equals": "x, y"}}]},
            {"NOT": {"AND": [{"views": {"lt": 0}}, {"rating": {"gt": 1.0}}]}},
        ]
    }
    assert where(schema, "Post", ("not.or", "(views.gt.1,author.name.not.is.null)")) == {
        "NOT": {"OR": [{"views": {"gt": 1}}, {"author": {"is": {"NOT": {"name": None}}}}]}
    }
    assert where(schema, "Post", ("or", "(title.eq.a)"), ("views", "eq.1")) == {
        "AND": [{"OR": [{"title": {"equals": "a"}}]}, {"views": {"equals": 1}}]
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("views.gt.1", "parenthesised"),
        ("(views.gt.1", "parenthesised"),
        ("(views.gt.(1)", "Unbalanced"),
        ('(title.eq."a)', "Unbalanced"),
        ("()", "at least one condition"),
        ("(views.gt.1,)", "empty item"),
        ("(views)", "inside or/and"),
        ("(views.gtt.1)", "op one of"),
        ("((views.gt.1))", "or\\(...\\)"),
    ],
)
def test_malformed_trees_are_bad_requests(schema: Schema, value: str, message: str) -> None:
    with pytest.raises(ApiRequestError, match=message) as caught:
        where(schema, "Post", ("or", value))
    assert caught.value.status == 400


def test_trees_nest_only_so_deep(schema: Schema) -> None:
    deep = "(" + "or(" * 17 + "views.gt.1" + ")" * 17 + ")"
    with pytest.raises(ApiRequestError, match="nest more than 16"):
        where(schema, "Post", ("or", deep))
    shallow = "(" + "or(" * 3 + "views.gt.1" + ")" * 3 + ")"
    assert where(schema, "Post", ("or", shallow)) == {"OR": [{"OR": [{"OR": [{"OR": [{"views": {"gt": 1}}]}]}]}]}


# -- names ----------------------------------------------------------------------------------------


def test_unknown_fields_name_the_closest_visible_match(schema: Schema) -> None:
    with pytest.raises(UnknownFieldError) as caught:
        where(schema, "Post", ("titel", "eq.x"))
    assert (caught.value.model, caught.value.field, caught.value.suggestion) == ("Post", "titel", "title")
    assert "in filter" in caught.value.message
    with pytest.raises(UnknownFieldError) as caught:
        where(schema, "Post", ("author.nmae", "eq.x"))
    assert (caught.value.model, caught.value.suggestion) == ("User", "name")
    with pytest.raises(UnknownFieldError) as caught:
        where(schema, "Post", ("or", "(author.nmae.eq.x)"))
    assert caught.value.suggestion == "name"
    # a reserved key misspelt is suggested too
    with pytest.raises(UnknownFieldError) as caught:
        where(schema, "Post", ("per_pag", "5"))
    assert caught.value.suggestion == "per_page"


def test_hidden_fields_are_unknown_and_never_suggested(schema: Schema) -> None:
    for query in [
        ("email", "eq.a@b.c"),
        ("emial", "eq.a@b.c"),
        ("or", "(email.eq.a@b.c)"),
        ("posts.author.email", "eq.x"),
    ]:
        with pytest.raises(UnknownFieldError) as caught:
            where(schema, "User", query)
        assert caught.value.suggestion != "email" and "email'?" not in caught.value.message
    with pytest.raises(UnknownFieldError) as caught:
        where(schema, "Post", ("author.email", "eq.x"))
    assert caught.value.model == "User" and caught.value.field == "email" and caught.value.suggestion is None


def test_a_key_that_is_not_a_name_is_not_echoed(schema: Schema) -> None:
    with pytest.raises(ValidationError) as caught:
        where(schema, "Post", (f"{SECRET} x", "eq.1"))
    assert SECRET not in str(caught.value) and caught.value.model == "Post"


def test_a_value_without_an_operator_is_a_bad_request(schema: Schema) -> None:
    with pytest.raises(ApiRequestError, match=r"must be op\.value") as caught:
        where(schema, "Post", ("title", SECRET))
    assert caught.value.status == 400 and caught.value.field == "title"
    assert SECRET not in str(caught.value)
    with pytest.raises(ApiRequestError, match="is not a relation"):
        where(schema, "Post", ("title.length", "eq.1"))
    with pytest.raises(ApiRequestError, match="goes on with a field of User"):
        where(schema, "Post", ("author.not.eq", "x"))
    with pytest.raises(ApiRequestError, match="takes a list"):
        where(schema, "Post", ("views", "in.1,2"))
    with pytest.raises(ApiRequestError, match="takes null, true or false"):
        where(schema, "Post", ("publishedAt", "is.nothing"))
