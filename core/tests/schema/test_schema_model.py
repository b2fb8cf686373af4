"""Models, fields, ids, uniques, indexes, enums and lookups, as read from the real datamodel."""

from __future__ import annotations

import dataclasses

import pytest
from prisma_infra.errors import UnknownFieldError, UnknownModelError, ValidationError
from prisma_infra.schema import FieldDefault, Schema


def test_model_lookup_is_case_insensitive(blog: Schema) -> None:
    assert blog.model("user") is blog.model("USER") is blog.model("User")
    assert blog.model(blog.model("post")).name == "Post"
    assert blog.has_model("tag") and not blog.has_model("tags")
    assert blog.get_model("nope") is None


def test_unknown_model_names_the_closest_match(blog: Schema) -> None:
    with pytest.raises(UnknownModelError) as err:
        blog.model("usr")
    assert "'usr'" in str(err.value)
    assert "Did you mean 'User'?" in str(err.value)
    assert err.value.suggestion == "User"


def test_unknown_model_without_a_close_match(blog: Schema) -> None:
    with pytest.raises(UnknownModelError) as err:
        blog.model("Invoice")
    assert "Did you mean" not in str(err.value)


def test_unknown_field_names_model_and_closest_match(blog: Schema) -> None:
    with pytest.raises(UnknownFieldError) as err:
        blog.model("user").field("emial")
    assert "'emial'" in str(err.value) and "'User'" in str(err.value)
    assert "Did you mean 'email'?" in str(err.value)
    assert (err.value.model, err.value.field, err.value.suggestion) == ("User", "emial", "email")


def test_enum_lookup(blog: Schema, mapped: Schema) -> None:
    assert blog.enum("role").value_names == ("USER", "EDITOR", "ADMIN")
    assert blog.enum("Status").name == "Status"
    level = mapped.enum("Level")
    assert level.db_name == "employee_level"
    assert [(v.name, v.db_name) for v in level.values] == [("JUNIOR", "junior"), ("SENIOR", "senior")]
    with pytest.raises(ValidationError, match="Did you mean 'Role'"):
        blog.enum("Rol")


def test_scalar_field_attributes(blog: Schema) -> None:
    user = blog.model("User")
    email = user.field("email")
    assert (email.kind, email.type, email.is_unique, email.is_required, email.is_list) == (
        "scalar",
        "String",
        True,
        True,
        False,
    )
    assert email.documentation == "Contact address; personal data."
    assert user.documentation == "A person who writes posts."
    assert user.field("name").is_required is False
    assert user.field("nicknames").is_list
    assert user.field("role").kind == "enum" and user.field("role").is_enum
    assert user.field("updatedAt").is_updated_at and not user.field("updatedAt").has_default
    assert user.field("karma").type == "BigInt"
    assert user.field("avatar").type == "Bytes"
    assert user.field("settings").type == "Json"
    assert [f.name for f in user.fields][:3] == ["id", "email", "name"]  # schema order kept


def test_defaults(blog: Schema) -> None:
    user, post, profile = blog.model("User"), blog.model("Post"), blog.model("Profile")
    assert user.field("id").default == FieldDefault(function="autoincrement")
    assert user.field("createdAt").default == FieldDefault(function="now")
    assert profile.field("id").default == FieldDefault(function="uuid", args=(4,))
    assert post.field("id").default == FieldDefault(function="cuid", args=(1,))
    assert user.field("role").default == FieldDefault(value="USER")
    assert user.field("karma").default == FieldDefault(value="0")  # Prisma gives BigInt defaults as strings
    assert post.field("metadata").default == FieldDefault(value="{}")
    assert post.field("published").default == FieldDefault(value=False)
    assert user.field("email").default is None and not user.field("email").has_default
    assert user.field("id").default is not None and user.field("id").default.is_function


def test_native_types(blog: Schema, shop: Schema) -> None:
    assert blog.model("Post").field("title").native_type == ("VarChar", ("200",))
    assert blog.model("Post").field("price").native_type == ("Decimal", ("10", "2"))
    assert blog.model("Profile").field("bio").native_type == ("Text", ())
    assert shop.model("Order").field("id").native_type == ("UnsignedBigInt", ())
    assert blog.model("User").field("email").native_type is None


def test_scalar_and_relation_fields(blog: Schema) -> None:
    post = blog.model("Post")
    assert [f.name for f in post.relation_fields] == ["author", "comments", "tags"]
    assert "authorId" in [f.name for f in post.scalar_fields]
    assert all(f.is_relation for f in post.relation_fields)
    assert post.field("authorId").is_read_only  # Prisma marks foreign keys read-only


def test_single_ids_and_uniques(blog: Schema) -> None:
    user = blog.model("User")
    assert user.id_fields == ("id",)
    assert user.primary_key is not None and user.primary_key.key == "id" and not user.primary_key.is_compound
    keys = {u.key: u.fields for u in user.unique_constraints}
    assert keys == {"email": ("email",), "email_tenantId": ("email", "tenantId")}
    assert user.unique_keys == {"id": ("id",), "email": ("email",), "email_tenantId": ("email", "tenantId")}


def test_named_compound_unique(blog: Schema) -> None:
    post = blog.model("Post")
    (compound,) = [u for u in post.unique_constraints if u.is_compound]
    assert (compound.key, compound.name, compound.fields) == ("author_title", "author_title", ("authorId", "title"))


def test_compound_ids(mapped: Schema, shop: Schema) -> None:
    member = mapped.model("ProjectMember")
    assert member.id_fields == ("employeeId", "projectCode")
    assert member.primary_key is not None and member.primary_key.key == "employeeId_projectCode"
    assert member.primary_key.is_id and member.primary_key.is_compound
    region = mapped.model("Region")
    assert region.primary_key is not None
    assert (region.primary_key.key, region.primary_key.name) == ("regionKey", "regionKey")
    assert shop.model("OrderItem").unique_keys == {"orderId_productId": ("orderId", "productId")}


def test_map_names(mapped: Schema) -> None:
    employee = mapped.model("employee")
    assert (employee.db_name, employee.table_name) == ("employees", "employees")
    assert employee.field("firstName").db_name == "first_name"
    assert employee.field("firstName").column_name == "first_name"
    assert employee.field("email").db_name is None and employee.field("email").column_name == "email"
    assert mapped.model("Region").table_name == "Region"
    email_unique = next(u for u in employee.unique_constraints if u.key == "email")
    assert email_unique.db_name == "employee_email_key"
    assert mapped.model("ProjectMember").table_name == "project_members"


def test_indexes(blog: Schema, mapped: Schema) -> None:
    user = blog.model("User")
    normal = [i for i in user.indexes if i.type == "normal"]
    assert [i.fields for i in normal] == [("tenantId", "createdAt")]
    assert {i.type for i in user.indexes} == {"id", "unique", "normal"}
    (named,) = [i for i in mapped.model("Employee").indexes if i.type == "normal"]
    assert (named.fields, named.db_name) == (("lastName",), "employee_last_name_idx")


def test_everything_is_immutable(blog: Schema) -> None:
    field = blog.model("User").field("email")
    with pytest.raises(dataclasses.FrozenInstanceError):
        field.name = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        blog.model("User").name = "x"  # type: ignore[misc]
    assert hash(field) == hash(blog.model("User").field("email"))
