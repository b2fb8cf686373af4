"""`validate_args`: Prisma-shaped arguments checked against the schema before the engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from prisma_infra.errors import UnknownFieldError, UnknownModelError, ValidationError
from prisma_infra.operation import Action
from prisma_infra.schema import Schema, validate_args


def unknown(schema: Schema, model: str, action: str, args: dict[str, Any]) -> UnknownFieldError:
    with pytest.raises(UnknownFieldError) as err:
        validate_args(schema, model, action, args)
    return err.value


def invalid(schema: Schema, model: str, action: str, args: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as err:
        validate_args(schema, model, action, args)
    assert not isinstance(err.value, UnknownFieldError)
    return str(err.value)


# --- accepted arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "action", "args"),
    [
        ("user", "findMany", {}),
        ("user", "findMany", None),
        ("User", "findMany", {"where": {"email": "a@b.c", "name": None}, "take": 10, "skip": 0}),
        ("User", "findMany", {"where": {"email": {"contains": "@", "mode": "insensitive", "not": {"endsWith": "x"}}}}),
        ("User", "findMany", {"where": {"id": {"in": [1, 2], "notIn": (3,), "gte": 0, "lt": 2**31 - 1}}}),
        ("User", "findMany", {"where": {"role": "ADMIN", "karma": {"gt": 2**40}}}),
        ("User", "findMany", {"where": {"role": {"in": ["USER", "EDITOR"]}, "createdAt": {"lt": dt.datetime.now()}}}),
        ("User", "findMany", {"where": {"createdAt": {"gte": "2024-01-01T00:00:00Z"}, "avatar": b"x"}}),
        (
            "User",
            "findMany",
            {"where": {"nicknames": {"has": "bob", "hasSome": ["a"], "hasEvery": [], "isEmpty": False}}},
        ),
        ("User", "findMany", {"where": {"settings": {"path": ["a", "b"], "equals": {"x": 1}, "string_contains": "q"}}}),
        ("User", "findMany", {"where": {"AND": [{"name": "x"}, {"NOT": {"email": "y"}}], "OR": [{"id": 1}]}}),
        ("User", "findMany", {"where": {"posts": {"some": {"title": "x"}, "none": {"published": True}}}}),
        ("Post", "findMany", {"where": {"author": {"is": {"email": "x"}}, "price": {"gt": Decimal("1.5")}}}),
        ("Post", "findMany", {"where": {"author": {"email": "x"}, "rating": {"lte": 4}, "price": "10.25"}}),
        ("Comment", "findMany", {"where": {"author": None, "post": {"isNot": None}}}),
        ("User", "findMany", {"orderBy": [{"createdAt": "desc"}, {"name": {"sort": "asc", "nulls": "last"}}]}),
        ("Post", "findMany", {"orderBy": {"author": {"email": "asc"}}}),
        ("User", "findMany", {"orderBy": {"posts": {"_count": "desc"}}, "distinct": ["email", "name"]}),
        ("User", "findMany", {"cursor": {"id": 5}, "take": -10, "distinct": "email"}),
        ("User", "findMany", {"select": {"id": True, "posts": {"select": {"title": True}, "where": {"views": 1}}}}),
        ("User", "findMany", {"include": {"posts": {"orderBy": {"title": "asc"}, "take": 5}, "_count": True}}),
        ("User", "findMany", {"include": {"_count": {"select": {"posts": {"where": {"published": True}}}}}}),
        ("User", "findMany", {"omit": {"avatar": True}}),
        ("User", "findUnique", {"where": {"id": 1}}),
        ("User", "findUnique", {"where": {"email": "a", "name": "b"}}),  # extra filters next to a unique key
        ("User", "findUniqueOrThrow", {"where": {"email_tenantId": {"email": "a", "tenantId": "t"}}}),
        ("Post", "findUnique", {"where": {"author_title": {"authorId": 1, "title": "t"}}}),
        ("ProjectMember", "findUnique", {"where": {"employeeId_projectCode": {"employeeId": 1, "projectCode": "X"}}}),
        ("Region", "findUnique", {"where": {"regionKey": {"country": "FR", "code": "IDF"}}}),
        ("User", "create", {"data": {"email": "a"}}),
        ("User", "create", {"data": {"email": "a", "nicknames": {"set": ["x"]}, "settings": {"deep": [1]}}}),
        ("Post", "create", {"data": {"title": "t", "body": "b", "authorId": 1}}),
        ("Post", "create", {"data": {"title": "t", "body": "b", "author": {"connect": {"id": 1}}}}),
        ("Post", "create", {"data": {"title": "t", "body": "b", "author": {"create": {"email": "a"}}}}),
        ("User", "create", {"data": {"email": "a", "posts": {"create": [{"title": "t", "body": "b"}]}}}),
        ("User", "create", {"data": {"email": "a", "posts": {"createMany": {"data": [{"title": "t", "body": "b"}]}}}}),
        (
            "User",
            "create",
            {"data": {"email": "a", "profile": {"connectOrCreate": {"where": {"id": "p"}, "create": {}}}}},
        ),
        (
            "Employee",
            "create",
            {"data": {"firstName": "a", "lastName": "b", "email": "c", "manager": {"connect": {"id": 1}}}},
        ),
        ("Office", "create", {"data": {"region": {"connect": {"regionKey": {"country": "FR", "code": "IDF"}}}}}),
        ("User", "createMany", {"data": [{"email": "a"}, {"email": "b", "role": "ADMIN"}], "skipDuplicates": True}),
        ("User", "update", {"where": {"id": 1}, "data": {"karma": {"increment": 1}, "nicknames": {"push": "x"}}}),
        ("User", "update", {"where": {"id": 1}, "data": {"name": None, "settings": {"set": "is a json value"}}}),
        (
            "User",
            "update",
            {"where": {"id": 1}, "data": {"posts": {"updateMany": {"where": {}, "data": {"views": 0}}}}},
        ),
        ("User", "update", {"where": {"id": 1}, "data": {"posts": {"update": {"where": {"id": "p"}, "data": {}}}}}),
        ("User", "update", {"where": {"id": 1}, "data": {"profile": {"update": {"bio": "x"}}}}),
        ("User", "update", {"where": {"id": 1}, "data": {"profile": {"disconnect": True}, "comments": {"set": []}}}),
        ("Post", "update", {"where": {"id": "p"}, "data": {"tags": {"connect": [{"id": 1}, {"name": "x"}]}}}),
        (
            "Post",
            "update",
            {
                "where": {"id": "p"},
                "data": {"tags": {"upsert": {"where": {"name": "x"}, "create": {"name": "x"}, "update": {}}}},
            },
        ),
        ("User", "updateMany", {"where": {"role": "USER"}, "data": {"role": "EDITOR"}, "limit": 10}),
        ("User", "upsert", {"where": {"email": "a"}, "create": {"email": "a"}, "update": {"name": "n"}}),
        ("User", "delete", {"where": {"id": 1}}),
        ("User", "deleteMany", {"where": {"posts": {"none": {}}}}),
        ("User", "count", {"where": {"role": "USER"}, "select": {"_all": True, "name": True}}),
        ("Post", "aggregate", {"_avg": {"rating": True}, "_sum": {"views": True}, "_count": {"_all": True}}),
        ("Post", "aggregate", {"_min": {"title": True}, "_max": {"createdAt": True}, "_count": True}),
        ("Post", "groupBy", {"by": ["status"], "_count": {"_all": True}, "having": {"views": {"_avg": {"gt": 1}}}}),
        ("Post", "groupBy", {"by": "authorId", "orderBy": {"_count": {"authorId": "desc"}}, "having": {"views": 3}}),
        ("Order", "findMany", {"where": {"id": 2**62, "total": {"gte": 10}}}),
        ("Note", "findMany", {"where": {"notebook": {"is": {"archived": False}}, "weight": None}}),
    ],
)
def test_accepts_valid_args(
    blog: Schema, mapped: Schema, shop: Schema, notes: Schema, model: str, action: str, args: Any
) -> None:
    schema = next(s for s in (blog, mapped, shop, notes) if s.has_model(model))
    out = validate_args(schema, model, action, args)
    assert out == (args or {})
    assert out is not args


def test_action_enum_and_raw_actions(blog: Schema) -> None:
    assert validate_args(blog, "User", Action.FIND_MANY, {"where": {"id": 1}}) == {"where": {"id": 1}}
    raw = {"sql": "SELECT 1", "params": []}
    assert validate_args(blog, None, Action.QUERY_RAW, raw) == raw
    assert validate_args(blog, None, "executeRaw", raw) == raw


# --- normalization --------------------------------------------------------------------------------


def test_include_list_is_normalized_without_mutating_the_input(blog: Schema) -> None:
    args = {"include": ["posts", "profile"], "where": {"id": 1}}
    out = validate_args(blog, "user", "findUnique", args)
    assert out == {"include": {"posts": True, "profile": True}, "where": {"id": 1}}
    assert args["include"] == ["posts", "profile"]


def test_nested_include_list_is_normalized(blog: Schema) -> None:
    args: dict[str, Any] = {"include": {"posts": {"include": ["tags", "comments"]}}}
    out = validate_args(blog, "User", "findMany", args)
    assert out["include"] == {"posts": {"include": {"tags": True, "comments": True}}}
    assert args["include"]["posts"]["include"] == ["tags", "comments"]


def test_unknown_name_in_include_list(blog: Schema) -> None:
    err = unknown(blog, "User", "findMany", {"include": ["post"]})
    assert "Did you mean 'posts'?" in str(err) and "in include" in str(err)


# --- unknown fields: model, field, place and closest match ----------------------------------------


@pytest.mark.parametrize(
    ("model", "action", "args", "place", "field", "suggestion"),
    [
        ("User", "findMany", {"where": {"emial": "x"}}, "where", "emial", "email"),
        ("User", "findMany", {"where": {"OR": [{"nmae": "x"}]}}, "where.OR", "nmae", "name"),
        ("User", "findMany", {"where": {"posts": {"some": {"titel": "x"}}}}, "where.posts.some", "titel", "title"),
        ("Post", "findMany", {"where": {"author": {"is": {"emal": "x"}}}}, "where.author.is", "emal", "email"),
        ("User", "findMany", {"select": {"emails": True}}, "select", "emails", "email"),
        ("User", "findMany", {"include": {"post": True}}, "include", "post", "posts"),
        (
            "User",
            "findMany",
            {"include": {"posts": {"select": {"titel": True}}}},
            "include.posts.select",
            "titel",
            "title",
        ),
        ("User", "findMany", {"include": {"posts": {"where": {"viewz": 1}}}}, "include.posts.where", "viewz", "views"),
        ("User", "findMany", {"omit": {"avatr": True}}, "omit", "avatr", "avatar"),
        ("User", "findMany", {"orderBy": {"createAt": "asc"}}, "orderBy", "createAt", "createdAt"),
        ("User", "findMany", {"orderBy": [{"id": "asc"}, {"nam": "asc"}]}, "orderBy", "nam", "name"),
        ("User", "findMany", {"cursor": {"idd": 1}}, "cursor", "idd", "id"),
        ("User", "findMany", {"distinct": ["emial"]}, "distinct", "emial", "email"),
        ("Post", "groupBy", {"by": ["statuss"]}, "by", "statuss", "status"),
        ("Post", "groupBy", {"by": ["status"], "having": {"veiws": 1}}, "having", "veiws", "views"),
        ("User", "create", {"data": {"emial": "x"}}, "data", "emial", "email"),
        ("User", "update", {"where": {"id": 1}, "data": {"nmae": "x"}}, "data", "nmae", "name"),
        (
            "User",
            "create",
            {"data": {"email": "a", "posts": {"create": {"titl": "t"}}}},
            "data.posts.create",
            "titl",
            "title",
        ),
        (
            "User",
            "upsert",
            {"where": {"id": 1}, "create": {"email": "a"}, "update": {"rol": "USER"}},
            "update",
            "rol",
            "role",
        ),
        (
            "User",
            "findMany",
            {"select": {"_count": {"select": {"post": True}}}},
            "select._count.select",
            "post",
            "posts",
        ),
    ],
)
def test_unknown_field_names_model_place_and_closest_match(
    blog: Schema, model: str, action: str, args: dict[str, Any], place: str, field: str, suggestion: str
) -> None:
    err = unknown(blog, model, action, args)
    message = str(err)
    assert f"Unknown field {field!r}" in message
    assert f"in {place}." in message
    assert f"Did you mean {suggestion!r}?" in message
    assert err.field == field and err.suggestion == suggestion
    assert err.model in message


def test_unknown_field_on_mapped_model_uses_prisma_names(mapped: Schema) -> None:
    err = unknown(mapped, "Employee", "findMany", {"where": {"first_name": "a"}})
    assert "Did you mean 'firstName'?" in str(err)


def test_unknown_model(blog: Schema) -> None:
    with pytest.raises(UnknownModelError, match="Did you mean 'Comment'"):
        validate_args(blog, "coment", "findMany", {})


def test_unknown_action_and_argument(blog: Schema) -> None:
    assert "Did you mean 'findMany'?" in invalid(blog, "User", "findmany", {})
    message = invalid(blog, "User", "findMany", {"wher": {}})
    assert "'wher'" in message and "Did you mean 'where'?" in message
    assert "'data'" in invalid(blog, "User", "findMany", {"data": {}})


# --- operators and value types -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "args", "fragments"),
    [
        ("User", {"where": {"id": "1"}}, ["User.id", "expected Int", "got str of length 1"]),
        ("User", {"where": {"id": True}}, ["User.id", "expected Int"]),
        ("User", {"where": {"id": 2**40}}, ["User.id", "expected Int"]),  # Int is 32-bit in Prisma
        ("User", {"where": {"email": 3}}, ["User.email", "expected String"]),
        ("User", {"where": {"email": None}}, ["User.email", "required"]),
        ("User", {"where": {"role": "OWNER"}}, ["User.role", "'ADMIN'", "enum Role"]),
        ("User", {"where": {"id": {"in": 1}}}, ["User.id", "a list of Int"]),
        ("User", {"where": {"id": {"in": [1, "2"]}}}, ["User.id", "Int"]),
        ("User", {"where": {"createdAt": {"gt": "yesterday"}}}, ["User.createdAt", "DateTime"]),
        ("User", {"where": {"email": {"contains": 1}}}, ["User.email", "String"]),
        ("User", {"where": {"email": {"mode": "loose"}}}, ["User.email", "insensitive"]),
        ("User", {"where": {"nicknames": {"has": 1}}}, ["User.nicknames", "String"]),
        ("User", {"where": {"avatar": "not bytes"}}, ["User.avatar", "Bytes"]),
        ("User", {"where": {"settings": "x"}}, ["User.settings", "Json filter"]),
        ("Post", {"where": {"price": "ten"}}, ["Post.price", "Decimal"]),
        ("Post", {"where": {"published": "yes"}}, ["Post.published", "Boolean"]),
        ("Post", {"where": {"rating": {"gt": "4"}}}, ["Post.rating", "Float"]),
        ("Post", {"where": {"author": None}}, ["Post.author", "required"]),
        ("Post", {"where": {"tags": {"name": "x"}}}, ["relation filter", "'name'"]),
        ("Post", {"where": {"tags": {"any": {}}}}, ["Unknown relation filter 'any'", "Post.tags"]),
        ("User", {"where": []}, ["where", "User"]),
        ("User", {"where": {"OR": "x"}}, ["where.OR", "User"]),
        ("User", {"take": "10"}, ["take", "integer"]),
        ("User", {"skip": -1}, ["skip", "non-negative"]),
        ("User", {"orderBy": {"name": "up"}}, ["User.name", "'asc', 'desc'"]),
        ("User", {"orderBy": {"posts": {"title": "asc"}}}, ["User.posts", "_count"]),
        ("User", {"include": {"email": True}}, ["User.email is a scalar field", "posts"]),
        ("User", {"select": {"email": "yes"}}, ["User.email", "true or false"]),
        ("User", {"select": {"id": True}, "include": {"posts": True}}, ["either select or include"]),
        ("User", {"omit": {"posts": True}}, ["relation", "omit"]),
        ("User", {"include": {"profile": {"where": {"bio": "x"}}}}, ["Unknown argument 'where'", "User.profile"]),
    ],
)
def test_bad_values_and_operators(blog: Schema, model: str, args: dict[str, Any], fragments: list[str]) -> None:
    message = invalid(blog, model, "findMany", args)
    for fragment in fragments:
        assert fragment in message


def test_unknown_operator_names_the_closest_one(blog: Schema) -> None:
    message = invalid(blog, "User", "findMany", {"where": {"email": {"startswith": "a"}}})
    assert "Unknown filter 'startswith' for User.email in where" in message
    assert "Did you mean 'startsWith'?" in message
    assert "Unknown filter 'has' for User.email" in invalid(
        blog, "User", "findMany", {"where": {"email": {"has": "a"}}}
    )
    assert "Did you mean 'hasSome'" in invalid(blog, "User", "findMany", {"where": {"nicknames": {"hasSom": ["a"]}}})


def test_value_error_carries_model_and_field(blog: Schema) -> None:
    with pytest.raises(ValidationError) as err:
        validate_args(blog, "Post", "findMany", {"where": {"views": "many"}})
    assert (err.value.model, err.value.field) == ("Post", "views")


# --- unique wheres ---------------------------------------------------------------------------------


def test_unique_where_needs_a_unique_key(blog: Schema, mapped: Schema) -> None:
    message = invalid(blog, "User", "findUnique", {"where": {"name": "x"}})
    assert "unique key" in message and "id, email, email_tenantId" in message
    message = invalid(mapped, "ProjectMember", "delete", {"where": {"employeeId": 1}})
    assert "employeeId_projectCode" in message
    assert "unique key" in invalid(blog, "User", "update", {"where": {}, "data": {}})


def test_compound_key_needs_exactly_its_fields(blog: Schema) -> None:
    message = invalid(blog, "User", "findUnique", {"where": {"email_tenantId": {"email": "a"}}})
    assert "email, tenantId" in message
    message = invalid(blog, "User", "findUnique", {"where": {"email_tenantId": {"email": "a", "tenantId": 1}}})
    assert "User.tenantId" in message and "String" in message


def test_required_arguments(blog: Schema) -> None:
    assert "'where'" in invalid(blog, "User", "findUnique", {})
    assert "'data'" in invalid(blog, "User", "create", {})
    assert "'by'" in invalid(blog, "Post", "groupBy", {})


# --- write data ------------------------------------------------------------------------------------


def test_create_reports_missing_required_fields(blog: Schema) -> None:
    message = invalid(blog, "Post", "create", {"data": {"title": "t"}})
    assert "Missing required fields for Post in data" in message
    assert "'body'" in message and "'authorId' (or relation 'author')" in message
    assert "'id'" not in message and "'updatedAt'" not in message and "'status'" not in message


def test_nested_create_does_not_need_the_back_relation(blog: Schema) -> None:
    validate_args(blog, "User", "create", {"data": {"email": "a", "posts": {"create": {"title": "t", "body": "b"}}}})
    message = invalid(blog, "User", "create", {"data": {"email": "a", "posts": {"create": {"title": "t"}}}})
    assert "Post in data.posts.create" in message and "'body'" in message


def test_compound_foreign_key_is_satisfied_by_its_relation(mapped: Schema) -> None:
    validate_args(mapped, "Office", "create", {"data": {"regionCountry": "FR", "regionCode": "IDF"}})
    message = invalid(mapped, "Office", "create", {"data": {"regionCountry": "FR"}})
    assert "'regionCode' (or relation 'region')" in message


def test_create_value_types(blog: Schema) -> None:
    assert "User.role" in invalid(blog, "User", "create", {"data": {"email": "a", "role": "GOD"}})
    assert "required" in invalid(blog, "User", "create", {"data": {"email": None}})
    assert "list of String" in invalid(blog, "User", "create", {"data": {"email": "a", "nicknames": "x"}})
    assert "Post.views" in invalid(
        blog, "Post", "create", {"data": {"title": "t", "body": "b", "authorId": 1, "views": 1.5}}
    )


def test_create_many_takes_scalars_only(blog: Schema) -> None:
    message = invalid(
        blog, "Post", "createMany", {"data": [{"title": "t", "body": "b", "author": {"connect": {"id": 1}}}]}
    )
    assert "createMany" in message and "foreign key" in message
    assert "'email'" in invalid(blog, "User", "createMany", {"data": [{"name": "x"}]})


def test_update_operations(blog: Schema) -> None:
    message = invalid(blog, "User", "update", {"where": {"id": 1}, "data": {"email": {"increment": 1}}})
    assert "Unknown update operation 'increment' for User.email" in message
    message = invalid(blog, "User", "update", {"where": {"id": 1}, "data": {"karma": {"incremnt": 1}}})
    assert "Did you mean 'increment'?" in message
    assert "User.karma" in invalid(blog, "User", "update", {"where": {"id": 1}, "data": {"karma": {"increment": "1"}}})
    assert "required" in invalid(blog, "User", "update", {"where": {"id": 1}, "data": {"email": None}})


def test_nested_write_operations(blog: Schema) -> None:
    message = invalid(blog, "User", "update", {"where": {"id": 1}, "data": {"posts": {"conect": {"id": "p"}}}})
    assert "Unknown nested write 'conect' for User.posts" in message and "Did you mean 'connect'?" in message
    message = invalid(blog, "User", "update", {"where": {"id": 1}, "data": {"profile": {"set": []}}})
    assert "'set'" in message  # set is for to-many relations only
    err = unknown(blog, "Post", "update", {"where": {"id": "p"}, "data": {"tags": {"connect": {"name2": 1}}}})
    assert "on model 'Tag' in data.tags.connect" in str(err) and err.suggestion == "name"
    message = invalid(blog, "Post", "update", {"where": {"id": "p"}, "data": {"tags": {"connect": [{"id": 1}, {}]}}})
    assert "Tag" in message and "unique key" in message
