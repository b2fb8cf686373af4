"""INFER attacks: oracles on hidden/masked fields and on other tenants' rows.

A field the attacker may not read is refused by name (`FieldReadDeniedError`
naming the field and the rule) wherever it would be filtered, ordered,
grouped, aggregated or searched. A relation filter into another tenant's rows
sees only the related rows the attacker may read: a probe that is true for the
hidden data and one that is false give the same answer (while they differ for
the admin, so the probe is real).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from prisma_infra.infrastructure import Infrastructure

from tests.security.policy_set import ADMIN, ATTACKER
from tests.security.security_support import assert_field_refused, assert_no_secret, attempt, is_refusal

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

#: (test id, model, action, args, the field it must be refused on)
FIELD_ORACLES: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("where-startswith-hidden-card", "User", "findMany", {"where": {"cardNumber": {"startsWith": "4111"}}},
     "cardNumber"),
    ("where-equals-hidden-card", "User", "findFirst", {"where": {"id": 2, "cardNumber": "4111000022220002"}},
     "cardNumber"),
    ("where-not-null-hidden-card", "User", "count", {"where": {"cardNumber": {"not": None}}}, "cardNumber"),
    ("where-range-masked-salary", "User", "findMany", {"where": {"salary": {"gt": 515000}}}, "salary"),
    ("where-startswith-masked-email", "User", "findMany", {"where": {"email": {"startsWith": "bo"}}}, "email"),
    ("where-unique-masked-email", "User", "findUnique", {"where": {"email": "bob@acme.test"}}, "email"),
    ("where-in-or-branch", "User", "findMany", {"where": {"OR": [{"id": 99}, {"cardNumber": {"endsWith": "2"}}]}},
     "cardNumber"),
    ("where-not-branch", "User", "count", {"where": {"NOT": {"salary": {"lt": 515000}}}}, "salary"),
    ("where-hidden-post-secret", "Post", "findMany", {"where": {"secret": {"contains": "plan-y"}}}, "secret"),
    ("orderby-hidden-card", "User", "findMany", {"orderBy": {"cardNumber": "asc"}}, "cardNumber"),
    ("orderby-masked-salary", "User", "findMany", {"orderBy": [{"salary": "desc"}]}, "salary"),
    ("orderby-masked-email-first", "User", "findFirst", {"orderBy": {"email": "asc"}}, "email"),
    ("orderby-relation-hidden-field", "Post", "findMany", {"orderBy": {"author": {"cardNumber": "asc"}}},
     "cardNumber"),
    ("distinct-masked-email", "User", "findMany", {"distinct": ["email"]}, "email"),
    ("distinct-masked-salary", "User", "findMany", {"distinct": ["salary"], "select": {"id": True}}, "salary"),
    ("cursor-masked-email", "User", "findMany", {"cursor": {"email": "bob@acme.test"}, "take": 1}, "email"),
    ("relation-is-hidden-card-depth1", "Post", "findMany",
     {"where": {"author": {"is": {"cardNumber": {"startsWith": "4111"}}}}}, "cardNumber"),
    ("relation-shorthand-hidden-card-depth1", "Post", "count",
     {"where": {"author": {"cardNumber": {"startsWith": "4111"}}}}, "cardNumber"),
    ("relation-is-hidden-card-depth2", "Comment", "findMany",
     {"where": {"post": {"is": {"author": {"is": {"cardNumber": {"startsWith": "4"}}}}}}}, "cardNumber"),
    ("relation-some-hidden-secret", "User", "findMany", {"where": {"posts": {"some": {"secret": {"startsWith": "a"}}}}},
     "secret"),
    ("relation-every-masked-salary", "Tenant", "findMany",
     {"where": {"users": {"every": {"salary": {"gt": 1}}}}}, "salary"),
    ("relation-none-masked-email", "Comment", "count",
     {"where": {"author": {"isNot": {"email": {"startsWith": "al"}}}}}, "email"),
    ("include-where-hidden-secret", "User", "findMany",
     {"include": {"posts": {"where": {"secret": {"startsWith": "acme"}}}}}, "secret"),
    ("include-orderby-hidden-card", "Tenant", "findMany",
     {"include": {"users": {"orderBy": {"cardNumber": "asc"}}}}, "cardNumber"),
    ("count-select-where-hidden", "Tenant", "findMany",
     {"select": {"_count": {"select": {"users": {"where": {"cardNumber": {"startsWith": "4"}}}}}}}, "cardNumber"),
    ("aggregate-sum-masked-salary", "User", "aggregate", {"_sum": {"salary": True}}, "salary"),
    ("aggregate-avg-masked-salary", "User", "aggregate", {"_avg": {"salary": True}}, "salary"),
    ("aggregate-count-hidden-card", "User", "aggregate", {"_count": {"cardNumber": True}}, "cardNumber"),
    ("aggregate-min-masked-email", "User", "aggregate", {"_min": {"email": True}}, "email"),
    ("aggregate-max-hidden-card", "User", "aggregate", {"_max": {"cardNumber": True}}, "cardNumber"),
    ("aggregate-where-hidden", "User", "aggregate", {"_count": {"_all": True}, "where": {"salary": {"gt": 1}}},
     "salary"),
    ("groupby-key-hidden-card", "User", "groupBy", {"by": ["cardNumber"], "_count": {"_all": True}}, "cardNumber"),
    ("groupby-key-masked-email", "User", "groupBy", {"by": ["email"]}, "email"),
    ("groupby-sum-masked-salary", "User", "groupBy", {"by": ["role"], "_sum": {"salary": True}}, "salary"),
    ("groupby-having-masked-salary", "User", "groupBy",
     {"by": ["role"], "having": {"salary": {"_avg": {"gt": 515000}}}, "_count": {"_all": True}}, "salary"),
    ("groupby-orderby-masked-salary", "User", "groupBy",
     {"by": ["role"], "_count": {"_all": True}, "orderBy": {"_max": {"salary": "asc"}}}, "salary"),
    ("groupby-max-hidden-secret", "Post", "groupBy", {"by": ["tenantId"], "_max": {"secret": True}}, "secret"),
]


@pytest.mark.parametrize(("model", "action", "args", "field"), [c[1:] for c in FIELD_ORACLES],
                         ids=[c[0] for c in FIELD_ORACLES])
async def test_field_oracle_is_refused(infra: Infrastructure, model: str, action: str, args: dict[str, Any],
                                       field: str) -> None:
    with infra.acting_as(ATTACKER):
        outcome = await attempt(lambda: infra.call(model, action, args))
    assert_field_refused(outcome, field)
    with infra.acting_as(ADMIN):
        await infra.call(model, action, args)  # the control: the same query is valid for the admin


async def test_search_on_hidden_field_is_refused(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        by_card = await attempt(lambda: infra.repository("user").search("4111", fields=["cardNumber"]))
        by_secret = await attempt(lambda: infra.query("post").search("plan", fields=["secret"]).all())
    assert_field_refused(by_card, "cardNumber")
    assert_field_refused(by_secret, "secret")
    with infra.acting_as(ADMIN):
        assert len(await infra.repository("user").search("4111", fields=["cardNumber"])) == 2


async def test_query_builder_where_on_hidden_field_is_refused(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        outcome = await attempt(lambda: infra.query("user").where({"cardNumber": {"startsWith": "4"}}).count())
        ordered = await attempt(lambda: infra.query("user").order_by("-salary").first())
        distinct = await attempt(lambda: infra.query("user").distinct("email").all())
    assert_field_refused(outcome, "cardNumber")
    assert_field_refused(ordered, "salary")
    assert_field_refused(distinct, "email")


async def test_bulk_where_on_hidden_field_is_refused(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        updated = await attempt(
            lambda: infra.repository("user").bulk_update({"cardNumber": {"startsWith": "4111"}}, {"name": "x"}))
        deleted = await attempt(lambda: infra.repository("user").update_many({"salary": {"gt": 1}}, {"name": "y"}))
    for outcome, field in ((updated, "cardNumber"), (deleted, "salary")):
        kind, value = outcome
        if kind == "ok" and hasattr(value, "failures"):  # a BulkResult carries the failed batches
            assert value.failures, f"bulk update filtered on {field} and went through: {value!r}"
            outcome = ("error", value.failures[0].error)
        assert_field_refused(outcome, field)


Probe = Callable[[str], Awaitable[Any]]


async def assert_no_oracle(infra: Infrastructure, run: Probe, true_guess: str, false_guess: str) -> None:
    """The attacker cannot tell a true guess from a false one; the admin can (so the probe is real)."""
    with infra.acting_as(ADMIN):
        assert await run(true_guess) != await run(false_guess), "the control probe does not discriminate"
    with infra.acting_as(ATTACKER):
        hit = await attempt(lambda: run(true_guess))
        miss = await attempt(lambda: run(false_guess))
    if hit[0] == "error" or miss[0] == "error":
        assert hit[0] == miss[0] == "error" and is_refusal(hit[1]) and is_refusal(miss[1]), (hit, miss)
        return
    assert hit[1] == miss[1], f"the attacker tells {true_guess!r} from {false_guess!r}: {hit[1]!r} vs {miss[1]!r}"
    assert_no_secret(hit[1])


def post_ids(infra: Infrastructure, where: Callable[[str], dict[str, Any]]) -> Probe:
    async def run(guess: str) -> Any:
        rows = await infra.call("Post", "findMany", {"where": where(guess), "select": {"id": True},
                                                     "orderBy": {"id": "asc"}})
        return [r["id"] for r in rows]

    return run


RELATION_ORACLES: list[tuple[str, Callable[[str], dict[str, Any]], str, str]] = [
    ("some-depth1-globex-comment", lambda g: {"comments": {"some": {"body": {"startsWith": g}}}}, "globex spy", "zz"),
    ("none-depth1-globex-comment", lambda g: {"comments": {"none": {"body": {"startsWith": g}}}}, "globex spy", "zz"),
    ("every-depth1-globex-comment", lambda g: {"comments": {"every": {"body": {"not": {"startsWith": g}}}}},
     "globex spy", "zz"),
    ("some-depth2-globex-author", lambda g: {"comments": {"some": {"author": {"is": {"name": {"startsWith": g}}}}}},
     "Gi", "Zz"),
    ("some-depth2-shorthand", lambda g: {"comments": {"some": {"author": {"name": g}}}}, "Gina", "Nobody"),
    ("none-depth2-globex-author", lambda g: {"comments": {"none": {"author": {"is": {"name": g}}}}}, "Gina", "Nobody"),
    ("every-depth2-globex-author", lambda g: {"comments": {"every": {"author": {"is": {"name": {"not": g}}}}}},
     "Gina", "Nobody"),
    ("is-depth2-tenant-name", lambda g: {"comments": {"some": {"author": {"tenant": {"is": {"name": g}}}}}},
     "Globex", "Nope"),
]


@pytest.mark.parametrize(("where", "true_guess", "false_guess"), [o[1:] for o in RELATION_ORACLES],
                         ids=[o[0] for o in RELATION_ORACLES])
async def test_relation_filter_oracle_into_globex(infra: Infrastructure, where: Callable[[str], dict[str, Any]],
                                                  true_guess: str, false_guess: str) -> None:
    await assert_no_oracle(infra, post_ids(infra, where), true_guess, false_guess)


@pytest.mark.parametrize("shape", ["is", "isNot", "shorthand"])
async def test_to_one_relation_oracle_into_a_globex_author(infra: Infrastructure, shape: str) -> None:
    async def run(guess: str) -> Any:
        filter_ = {"name": guess}
        where = {"author": filter_} if shape == "shorthand" else {"author": {shape: filter_}}
        return sorted(r["id"] for r in await infra.call("Comment", "findMany", {"where": where}))

    await assert_no_oracle(infra, run, "Gina", "Nobody")


async def test_count_difference_oracle(infra: Infrastructure) -> None:
    async def run(guess: str) -> Any:
        return await infra.repository("post").count({"comments": {"some": {"body": {"contains": guess}}}})

    await assert_no_oracle(infra, run, "spy", "zzz")


async def test_query_builder_relation_oracle(infra: Infrastructure) -> None:
    async def run(guess: str) -> Any:
        return await infra.query("post").where({"comments": {"some": {"author": {"name": guess}}}}).exists()

    await assert_no_oracle(infra, run, "Gina", "Nobody")


async def test_group_by_having_relation_count_oracle(infra: Infrastructure) -> None:
    async def run(guess: str) -> Any:
        groups = await infra.call("Post", "groupBy", {"by": ["tenantId"], "_count": {"_all": True},
                                                      "where": {"comments": {"some": {"body": {"startsWith": guess}}}}})
        return groups

    await assert_no_oracle(infra, run, "globex spy", "zz")


async def test_orderby_relation_count_oracle(infra: Infrastructure) -> None:
    """Ordering by the number of comments must count only the comments the attacker may read."""
    args = {"orderBy": [{"comments": {"_count": "desc"}}, {"id": "desc"}], "select": {"id": True}}
    with infra.acting_as(ATTACKER):
        outcome = await attempt(lambda: infra.call("Post", "findMany", args))
    with infra.acting_as(ADMIN):
        assert [r["id"] for r in await infra.call("Post", "findMany", args)][:2] == [10, 20]
    if outcome[0] == "error":
        assert is_refusal(outcome[1]), outcome
    else:
        # each acme post has one visible comment: ties broken by id, never by the globex comment on post 10
        assert [r["id"] for r in outcome[1]] == [11, 10]


@pytest.mark.parametrize("via", ["cursor", "cursor-tiebreak", "cursor_paginate"])
async def test_cursor_on_a_globex_row_is_no_oracle(infra: Infrastructure, via: str) -> None:
    """A cursor positions on the cursor row's values: on an unreadable row it must find what a missing row finds."""
    by_views = [{"views": "desc"}, {"id": "asc"}]

    async def run(cursor_id: str) -> Any:
        repo = infra.repository("post")
        if via == "cursor":
            rows = await repo.find_many(order_by={"views": "desc"}, cursor={"id": int(cursor_id)}, skip=1)
        elif via == "cursor-tiebreak":
            rows = await repo.find_many(order_by=by_views, cursor={"id": int(cursor_id)}, skip=1)
        else:
            rows = (await repo.find_many(order_by={"views": "desc"},
                                         cursor_paginate={"after": int(cursor_id), "limit": 10})).items
        return [r["id"] for r in rows]

    with infra.acting_as(ATTACKER):
        own = await run("11")
    assert own == [10]  # the control: a cursor on an own row works
    await assert_no_oracle(infra, run, "20", "999")


async def test_nested_cursor_on_a_globex_row_is_no_oracle(infra: Infrastructure) -> None:
    """An included to-many's cursor on a hidden related row (globex comment 100 on acme post 10) finds nothing."""

    async def run(cursor_id: str) -> Any:
        comments = {"cursor": {"id": int(cursor_id)}, "orderBy": {"id": "asc"}}
        post = await infra.repository("post").find_unique(10, include={"comments": comments})
        return [c["id"] for c in post["comments"]] if post else None

    with infra.acting_as(ATTACKER):
        own = await run("101")
    assert own == [101]  # the control: a cursor on an own row works
    await assert_no_oracle(infra, run, "100", "999")
