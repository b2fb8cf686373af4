"""Repositories on the memory double: Prisma arguments from Python, through the pipeline."""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.data.pagination import CursorPage, Page
from prisma_infra.errors import RecordNotFoundError, UnknownFieldError, UnknownModelError, ValidationError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import Middleware
from prisma_infra.policies.rules import FieldReadDeniedError

from core.tests.doubles import engine_of, memory_infrastructure


async def seed_users(infra: Infrastructure, n: int = 5) -> list[dict[str, Any]]:
    users = infra.repository("user")
    return [await users.create({"email": f"u{i}@x.io", "name": f"User {i}"}) for i in range(1, n + 1)]


# -- the factory ------------------------------------------------------------------------


async def test_repository_is_found_case_insensitively_and_cached(infra: Infrastructure) -> None:
    assert infra.repository("user") is infra.repository("USER") is infra.repository_factory.create("User")
    assert infra.repository("post").name == "Post"


async def test_unknown_model_names_the_closest_match(infra: Infrastructure) -> None:
    with pytest.raises(UnknownModelError, match="Did you mean 'User'"):
        infra.repository("usr")


async def test_model_info_is_precomputed(infra: Infrastructure) -> None:
    info = infra.repository("user").info
    assert info.key_fields == ("id",)
    assert info.insensitive_mode is True
    assert "email" in info.string_fields and "id" not in info.string_fields
    # generated string ids and foreign keys are not searched by default
    assert infra.repository("post").info.string_fields == ("title", "body")
    assert "userId" not in infra.repository("profile").info.string_fields


# -- every call builds an Operation and runs through the pipeline --------------------------


class Recorder(Middleware):
    name = "recorder"
    seen: list[Operation] = []

    def __init__(self, infrastructure: Infrastructure) -> None:
        pass

    async def before(self, operation: Operation) -> Operation | None:
        Recorder.seen.append(operation)
        return None


class RecorderPlugin:
    name = "recorder-plugin"

    @hookimpl
    def register_middleware(self, register: Any) -> None:
        register("recorder", Recorder)


async def test_calls_run_through_the_pipeline_with_the_ambient_context() -> None:
    Recorder.seen = []
    infra = memory_infrastructure()
    infra._extra_plugins.append(RecorderPlugin())
    async with infra:
        with infra.acting_as({"id": 7, "tenant_id": "acme"}, request_id="r-1"):
            await infra.repository("user").count()
    (op,) = Recorder.seen
    assert op.model == "User" and op.action is Action.COUNT
    assert op.context.actor == {"id": 7, "tenant_id": "acme"}
    assert op.context.tenant == "acme" and op.context.request_id == "r-1"
    assert op.context.deadline is not None and op.context.transaction is None


async def test_arguments_are_validated_by_the_pipeline(infra: Infrastructure) -> None:
    with pytest.raises(UnknownFieldError, match="Did you mean 'email'"):
        await infra.repository("user").find_many({"emial": "x"})
    assert engine_of(infra).calls == []


# -- CRUD --------------------------------------------------------------------------------


async def test_create_find_update_delete(infra: Infrastructure) -> None:
    users = infra.repository("user")
    ann = await users.create({"email": "ann@x.io", "name": "Ann"})
    assert await users.find_unique({"id": ann["id"]}) == ann
    assert await users.find_unique(ann["id"]) == ann  # a bare key value is the primary key
    assert await users.find_unique({"email": "nobody@x.io"}) is None
    assert await users.find_first({"name": "Ann"}) == ann
    updated = await users.update(ann["id"], {"name": "Anna"})
    assert updated["name"] == "Anna"
    assert await users.delete({"email": "ann@x.io"}) == updated
    assert await users.count() == 0


async def test_find_unique_or_raise_names_model_and_where(infra: Infrastructure) -> None:
    with pytest.raises(RecordNotFoundError, match=r"No User record found by id$") as info:
        await infra.repository("user").find_unique_or_raise(42)
    assert info.value.model == "User" and info.value.where == {"id": 42}
    assert "42" not in str(info.value)  # the key's value stays out of the message (it may be an e-mail)


async def test_many_writes_return_prisma_counts(infra: Infrastructure) -> None:
    users = infra.repository("user")
    assert await users.create_many([{"email": "a@x.io"}, {"email": "b@x.io"}]) == {"count": 2}
    assert await users.update_many({"email": {"in": ["a@x.io"]}}, {"name": "A"}) == {"count": 1}
    assert await users.delete_many({"name": "A"}) == {"count": 1}
    assert await users.count() == 1
    assert await users.delete_many() == {"count": 1}


async def test_upsert_creates_then_updates(infra: Infrastructure) -> None:
    users = infra.repository("user")
    first = await users.upsert({"email": "u@x.io"}, create={"email": "u@x.io", "name": "new"}, update={"name": "upd"})
    second = await users.upsert({"email": "u@x.io"}, create={"email": "u@x.io", "name": "new"}, update={"name": "upd"})
    assert first["name"] == "new" and second["name"] == "upd" and first["id"] == second["id"]


async def test_exists_selects_the_key_only(infra: Infrastructure) -> None:
    users = infra.repository("user")
    assert not await users.exists({"email": "u1@x.io"})
    await seed_users(infra, 1)
    assert await users.exists({"email": "u1@x.io"})
    last = engine_of(infra).calls[-1]
    assert last.action is Action.FIND_FIRST and last.args["select"] == {"id": True}


async def test_snake_case_aliases_and_shorthands_compile_to_prisma_args(infra: Infrastructure) -> None:
    await seed_users(infra, 3)
    users = infra.repository("user")
    rows = await users.find_many(order_by="-email", take=2, skip=0, select=["id", "email"])
    assert [r["email"] for r in rows] == ["u3@x.io", "u2@x.io"]
    call = engine_of(infra).calls[-1]
    assert call.args == {"orderBy": [{"email": "desc"}], "take": 2, "skip": 0, "select": {"id": True, "email": True}}


async def test_include_list_becomes_a_mapping_with_nested_paths(infra: Infrastructure) -> None:
    engine = engine_of(infra)
    engine.responses[Action.FIND_MANY] = lambda op: []
    await infra.repository("user").find_many(include=["profile", "posts.tags", "posts.comments"])
    assert engine.calls[-1].args["include"] == {
        "profile": True,
        "posts": {"include": {"tags": True, "comments": True}},
    }


async def test_relation_filters_pass_through_in_prisma_shape(infra: Infrastructure) -> None:
    engine = engine_of(infra)
    engine.responses[Action.FIND_MANY] = lambda op: []
    where = {
        "posts": {"some": {"published": True}, "none": {"status": "ARCHIVED"}},
        "profile": {"is": {"bio": {"contains": "x"}}},
        "comments": {"every": {"text": {"startsWith": "ok"}}},
    }
    await infra.repository("user").find_many(where, distinct="email", cursor={"id": 1})
    args = engine.calls[-1].args
    assert args["where"] == where and args["distinct"] == ["email"] and args["cursor"] == {"id": 1}


async def test_aggregate_and_group_by_compile_prisma_shapes(infra: Infrastructure) -> None:
    engine = engine_of(infra)
    engine.responses[Action.AGGREGATE] = lambda op: {"_count": {"_all": 3}, "_sum": {"views": 10}}
    engine.responses[Action.GROUP_BY] = lambda op: [{"status": "DRAFT", "_count": {"_all": 2}}]
    posts = infra.repository("post")
    result = await posts.aggregate({"published": True}, count={"_all": True}, sum=["views"], avg={"rating": True})
    assert result["_sum"] == {"views": 10}
    assert engine.calls[-1].args == {
        "where": {"published": True}, "_count": {"_all": True}, "_sum": {"views": True}, "_avg": {"rating": True},
    }
    groups = await posts.group_by("status", count={"_all": True}, having={"views": {"_sum": {"gt": 1}}},
                                  order_by={"status": "asc"})
    assert groups == [{"status": "DRAFT", "_count": {"_all": 2}}]
    assert engine.calls[-1].args == {
        "by": ["status"], "_count": {"_all": True}, "having": {"views": {"_sum": {"gt": 1}}},
        "orderBy": {"status": "asc"},
    }


async def test_create_many_skip_duplicates_alias(infra: Infrastructure) -> None:
    await infra.repository("tag").create_many([{"name": "a"}], skip_duplicates=True)
    assert engine_of(infra).calls[-1].args == {"data": [{"name": "a"}], "skipDuplicates": True}


async def test_batch_operations_can_be_built_without_running(infra: Infrastructure) -> None:
    op = infra.repository("user").op.update(where=3, data={"name": "x"})
    assert op.model == "User" and op.action is Action.UPDATE
    assert op.args == {"where": {"id": 3}, "data": {"name": "x"}}
    assert engine_of(infra).calls == []


# -- pagination --------------------------------------------------------------------------


async def test_offset_pagination_returns_a_page(infra: Infrastructure) -> None:
    await seed_users(infra, 25)
    page = await infra.repository("user").find_many(order_by="id", paginate={"page": 2, "limit": 10})
    assert isinstance(page, Page)
    assert [u["id"] for u in page.items] == list(range(11, 21))
    assert (page.total, page.page, page.limit, page.pages) == (25, 2, 10, 3)
    assert page.has_next and page.has_previous
    last = await infra.repository("user").find_many(paginate={"page": 3, "limit": 10})
    assert isinstance(last, Page) and len(last.items) == 5 and not last.has_next
    assert last.to_dict()["pages"] == 3


async def test_offset_pagination_rejects_bad_input(infra: Infrastructure) -> None:
    users = infra.repository("user")
    with pytest.raises(ValidationError, match="positive integer"):
        await users.find_many(paginate={"page": 0, "limit": 10})
    with pytest.raises(ValidationError, match="do not also pass take"):
        await users.find_many(take=3, paginate={"page": 1, "limit": 10})
    with pytest.raises(ValidationError, match="Unknown pagination"):
        await users.find_many(paginate={"pgae": 1})


async def test_empty_page(infra: Infrastructure) -> None:
    page = await infra.repository("user").find_many(paginate={"page": 1, "limit": 10})
    assert isinstance(page, Page)
    assert (page.items, page.total, page.pages, page.has_next, page.has_previous) == ([], 0, 0, False, False)


async def test_cursor_pagination_walks_every_record_once(infra: Infrastructure) -> None:
    await seed_users(infra, 25)
    users = infra.repository("user")
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = await users.find_many(cursor_paginate={"after": after, "limit": 10})
        assert isinstance(page, CursorPage)
        seen += [u["id"] for u in page.items]
        pages += 1
        if not page.has_next:
            break
        after = page.next_cursor
    assert seen == list(range(1, 26)) and pages == 3
    # keyset filter, key order, limit + 1 rows fetched
    args = engine_of(infra).calls[-1].args
    assert args == {"take": 11, "orderBy": [{"id": "asc"}], "where": {"id": {"gt": 20}}}


async def test_cursor_pagination_with_an_order_uses_prisma_cursor_and_a_tie_breaker(infra: Infrastructure) -> None:
    await seed_users(infra, 5)
    users = infra.repository("user")
    first = await users.find_many(order_by="-email", cursor_paginate={"limit": 2})
    assert isinstance(first, CursorPage) and [u["id"] for u in first.items] == [5, 4]
    second = await users.find_many(order_by="-email", cursor_paginate={"after": first.next_cursor, "limit": 2})
    assert isinstance(second, CursorPage) and [u["id"] for u in second.items] == [3, 2]
    assert engine_of(infra).calls[-1].args == {
        "orderBy": [{"email": "desc"}, {"id": "asc"}], "take": 3, "cursor": {"id": 4}, "skip": 1,
    }


async def test_cursor_pagination_keeps_the_key_in_a_selection(infra: Infrastructure) -> None:
    await seed_users(infra, 3)
    page = await infra.repository("user").find_many(select=["email"], cursor_paginate={"limit": 2})
    assert isinstance(page, CursorPage) and page.next_cursor == 2


# -- search ------------------------------------------------------------------------------


async def test_search_on_postgresql_uses_insensitive_mode(infra: Infrastructure) -> None:
    users = infra.repository("user")
    await users.create({"email": "ann@x.io", "name": "Ann SMITH"})
    await users.create({"email": "bob@x.io", "name": "Bob"})
    found = await users.search("smith ann", ["name"])
    assert [u["name"] for u in found] == ["Ann SMITH"]
    assert engine_of(infra).calls[-1].args["where"] == {"AND": [
        {"OR": [{"name": {"contains": "smith", "mode": "insensitive"}}]},
        {"OR": [{"name": {"contains": "ann", "mode": "insensitive"}}]},
    ]}


@pytest.mark.parametrize("provider", ["mysql", "sqlite"])
async def test_search_elsewhere_relies_on_collation_without_mode(provider: str) -> None:
    async with memory_infrastructure(provider=provider) as infra:
        users = infra.repository("user")
        assert users.search_where("Ann", ["name", "email"]) == {
            "OR": [{"name": {"contains": "Ann"}}, {"email": {"contains": "Ann"}}]
        }
        # non-ASCII words: the usual spellings are tried too (SQLite's LIKE folds ASCII only)
        assert users.search_where("émile", ["name"]) == {
            "OR": [{"name": {"contains": "émile"}}, {"name": {"contains": "ÉMILE"}}, {"name": {"contains": "Émile"}}]
        }


async def test_search_fields_default_to_settings_then_string_fields() -> None:
    async with memory_infrastructure(models={"User": {"searchable": ["name"]}}) as infra:
        where = infra.repository("user").search_where("x")
        assert where == {"OR": [{"name": {"contains": "x", "mode": "insensitive"}}]}
    async with memory_infrastructure() as infra:
        where = infra.repository("user").search_where("x")
        assert where is not None
        assert [next(iter(c)) for c in where["OR"]] == ["email", "name", "tenantId"]


async def test_default_search_fields_skip_fields_the_actor_cannot_read() -> None:
    async with memory_infrastructure() as infra:
        infra.define_policy("User", "users").allow("read").mask("email", except_roles="ADMIN", name="email")
        users = infra.repository("user")
        with infra.acting_as({"id": 1, "roles": ["READER"]}):
            where = users.search_where("x")
            assert where is not None and [next(iter(c)) for c in where["OR"]] == ["name", "tenantId"]
            assert await users.search("x") == []  # not refused
            with pytest.raises(FieldReadDeniedError):  # naming it is refused by the policies
                await users.search("x", ["email"])
        with infra.acting_as({"id": 2, "roles": ["ADMIN"]}):
            where = users.search_where("x")
            assert where is not None and [next(iter(c)) for c in where["OR"]] == ["email", "name", "tenantId"]


async def test_search_rejects_non_string_fields_and_paginates(infra: Infrastructure) -> None:
    users = infra.repository("user")
    with pytest.raises(ValidationError, match=r"User\.karma is not a String field"):
        await users.search("x", ["karma"])
    with pytest.raises(UnknownFieldError, match="Did you mean 'name'"):
        await users.search("x", ["nmae"])
    await seed_users(infra, 12)
    page = await users.search("USER", paginate={"page": 2, "limit": 5}, where={"id": {"gt": 1}})
    assert isinstance(page, Page) and page.total == 11 and len(page.items) == 5
    assert await users.search("   ") == await users.find_many()
