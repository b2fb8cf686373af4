"""`prisma_infra.nested_writes`: the one reading of nested write arguments (policies and audit), on the blog schema."""

from __future__ import annotations

from prisma_infra.nested_writes import data_under, named_rows, to_one_update, walk
from prisma_infra.schema import Schema


def test_walk_gives_every_nested_operation_parents_first_in_argument_order(blog: Schema) -> None:
    user = blog.model("User")
    data = {
        "name": "A",
        "profile": {"update": {"bio": "b"}},
        "posts": {
            "create": [{"title": "t", "tags": {"connectOrCreate": {"where": {"name": "x"}, "create": {"name": "x"}}}}],
            "update": {"where": {"id": 1}, "data": {"comments": {"deleteMany": {}}}},
            "set": [{"id": 2}],
        },
    }
    found = [(w.path, w.model.name, w.op, w.target.name) for w in walk(blog, user, data)]
    assert found == [
        (("profile",), "User", "update", "Profile"),
        (("posts",), "User", "create", "Post"),
        (("posts", "tags"), "Post", "connectOrCreate", "Tag"),
        (("posts",), "User", "update", "Post"),
        (("posts", "comments"), "Post", "deleteMany", "Comment"),
        (("posts",), "User", "set", "Post"),
    ]
    assert list(walk(blog, user, {"name": "A", "posts": None})) == []  # scalars and non-operations are not writes


def test_named_rows_and_data_under(blog: Schema) -> None:
    user, post = blog.model("User"), blog.model("Post")
    posts, profile = user.field("posts"), user.field("profile")
    upsert = [{"where": {"id": 1}, "create": {"title": "c"}, "update": {"title": "u"}}]
    assert named_rows(posts, "upsert", upsert) == [{"id": 1}]
    assert data_under(posts, post, "upsert", upsert) == [{"title": "c"}, {"title": "u"}]
    assert named_rows(posts, "connect", {"id": 3}) == [{"id": 3}]
    assert named_rows(posts, "delete", [{"id": 4}]) == [{"id": 4}]
    assert named_rows(profile, "delete", True) == []  # a to-one names no row: it is the one there
    assert named_rows(posts, "create", {"title": "t"}) == []
    assert data_under(posts, post, "createMany", {"data": [{"title": "a"}, {"title": "b"}]}) == [
        {"title": "a"},
        {"title": "b"},
    ]
    assert to_one_update(blog.model("Profile"), {"where": {"bio": "x"}, "data": {"bio": "y"}}) == (
        {"bio": "x"},
        {"bio": "y"},
    )
    assert to_one_update(blog.model("Profile"), {"bio": "y"}) == (None, {"bio": "y"})
