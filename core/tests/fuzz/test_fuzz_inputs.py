"""Fuzzing: argument validation, the pipeline and the analytics builder raise nothing outside the hierarchy.

Any input may be refused, but only with a `PrismaInfraError` subclass. Strategies are cheap and the
schema-aware vocabulary (field names, operators, argument names) makes most examples reach deep
into the validators instead of failing at the first key. 2,500 examples each in the default suite,
10,000 with ``--run-slow``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from prisma_infra.errors import PrismaInfraError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action
from prisma_infra.schema import Schema, validate_args

from core.tests.analytics.analytics_doubles import sqlite_infrastructure
from core.tests.doubles import memory_infrastructure
from core.tests.schema.dmmf_fixtures import load_fixture

EXAMPLES = 10_000 if os.environ.get("PRISMA_INFRA_RUN_SLOW") == "1" else 2_500
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),  # no explain phase: it traces every example
)
BLOG = Schema.from_datamodel(load_fixture("blog"))
MODELS = ["User", "Post", "Comment", "Tag", "Profile", "user", "Nope"]
ACTIONS = [a.value for a in Action if not a.is_raw] + ["dropTable", "findmany", ""]
NAMES = sorted(
    {f.name for m in BLOG.models for f in m.fields}
    | {"where", "select", "include", "omit", "orderBy", "cursor", "take", "skip", "distinct", "data", "by"}
    | {"having", "create", "update", "limit", "skipDuplicates", "_count", "_avg", "_sum", "_min", "_max", "_all"}
    | {"AND", "OR", "NOT", "some", "every", "none", "is", "isNot", "equals", "not", "in", "notIn", "lt", "lte"}
    | {"gt", "gte", "contains", "startsWith", "endsWith", "mode", "search", "has", "hasSome", "hasEvery"}
    | {"isEmpty", "set", "push", "increment", "decrement", "multiply", "divide", "connect", "disconnect"}
    | {"connectOrCreate", "upsert", "delete", "deleteMany", "updateMany", "createMany", "sort", "nulls"}
    | {"email_tenantId", "path", "string_contains", "_relevance"}
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["asc", "desc", "first", "last", "insensitive", "ADMIN", "USER", "2024-01-01", "x", "\ud800"]),
    st.sampled_from([b"x", datetime(2024, 1, 1, tzinfo=UTC), date(2024, 1, 2), Decimal("NaN"), Decimal("sNaN")]),
    st.sampled_from([Decimal("1.5"), Decimal("Infinity"), Decimal("-1e999"), "NaN", "1e5", "\x00", "é"]),
)
KEYS = st.one_of(st.sampled_from(NAMES), st.sampled_from([1, None, ("a",), "\udfff", "", "x y"]))


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=2).map(tuple),
        st.dictionaries(KEYS, children, max_size=4),
        st.lists(st.sampled_from(NAMES), max_size=3).map(frozenset),
    )


VALUES = st.recursive(SCALARS, _containers, max_leaves=8)
ARGS = st.one_of(st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=4), VALUES)


def _deep(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = {"AND": value}
    return value


DEEP = st.builds(lambda v, d: {"where": _deep(v, d)}, VALUES, st.integers(min_value=0, max_value=200))


@FUZZ
@given(model=st.sampled_from(MODELS), action=st.sampled_from(ACTIONS), args=st.one_of(ARGS, DEEP))
def test_validate_args_raises_only_project_errors(model: str, action: str, args: Any) -> None:
    try:
        validate_args(BLOG, model, action, args)
    except PrismaInfraError as exc:
        assert exc.args and isinstance(exc.args[0], str)


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def started(loop: asyncio.AbstractEventLoop) -> Iterator[Infrastructure]:
    infra = memory_infrastructure()
    loop.run_until_complete(infra.start())
    yield infra
    loop.run_until_complete(infra.close())


# The memory engine double answers scalar reads and writes; relations and aggregates are EngineError.
PIPELINE_ACTIONS = ["findMany", "findFirst", "count", "deleteMany", "updateMany", "create", "findUnique", "dropTable"]


def test_pipeline_raises_only_project_errors(started: Infrastructure, loop: asyncio.AbstractEventLoop) -> None:
    @FUZZ
    @given(model=st.sampled_from(MODELS), action=st.sampled_from(PIPELINE_ACTIONS), args=st.one_of(ARGS, DEEP))
    def run(model: str, action: str, args: Any) -> None:
        with contextlib.suppress(PrismaInfraError):  # a refusal is fine; anything else fails
            loop.run_until_complete(started.call(model, action, args))

    run()


ANALYTICS_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("metrics"), st.one_of(VALUES, st.sampled_from(["count", "sum:views", "avg:rating", "x:y"]))),
        st.tuples(st.just("group_by"), st.one_of(st.sampled_from(["status", "views", "nope", "authorId"]), VALUES)),
        st.tuples(
            st.just("since"),
            st.one_of(
                st.builds(lambda n, u: f"{n}{u}", st.integers(0, 10**15), st.sampled_from("hdwmy")),
                st.datetimes(timezones=st.just(UTC)),
                VALUES,
            ),
        ),
        st.tuples(st.just("date_range"), st.tuples(st.one_of(st.datetimes(), st.dates(), VALUES), VALUES)),
        st.tuples(st.just("interval"), st.one_of(st.sampled_from(["hour", "day", "week", "month", "year"]), VALUES)),
        st.tuples(st.just("where"), ARGS),
        st.tuples(st.just("tz"), st.one_of(st.sampled_from(["UTC", "Europe/Paris", "Nowhere/Else"]), VALUES)),
        st.tuples(st.just("date_field"), st.one_of(st.sampled_from(["createdAt", "publishedAt", "title"]), VALUES)),
    ),
    max_size=5,
)


def test_analytics_builder_raises_only_project_errors(loop: asyncio.AbstractEventLoop) -> None:
    cm = sqlite_infrastructure()
    infra = loop.run_until_complete(cm.__aenter__())
    try:

        @FUZZ
        @given(model=st.sampled_from(["Post", "post", "Nope"]), steps=ANALYTICS_STEPS)
        def run(model: str, steps: list[tuple[str, Any]]) -> None:
            try:
                query = infra.analytics(model)
                for method, arg in steps:
                    query = query.date_range(*arg) if method == "date_range" else getattr(query, method)(arg)
                query.to_sql()
            except PrismaInfraError:
                pass

        run()
    finally:
        loop.run_until_complete(cm.__aexit__(None, None, None))


def test_strategies_reach_the_limits() -> None:
    """The fuzz vocabulary does produce the inputs the limits are about (guards against a vacuous fuzz)."""
    assert math.isnan(float("nan")) and timedelta.max.days < 10**15
    with pytest.raises(PrismaInfraError):
        validate_args(BLOG, "User", "findMany", {"where": _deep({"email": "x"}, 200)})
