"""The read side of policies on the memory double: restricted fields refused or dropped, relation filters narrowed.

What reaches the engine is read from ``engine.calls``; the same attacks run on
real SQLite and PostgreSQL in ``tests/policies/test_read_paths_it.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.context import acting_as
from prisma_infra.errors import ConfigurationError, PolicyDeniedError, ValidationError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action
from prisma_infra.policies import AccessDeniedError, FieldReadDeniedError, merge_where, parse_policies
from prisma_infra.policies.reads import MAX_DEPTH

from core.tests.policies.policy_doubles import PolicyEngineDouble

BOB = {"id": 2, "roles": ["AUTHOR"], "tenant_id": "a"}
ADMIN = {"id": 1, "roles": ["ADMIN"], "tenant_id": "a"}
TENANT = {"tenantId": "a"}


async def _infra(build: Any, *, on_query: str = "deny") -> Infrastructure:
    infra: Infrastructure = await build()
    (
        infra.define_policy("User", "users")
        .allow("read", where={"tenantId": "{actor.tenant_id}"}, name="tenant")
        .allow("all", roles="ADMIN", name="admins")
        .hide("email", except_roles="ADMIN", name="no-email", on_query=on_query)  # type: ignore[arg-type]
        .mask("name", except_roles="ADMIN", unless={"id": "{actor.id}"}, name="names")
    )
    infra.define_policy("Post", "posts").allow("read", name="everyone").mask("views", except_roles="ADMIN", name="v")
    return infra


def _capture(infra: Infrastructure) -> None:
    """Answer reads without evaluating them (the double knows no relations): only what is sent matters."""
    engine = infra.engine
    assert isinstance(engine, PolicyEngineDouble)
    engine.responses[Action.FIND_MANY] = lambda op: []
    engine.responses[Action.AGGREGATE] = lambda op: {}


def _sent(infra: Infrastructure) -> dict[str, Any]:
    engine = infra.engine
    assert isinstance(engine, PolicyEngineDouble)
    return dict(engine.calls[-1].args)


async def _refused(infra: Infrastructure, model: str, action: str, args: dict[str, Any]) -> FieldReadDeniedError:
    with acting_as(BOB), pytest.raises(FieldReadDeniedError) as denied:
        await infra.call(model, action, args)
    return denied.value


@pytest.mark.parametrize(
    ("action", "args", "field"),
    [
        ("findMany", {"where": {"email": {"startsWith": "a"}}}, "email"),  # the prefix oracle
        ("findMany", {"where": {"OR": [{"id": 9}, {"NOT": {"email": "x"}}]}}, "email"),
        ("findUnique", {"where": {"email": "ann@a.io"}}, "email"),
        ("findMany", {"where": {"email_tenantId": {"email": "ann@a.io", "tenantId": "a"}}}, "email"),
        ("findMany", {"orderBy": {"email": "asc"}}, "email"),
        ("findMany", {"orderBy": [{"id": "asc"}, {"name": {"sort": "desc", "nulls": "last"}}]}, "name"),
        ("findMany", {"orderBy": {"_relevance": {"fields": ["email"], "search": "a", "sort": "asc"}}}, "email"),
        ("findMany", {"distinct": ["email"]}, "email"),
        ("findMany", {"distinct": "name"}, "name"),
        ("findMany", {"cursor": {"email": "ann@a.io"}, "take": 1}, "email"),
        ("count", {"where": {"name": None}}, "name"),
        ("count", {"select": {"_all": True, "email": True}}, "email"),
        ("aggregate", {"_max": {"email": True}}, "email"),
        ("aggregate", {"_count": {"name": True}}, "name"),
        ("groupBy", {"by": ["email"]}, "email"),
        ("groupBy", {"by": ["tenantId"], "_min": {"name": True}}, "name"),
        ("groupBy", {"by": ["tenantId"], "having": {"email": {"_count": {"gt": 1}}}}, "email"),
        ("groupBy", {"by": ["tenantId"], "orderBy": {"_max": {"email": "asc"}}}, "email"),
        ("updateMany", {"where": {"email": {"startsWith": "a"}}, "data": {"karma": 1}}, "email"),
        ("deleteMany", {"where": {"name": {"contains": "o"}}}, "name"),
    ],
)
async def test_a_restricted_field_is_refused_by_name(build: Any, action: str, args: dict[str, Any], field: str) -> None:
    infra = await _infra(build)
    infra.define_policy("User", "writes").allow(["update", "delete"], name="w")
    before = len(infra.engine.calls)  # type: ignore[attr-defined]
    denied = await _refused(infra, "User", action, args)
    assert (denied.field, denied.model, denied.action) == (field, "User", action)
    assert denied.policy == "users" and denied.rule == ("no-email" if field == "email" else "names")
    assert isinstance(denied, PolicyDeniedError)
    assert "@a.io" not in str(denied) and "startsWith" not in str(denied)  # names the field, never a value
    assert len(infra.engine.calls) == before  # type: ignore[attr-defined]  # never computed on


async def test_unless_does_not_lift_the_restriction_in_queries(build: Any) -> None:
    """Bob may read his own name, but a filter on names would also test everyone else's: refused."""
    infra = await _infra(build)
    with acting_as(BOB):
        own = await infra.call("User", "findUnique", {"where": {"id": 2}})
        assert own["name"] == "Bob"
    denied = await _refused(infra, "User", "findMany", {"where": {"id": 2, "name": "Bob"}})
    assert denied.rule == "names"


async def test_relation_filters_refuse_restricted_fields_of_the_related_model(build: Any) -> None:
    infra = await _infra(build)
    for where in (
        {"author": {"is": {"email": {"startsWith": "a"}}}},
        {"author": {"email": {"startsWith": "a"}}},
        {"comments": {"some": {"author": {"is": {"name": "x"}}}}},  # depth 2
        {"AND": [{"comments": {"every": {"post": {"views": {"gt": 3}}}}}]},
    ):
        denied = await _refused(infra, "Post", "findMany", {"where": where})
        assert denied.model in ("User", "Post") and denied.field in ("email", "name", "views")


async def test_relation_filters_get_the_related_row_filter_inside(build: Any) -> None:
    infra = await _infra(build)
    _capture(infra)
    with acting_as(BOB):
        await infra.call("Post", "findMany", {"where": {"author": {"is": {"role": "ADMIN"}}}})
        assert _sent(infra)["where"] == {"author": {"is": {"AND": [{"role": "ADMIN"}, TENANT]}}}
        await infra.call("Post", "findMany", {"where": {"author": {"role": "ADMIN"}}})
        assert _sent(infra)["where"] == {"author": {"is": {"AND": [{"role": "ADMIN"}, TENANT]}}}
        await infra.call("Post", "findMany", {"where": {"author": {"isNot": {"role": "ADMIN"}}}})
        assert _sent(infra)["where"] == {"author": {"isNot": {"AND": [{"role": "ADMIN"}, TENANT]}}}
        await infra.call("Comment", "findMany", {"where": {"author": None}})
        assert _sent(infra)["where"] == {"author": {"isNot": TENANT}}  # no author the actor may read
        await infra.call("Comment", "findMany", {"where": {"author": {"isNot": None}}})
        assert _sent(infra)["where"] == {"author": {"is": TENANT}}
        await infra.call("Comment", "findMany", {"where": {"post": {"author": {"id": 1}}}})
        assert _sent(infra)["where"] == {"post": {"author": {"is": {"AND": [{"id": 1}, TENANT]}}}}
        await infra.call("User", "findMany", {"where": {"posts": {"some": {}, "none": {"title": "x"}}}})
        assert _sent(infra)["where"] == {
            "posts": {"some": {}, "none": {"title": "x"}},  # Post has no row filter
            "AND": [TENANT],
        }
        await infra.call("Post", "findMany", {"where": {"comments": {"some": {"author": {"is": {"id": 3}}}}}})
        assert _sent(infra)["where"] == {"comments": {"some": {"author": {"is": {"AND": [{"id": 3}, TENANT]}}}}}
        await infra.call("Tag", "findMany", {"where": {"posts": {"every": {"author": {"id": 3}}}}})
        inner = {"author": {"is": {"AND": [{"id": 3}, TENANT]}}}
        assert _sent(infra)["where"] == {"posts": {"every": inner}}


async def test_to_many_filters_count_readable_rows_only(build: Any) -> None:
    infra = await _infra(build)
    _capture(infra)
    with acting_as(BOB):
        await infra.call("Post", "findMany", {"where": {"comments": {"some": {"text": "x"}}}})
        assert _sent(infra)["where"] == {"comments": {"some": {"text": "x"}}}  # Comment: no row filter
    infra.define_policy("Comment", "comments").allow("read", where={"authorId": "{actor.id}"}, name="own")
    own = {"authorId": 2}
    with acting_as(BOB):
        await infra.call(
            "Post",
            "findMany",
            {"where": {"comments": {"some": {"text": "x"}, "every": {"text": "y"}, "none": {"text": "z"}}}},
        )
        assert _sent(infra)["where"] == {
            "comments": {
                "some": {"AND": [{"text": "x"}, own]},
                "every": {"OR": [{"NOT": own}, {"text": "y"}]},
                "none": {"AND": [{"text": "z"}, own]},
            }
        }
        await infra.call("Post", "findMany", {"where": {"comments": {"some": {}}}})
        assert _sent(infra)["where"] == {"comments": {"some": own}}
    infra.define_policy("Comment", "comments").deny("read", name="nobody")
    with acting_as(BOB):
        await infra.call("Post", "findMany", {"where": {"comments": {"some": {"text": "x"}}}})
        assert _sent(infra)["where"] == {"comments": {"some": {"AND": [{"text": "x"}, {"OR": []}]}}}


async def test_the_policy_row_filters_are_trusted(build: Any) -> None:
    """A rule's own where may read a restricted field: it is configuration, not the caller's input."""
    infra: Infrastructure = await build()
    infra.define_policy("User", "u").allow("read", where={"email": {"endsWith": "@a.io"}}).hide("email")
    with acting_as(BOB):
        found = await infra.call("User", "findMany", {"orderBy": {"id": "asc"}})
    assert [u["id"] for u in found] == [1, 2] and all("email" not in u for u in found)


async def test_ordering_through_a_filtered_relation_is_refused(build: Any) -> None:
    infra = await _infra(build)
    _capture(infra)
    with acting_as(BOB):
        for order in ({"author": {"role": "asc"}}, [{"comments": {"_count": "desc"}}]):
            infra.define_policy("Comment", "c").allow("read", where={"authorId": "{actor.id}"})
            with pytest.raises(AccessDeniedError) as denied:
                await infra.call("Post", "findMany", {"orderBy": order})
            assert denied.value.rule == "relation-order" and denied.value.model == "Post"
        await infra.call("User", "findMany", {"orderBy": {"posts": {"_count": "desc"}}})  # Post: no row filter
        assert _sent(infra)["orderBy"] == {"posts": {"_count": "desc"}}


async def test_ordering_by_a_restricted_field_of_a_relation_names_the_field(build: Any) -> None:
    infra = await _infra(build)
    _capture(infra)
    denied = await _refused(infra, "Post", "findMany", {"orderBy": {"author": {"email": "asc"}}})
    assert (denied.field, denied.model, denied.rule) == ("email", "User", "no-email")


async def test_a_cursor_on_an_unreadable_row_finds_nothing(build: Any) -> None:
    """User 3 is of tenant b: a cursor on it must find what a cursor on a missing row finds."""
    infra = await _infra(build)
    engine = infra.engine
    assert isinstance(engine, PolicyEngineDouble)
    with acting_as(BOB):
        for cursor, where in ((3, {"OR": []}), (404, {"OR": []}), (2, merge_where(None, TENANT))):
            await infra.call("User", "findMany", {"cursor": {"id": cursor}, "orderBy": {"id": "asc"}})
            lookup, read = engine.calls[-2:]
            assert lookup.action is Action.FIND_FIRST and lookup.args["where"] == merge_where({"id": cursor}, TENANT)
            assert read.args["where"] == where and read.args["cursor"] == {"id": cursor}
        calls = len(engine.calls)
        await infra.call("Post", "findMany", {"cursor": {"id": "p3"}})  # Post: no row filter, no look-up
        assert len(engine.calls) == calls + 1


async def test_on_query_drop_removes_the_part_silently(build: Any) -> None:
    infra = await _infra(build, on_query="drop")
    _capture(infra)
    with acting_as(BOB):
        await infra.call(
            "User",
            "findMany",
            {
                "where": {"email": {"startsWith": "a"}, "id": {"gt": 0}},
                "orderBy": [{"email": "asc"}, {"id": "desc"}],
                "distinct": ["email"],
                "cursor": {"email": "x"},
            },
        )
        assert _sent(infra) == {"where": {"id": {"gt": 0}, "AND": [TENANT]}, "orderBy": [{"id": "desc"}]}
        await infra.call("User", "aggregate", {"_max": {"email": True}, "_count": {"_all": True, "email": True}})
        assert _sent(infra) == {"_count": {"_all": True}, "where": {"AND": [TENANT]}}
        with pytest.raises(FieldReadDeniedError):  # group keys come back in every row: always refused
            await infra.call("User", "groupBy", {"by": ["email"]})


async def test_nested_selections_are_checked_and_scoped(build: Any) -> None:
    infra = await _infra(build)
    _capture(infra)
    with acting_as(BOB):
        await infra.call("Post", "findMany", {"include": ["author", "comments"]})
        assert _sent(infra)["include"] == {"author": True, "comments": True}
        await infra.call(
            "Post", "findMany", {"include": {"author": {"include": {"posts": {"where": {"title": "t"}}}}}}
        )
        assert _sent(infra)["include"] == {"author": {"include": {"posts": {"where": {"title": "t"}}}}}
        nested = {"author": {"include": {"posts": {"orderBy": {"views": "asc"}}}}}
        denied = await _refused(infra, "Post", "findMany", {"include": nested})
        assert (denied.model, denied.field) == ("Post", "views")
        denied = await _refused(
            infra, "Tag", "findMany", {"include": {"posts": {"where": {"author": {"is": {"email": "x"}}}}}}
        )
        assert (denied.model, denied.field) == ("User", "email")
        await infra.call("Comment", "findMany", {"select": {"post": {"select": {"author": True}}}})
        await infra.call("Tag", "findMany", {"select": {"_count": {"select": {"posts": {"where": {"id": "p1"}}}}}})
        assert _sent(infra)["select"] == {"_count": {"select": {"posts": {"where": {"id": "p1"}}}}}
        await infra.call("Post", "findMany", {"select": {"id": True, "views": True}})  # selecting is fine: masked
        assert infra.engine.calls[-1].args["select"] == {"id": True, "views": True}  # type: ignore[attr-defined]


async def test_list_form_include_gets_the_to_many_row_filter(build: Any) -> None:
    infra = await _infra(build)
    _capture(infra)
    with acting_as(BOB):
        await infra.call("Post", "findMany", {"include": ["comments"]})
        assert _sent(infra)["include"] == {"comments": True}
        infra.define_policy("Comment", "c").allow("read", where={"authorId": "{actor.id}"})
        await infra.call("Post", "findMany", {"include": ["comments"]})
        assert _sent(infra)["include"] == {"comments": {"where": {"AND": [{"authorId": 2}]}}}


async def test_admins_and_bypass_query_everything(build: Any) -> None:
    infra = await _infra(build)
    with acting_as(ADMIN):
        await infra.call("User", "findMany", {"where": {"email": {"startsWith": "a"}}, "orderBy": {"name": "asc"}})
        assert _sent(infra) == {"where": {"email": {"startsWith": "a"}}, "orderBy": {"name": "asc"}}
    with infra.policies.bypass():
        assert await infra.call("User", "count", {"where": {"email": {"startsWith": "a"}}}) == 1


async def test_deep_nesting_is_a_validation_error(build: Any) -> None:
    infra = await _infra(build)
    where: dict[str, Any] = {"id": 1}
    for _ in range(MAX_DEPTH + 5):
        where = {"NOT": where}
    with acting_as(BOB), pytest.raises(ValidationError, match="deeper than"):
        await infra.call("User", "findMany", {"where": where})


def test_on_query_is_validated_and_defaults_to_deny() -> None:
    spec = parse_policies("User", [{"name": "p", "fields": [{"name": "f", "fields": ["email"], "read": "hide"}]}])
    assert spec[0].fields[0].on_query == "deny"
    with pytest.raises(ConfigurationError, match="on_query"):
        parse_policies("User", [{"name": "p", "fields": [{"name": "f", "fields": ["email"], "on_query": "skip"}]}])


async def test_masked_aggregates_left_in_a_result_are_masked(build: Any) -> None:
    infra = await _infra(build)
    engine = infra.engine
    assert isinstance(engine, PolicyEngineDouble)
    engine.responses[Action.AGGREGATE] = lambda op: {"_count": {"_all": 2}, "_sum": {"views": 15}}
    with acting_as(BOB):
        assert await infra.call("Post", "aggregate", {"_count": {"_all": True}}) == {
            "_count": {"_all": 2},
            "_sum": {"views": None},
        }
