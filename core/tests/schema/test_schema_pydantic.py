"""Pydantic models built at runtime per Prisma model: read, create and update shapes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pydantic
import pytest
from prisma_infra.errors import UnknownModelError, ValidationError
from prisma_infra.schema import Schema, pydantic_model, pydantic_models


def test_models_are_cached_per_schema_and_shape(blog: Schema) -> None:
    assert pydantic_model(blog, "user") is pydantic_model(blog, "User", "read")
    assert pydantic_model(blog, "User", "create") is pydantic_model(blog, "user", "create")
    assert pydantic_model(blog, "User", "create") is not pydantic_model(blog, "User", "update")
    assert set(pydantic_models(blog, "update")) == set(blog.model_names)
    assert pydantic_model(blog, "User", "update").__name__ == "UserUpdate"


def test_unknown_model_or_shape(blog: Schema) -> None:
    with pytest.raises(UnknownModelError, match="Did you mean 'Post'"):
        pydantic_model(blog, "Pst")
    with pytest.raises(ValidationError, match="shape"):
        pydantic_model(blog, "Post", "patch")  # type: ignore[arg-type]


def test_create_shape_required_and_optional(blog: Schema) -> None:
    post_create = pydantic_model(blog, "Post", "create")
    required = {name for name, f in post_create.model_fields.items() if f.is_required()}
    # id (@default cuid), status/rating/... (@default), updatedAt (@updatedAt), price (nullable) are optional
    assert required == {"title", "body", "authorId"}
    post = post_create(title="t", body="b", authorId=1)
    assert post.model_dump(exclude_unset=True) == {"title": "t", "body": "b", "authorId": 1}


def test_create_shape_types(blog: Schema) -> None:
    user_create = pydantic_model(blog, "User", "create")
    user = user_create(email="a@b.c", karma=2**40, avatar=b"\x00", settings={"a": [1]}, nicknames=["x"], role="ADMIN")
    assert user.model_dump(exclude_unset=True)["karma"] == 2**40
    with pytest.raises(pydantic.ValidationError, match="role"):
        user_create(email="a", role="OWNER")
    with pytest.raises(pydantic.ValidationError, match="email"):
        user_create(name="no email")
    with pytest.raises(pydantic.ValidationError, match="extra"):
        user_create(email="a", posts=[])  # relations are not part of the scalar create shape
    with pytest.raises(pydantic.ValidationError, match="role"):
        user_create(email="a", role=None)  # optional to give, but not nullable


def test_native_type_constraints(blog: Schema) -> None:
    post_create = pydantic_model(blog, "Post", "create")
    with pytest.raises(pydantic.ValidationError, match="200"):
        post_create(title="x" * 201, body="b", authorId=1)
    with pytest.raises(pydantic.ValidationError, match="price"):
        post_create(title="t", body="b", authorId=1, price=Decimal("1.234"))  # @db.Decimal(10, 2)
    assert post_create(title="t", body="b", authorId=1, price="9.99").price == Decimal("9.99")  # type: ignore[attr-defined]


def test_update_shape_is_all_optional(blog: Schema) -> None:
    user_update = pydantic_model(blog, "User", "update")
    assert not any(f.is_required() for f in user_update.model_fields.values())
    assert user_update(name=None).model_dump(exclude_unset=True) == {"name": None}
    with pytest.raises(pydantic.ValidationError):
        user_update(email=None)


def test_read_shape_with_nested_relations(blog: Schema) -> None:
    user_read = pydantic_model(blog, "User")
    now = dt.datetime.now(dt.UTC)
    row = {
        "id": 1,
        "email": "a",
        "name": None,
        "role": "USER",
        "tenantId": "t",
        "karma": 0,
        "avatar": None,
        "settings": None,
        "nicknames": [],
        "createdAt": now.isoformat(),
        "updatedAt": now,
        "posts": [
            {
                "id": "p",
                "title": "t",
                "body": "b",
                "status": "DRAFT",
                "price": None,
                "rating": 0,
                "views": 0,
                "published": False,
                "metadata": {},
                "publishedAt": None,
                "authorId": 1,
                "createdAt": now,
                "updatedAt": now,
                "tags": [{"id": 1, "name": "x"}],
            }
        ],
    }
    user = user_read.model_validate(row)
    assert user.createdAt == now  # type: ignore[attr-defined]
    assert user.posts[0].tags[0].name == "x"  # type: ignore[attr-defined]
    assert user.profile is None  # type: ignore[attr-defined]
    with pytest.raises(pydantic.ValidationError, match="email"):
        user_read.model_validate({**row, "email": None})


def test_self_relation_and_mapped_enum(mapped: Schema) -> None:
    employee = pydantic_model(mapped, "Employee")
    boss = employee.model_validate(
        {
            "id": 1,
            "firstName": "a",
            "lastName": "b",
            "email": "e",
            "level": "SENIOR",
            "managerId": None,
            "hiredAt": "2024-01-01T00:00:00",
            "reports": [
                {
                    "id": 2,
                    "firstName": "c",
                    "lastName": "d",
                    "email": "f",
                    "level": "JUNIOR",
                    "managerId": 1,
                    "hiredAt": "2024-02-01T00:00:00",
                }
            ],
        }
    )
    assert boss.reports[0].managerId == 1  # type: ignore[attr-defined]


def test_json_schema_for_openapi(blog: Schema) -> None:
    schema = pydantic_model(blog, "User").model_json_schema()
    assert schema["$ref"] == "#/$defs/User"  # recursive models are components referencing each other
    assert {"User", "Post", "Profile", "Comment", "Tag"} <= set(schema["$defs"])
    user = schema["$defs"]["User"]
    assert user["properties"]["role"]["enum"] == ["USER", "EDITOR", "ADMIN"]
    assert user["properties"]["email"]["description"] == "Contact address; personal data."
    assert user["properties"]["posts"]["anyOf"][0] == {"items": {"$ref": "#/$defs/Post"}, "type": "array"}
    create = pydantic_model(blog, "Post", "create").model_json_schema()
    assert create["required"] == ["title", "body", "authorId"]
    assert create["properties"]["title"]["maxLength"] == 200
    assert create["additionalProperties"] is False


def test_field_names_that_clash_with_pydantic_are_aliased(fixture_data: object) -> None:
    datamodel = {
        "models": [
            {
                "name": "Doc",
                "dbName": None,
                "primaryKey": None,
                "uniqueFields": [],
                "uniqueIndexes": [],
                "fields": [
                    {"name": "id", "kind": "scalar", "type": "Int", "isId": True, "isRequired": True},
                    {"name": "schema", "kind": "scalar", "type": "String", "isRequired": True},
                    {"name": "model_config", "kind": "scalar", "type": "String", "isRequired": False},
                ],
            }
        ],
        "enums": [],
        "indexes": [],
    }
    doc = pydantic_model(Schema.from_datamodel(datamodel), "Doc", "create")
    item = doc.model_validate({"id": 1, "schema": "s", "model_config": "c"})
    assert item.model_dump(exclude_unset=True) == {"id": 1, "schema": "s", "model_config": "c"}
