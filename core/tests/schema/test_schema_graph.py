"""Relations in both directions, and the models an operation reads or writes (cache tags)."""

from __future__ import annotations

import pytest
from prisma_infra.errors import UnknownModelError
from prisma_infra.operation import Action
from prisma_infra.schema import Schema


def test_one_to_one(blog: Schema) -> None:
    user_side = blog.model("User").field("profile").relation
    profile_side = blog.model("Profile").field("user").relation
    assert user_side is not None and profile_side is not None
    assert (user_side.cardinality, user_side.holds_foreign_key, user_side.opposite_field) == ("one", False, "user")
    assert (profile_side.holds_foreign_key, profile_side.fields, profile_side.references) == (
        True,
        ("userId",),
        ("id",),
    )
    assert user_side.foreign_key_model == profile_side.foreign_key_model == "Profile"
    assert user_side.fields == ("userId",)  # link fields are known from either side
    assert profile_side.on_delete == user_side.on_delete == "Cascade"
    assert profile_side.is_required and not user_side.is_required


def test_one_to_many(blog: Schema) -> None:
    posts = blog.model("User").field("posts").relation
    author = blog.model("Post").field("author").relation
    assert posts is not None and author is not None
    assert (posts.cardinality, posts.is_to_many, posts.to_model, posts.opposite_field) == (
        "many",
        True,
        "Post",
        "author",
    )
    assert (author.cardinality, author.to_model, author.name) == ("one", "User", "PostToUser")
    assert author.holds_foreign_key and not posts.holds_foreign_key
    assert not posts.is_implicit_many_to_many


def test_implicit_many_to_many(blog: Schema, notes: Schema) -> None:
    tags = blog.model("Post").field("tags").relation
    posts = blog.model("Tag").field("posts").relation
    assert tags is not None and posts is not None
    assert tags.is_implicit_many_to_many and posts.is_implicit_many_to_many
    assert tags.foreign_key_model is None and tags.fields == () and not tags.holds_foreign_key
    assert (tags.opposite_field, posts.opposite_field) == ("posts", "tags")
    assert tags.join_table == posts.join_table == "_PostToTag"
    assert blog.model("Post").field("author").relation.join_table is None  # type: ignore[union-attr]
    labels = notes.model("Note").field("labels").relation
    assert labels is not None and labels.is_implicit_many_to_many


def test_self_relation(mapped: Schema) -> None:
    manager = mapped.model("Employee").field("manager").relation
    reports = mapped.model("Employee").field("reports").relation
    assert manager is not None and reports is not None
    assert manager.is_self_relation and reports.is_self_relation
    assert manager.name == reports.name == "Management"
    assert (manager.cardinality, manager.holds_foreign_key, manager.fields) == ("one", True, ("managerId",))
    assert (reports.cardinality, reports.holds_foreign_key, reports.opposite_field) == ("many", False, "manager")
    assert manager.opposite_field == "reports"


def test_explicit_many_to_many_through_a_join_model(mapped: Schema) -> None:
    employee_side = mapped.model("Employee").field("memberships").relation
    join_side = mapped.model("ProjectMember").field("project").relation
    assert employee_side is not None and join_side is not None
    assert not employee_side.is_implicit_many_to_many
    assert employee_side.foreign_key_model == "ProjectMember"
    assert join_side.fields == ("projectCode",) and join_side.references == ("code",)


def test_compound_foreign_key(mapped: Schema) -> None:
    region = mapped.model("Office").field("region").relation
    assert region is not None
    assert region.fields == ("regionCountry", "regionCode") and region.references == ("country", "code")


def test_related_models(blog: Schema, mapped: Schema) -> None:
    assert blog.related_models("user") == {"Profile", "Post", "Comment"}
    assert blog.related_models("Tag") == {"Post"}
    assert mapped.related_models("Employee") == {"Employee", "ProjectMember"}


def test_dependents(blog: Schema, mapped: Schema, shop: Schema) -> None:
    assert blog.dependents("User") == {"Profile", "Post", "Comment"}
    assert blog.dependents("Post") == {"Comment", "Tag"}  # Tag shares the implicit join table
    assert blog.dependents("Comment") == frozenset()
    assert mapped.dependents("Employee") == {"Employee", "ProjectMember"}
    assert shop.dependents("Product") == {"OrderItem"}


def test_graph_functions_reject_unknown_models(blog: Schema) -> None:
    with pytest.raises(UnknownModelError, match="Did you mean 'Post'"):
        blog.models_touched("Pots", {})


def test_touched_plain_read(blog: Schema) -> None:
    assert blog.models_touched("user") == {"User"}
    assert blog.models_touched("user", {"where": {"email": "a"}, "select": {"id": True}}) == {"User"}


def test_touched_nested_include_and_select(blog: Schema) -> None:
    args = {"include": {"posts": {"include": {"tags": True}, "select": {"comments": {"select": {"author": True}}}}}}
    assert blog.models_touched("User", args) == {"User", "Post", "Tag", "Comment"}
    assert blog.models_touched("Post", {"select": {"title": True, "author": True}}) == {"Post", "User"}
    assert blog.models_touched("Post", {"include": {"author": False}}) == {"Post"}
    assert blog.models_touched("User", {"include": ["profile"]}) == {"User", "Profile"}


def test_touched_count(blog: Schema) -> None:
    assert blog.models_touched("User", {"include": {"_count": True}}) == {"User", "Post", "Comment"}
    args = {"select": {"_count": {"select": {"posts": {"where": {"tags": {"some": {"name": "x"}}}}}}}}
    assert blog.models_touched("User", args) == {"User", "Post", "Tag"}


def test_touched_relation_filters(blog: Schema) -> None:
    where = {"posts": {"some": {"comments": {"none": {"text": "spam"}}}}}
    assert blog.models_touched("User", {"where": where}) == {"User", "Post", "Comment"}
    assert blog.models_touched("Post", {"where": {"author": {"is": {"profile": {"isNot": None}}}}}) == {
        "Post",
        "User",
        "Profile",
    }
    assert blog.models_touched("Post", {"where": {"author": {"email": "x"}}}) == {"Post", "User"}  # shorthand
    assert blog.models_touched("Comment", {"where": {"author": None}}) == {"Comment", "User"}


def test_touched_logical_operators(blog: Schema) -> None:
    where = {"OR": [{"title": "a"}, {"tags": {"every": {"name": "x"}}}], "NOT": {"author": {"is": {"name": "b"}}}}
    assert blog.models_touched("Post", {"where": where}) == {"Post", "Tag", "User"}
    assert blog.models_touched("Post", {"where": {"AND": {"comments": {"some": {}}}}}) == {"Post", "Comment"}


def test_touched_nested_where_and_order(blog: Schema) -> None:
    args = {
        "include": {"posts": {"where": {"tags": {"some": {"name": "x"}}}}},
        "orderBy": [{"profile": {"bio": "asc"}}],
    }
    assert blog.models_touched("User", args) == {"User", "Post", "Tag", "Profile"}
    assert blog.models_touched("User", {"orderBy": {"posts": {"_count": "desc"}}}) == {"User", "Post"}


def test_touched_self_relation(mapped: Schema) -> None:
    args = {"include": {"reports": {"include": {"memberships": {"include": {"project": True}}}}}}
    assert mapped.models_touched("employee", args) == {"Employee", "ProjectMember", "Project"}


def test_written_by_nested_writes(blog: Schema) -> None:
    assert blog.models_written("User", Action.UPDATE, {"data": {"name": "x"}}) == {"User"}
    data = {"email": "a", "posts": {"create": [{"title": "t", "body": "b", "tags": {"connect": {"id": 1}}}]}}
    assert blog.models_written("User", "create", {"data": data}) == {"User", "Post", "Tag"}
    # connecting a to-one whose foreign key is on this side only changes this row
    assert blog.models_written("Post", "update", {"data": {"author": {"connect": {"id": 2}}}}) == {"Post"}
    upsert = {"create": {"email": "a", "profile": {"create": {}}}, "update": {"comments": {"deleteMany": {}}}}
    assert blog.models_written("User", "upsert", upsert) == {"User", "Profile", "Comment"}


def test_written_by_delete_cascades(blog: Schema, shop: Schema) -> None:
    # User -> Profile (Cascade), Post (Restrict: default for required), Comment.author (SetNull)
    assert blog.models_written("User", Action.DELETE, {"where": {"id": 1}}) == {"User", "Profile", "Comment"}
    # Post -> Comment (Cascade) and the Post<->Tag join table
    assert blog.models_written("Post", "deleteMany", {}) == {"Post", "Comment", "Tag"}
    assert shop.models_written("Order", "delete", {}) == {"Order", "OrderItem"}
