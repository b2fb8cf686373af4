"""Limits on input: every bad input is a `ValidationError` naming the place, and no value is ever in a message."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from prisma_infra.analytics.buckets import parse_since
from prisma_infra.analytics.types import AnalyticsQueryError
from prisma_infra.errors import PrismaInfraError, ValidationError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.schema import Schema, validate_args
from prisma_infra.schema.limits import MAX_DEPTH

SECRET = "4242424242424242"


def nested_where(depth: int) -> dict[str, Any]:
    where: dict[str, Any] = {"email": "a"}
    for _ in range(depth):
        where = {"AND": where}
    return where


def nested_include(depth: int) -> dict[str, Any]:
    inc: dict[str, Any] = {"author": True}
    for _ in range(depth):
        inc = {"author": {"include": {"posts": {"include": inc}}}}
    return inc


def rejected(schema: Schema, model: str, action: str, args: Any) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        validate_args(schema, model, action, args)
    return err.value


def test_nesting_beyond_the_limit_is_a_validation_error(blog: Schema) -> None:
    validate_args(blog, "User", "findMany", {"where": nested_where(MAX_DEPTH - 3)})
    for depth in (MAX_DEPTH, 1000, 5000):
        err = rejected(blog, "User", "findMany", {"where": nested_where(depth)})
        assert f"deeper than {MAX_DEPTH}" in str(err) and err.model == "User"
    err = rejected(blog, "Post", "findMany", {"include": nested_include(1000)})
    assert "include.author.include" in str(err)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"where": {"name": "a\ud800b"}}, "where.name: a string with a lone surrogate"),
        ({"where": {"na\udfffme": "x"}}, "a key with a lone surrogate"),
        ({"where": {1: "x"}}, "a int key (keys must be strings)"),
        ({"where": {("a",): "x"}}, "a tuple key"),
        ({"where": {"settings": {"equals": {"k": [1, math.nan]}}}}, "where.settings.equals.k[1]: a non-finite float"),
    ],
)
def test_keys_surrogates_and_nan_anywhere(blog: Schema, args: dict[str, Any], fragment: str) -> None:
    assert fragment in str(rejected(blog, "User", "findMany", args))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_numbers_are_refused_for_float_and_decimal(blog: Schema, value: Any) -> None:
    # The JSON protocol to the engine turns them into NULL: where {rating: nan} matched every NULL row.
    for args in (
        {"where": {"rating": value}},
        {"where": {"rating": {"not": value}}},
        {"where": {"price": {"in": [1, value]}}},
    ):
        err = rejected(blog, "Post", "findMany", args)
        assert "non-finite" in str(err) and err.model == "Post"
    err = rejected(blog, "Post", "updateMany", {"data": {"rating": value}})
    assert err.field == "rating"


def test_decimal_nan_passes_on_postgresql_only(blog: Schema, fixture_data: Any) -> None:
    assert blog.provider == "postgresql"
    validate_args(blog, "Post", "findMany", {"where": {"price": Decimal("NaN")}})
    sqlite = Schema.from_datamodel({**fixture_data("blog"), "provider": "sqlite"})
    assert "non-finite Decimal" in str(rejected(sqlite, "Post", "findMany", {"where": {"price": Decimal("NaN")}}))
    assert "non-finite" in str(rejected(blog, "Post", "findMany", {"where": {"price": Decimal("sNaN")}}))


@pytest.mark.parametrize(
    "args",
    [
        {"select": [{"id": True}]},
        {"include": [["posts"]]},
        {"distinct": [{"email": 1}]},
        {"distinct": [["email"]]},
    ],
)
def test_unhashable_selection_items(blog: Schema, args: dict[str, Any]) -> None:
    err = rejected(blog, "User", "findMany", args)
    assert err.model == "User"


@pytest.mark.parametrize(("key", "value"), [("take", 2**63), ("take", -(2**63)), ("skip", 2**64), ("skip", -1)])
def test_take_and_skip_out_of_range(blog: Schema, key: str, value: int) -> None:
    assert key in str(rejected(blog, "User", "findMany", {key: value}))


@pytest.mark.parametrize(
    "args",
    [
        {"where": {"id": SECRET}},
        {"where": {"email": int(SECRET)}},
        {"where": {"email_tenantId": SECRET}},
        {"orderBy": SECRET},
        {"distinct": {SECRET: 1}},
        {"where": {"email": {SECRET: "x"}}},
        {"where": {SECRET: "x"}},
        {"select": {"_count": SECRET}},
        {"_count": SECRET},
        {"where": {"role": SECRET}},
        {"where": {"createdAt": {"gt": SECRET}}},
        {"where": {"email": {"mode": SECRET}}},
        {"where": {"id": {"in": [1, SECRET]}}},
    ],
)
def test_no_value_in_any_message(blog: Schema, args: dict[str, Any]) -> None:
    action = "count" if "_count" in args and "where" not in args else "findMany"
    with pytest.raises(ValidationError) as err:
        validate_args(blog, "User", action if action != "count" else "aggregate", args)
    assert "4242" not in str(err.value) and err.value.model == "User"


async def test_call_rejects_unknown_actions_and_bad_arguments(infra: Infrastructure) -> None:
    with pytest.raises(ValidationError, match=r"Unknown action 'dropTable'\. Did you mean 'groupBy'") as err:
        await infra.call("User", "dropTable")
    assert not isinstance(err.value, ValueError)
    with pytest.raises(ValidationError, match="Did you mean 'findMany'"):
        await infra.call("User", "findManyy")
    with pytest.raises(ValidationError, match="a str key of 20 chars"):
        await infra.call("User", "drop" + SECRET)
    with pytest.raises(ValidationError, match="model is named by a string"):
        await infra.call(42, "findMany")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be a mapping"):
        await infra.call("User", "findMany", [("take", 1)])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Unknown context option"):
        await infra.call("User", "findMany", {}, actr="x")
    with pytest.raises(ValidationError, match="deeper than"):
        await infra.call("User", "findMany", {"where": nested_where(1000)})


async def test_repositories_and_batches_stop_at_the_limits(infra: Infrastructure) -> None:
    users = infra.repository("user")
    with pytest.raises(ValidationError, match="lone surrogate"):
        await users.find_many({"name": "\udc00"})
    with pytest.raises(ValidationError, match="non-finite"):
        await infra.repository("post").delete_many({"rating": math.nan})
    with pytest.raises(ValidationError, match="deeper than"):
        await infra.batch([users.op.find_many(where=nested_where(500))])


def test_analytics_durations_that_overflow() -> None:
    for since in ("999999999999d", "99999999999h", "9999999w", "99999m", "99999y"):
        with pytest.raises(AnalyticsQueryError, match="before year 1") as err:
            parse_since(since)
        assert isinstance(err.value, PrismaInfraError)
    with pytest.raises(AnalyticsQueryError) as bad:
        parse_since("not a date " + SECRET)
    assert "4242" not in str(bad.value)
