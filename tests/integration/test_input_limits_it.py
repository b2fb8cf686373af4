"""NaN and Infinity on the real Prisma engine: refused wherever the database would lose them.

What the engine does with them when nothing refuses them (measured with the checks bypassed):
a float NaN or ±Infinity, in data or in a filter, reaches the database as NULL on every provider
(so ``where={"rating": nan}`` matched the NULL rows, and ``delete_many`` of it deleted them); a
``Decimal('NaN')`` round-trips on PostgreSQL only (SQLite: engine error; MariaDB: no NaN in DECIMAL);
``Decimal('Infinity')`` fails everywhere. So the checks refuse all of them but PostgreSQL's Decimal NaN.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prisma_infra.errors import PrismaInfraError, ValidationError
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, Operation
from prisma_infra.schema.limits import check_input

from tests.integration.it_support import settings as infra_settings
from tests.real_databases import pushed

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

SCHEMAS = Path(__file__).parent / "schema_limits"


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql", "mysql"])
async def infra(request: pytest.FixtureRequest) -> AsyncIterator[Infrastructure]:
    provider: str = request.param
    url = await pushed(provider, "prisma_infra_limits", SCHEMAS / provider / "schema.prisma")
    config = infra_settings(provider, url)
    config["database"]["schema_path"] = str(SCHEMAS / provider / "schema.prisma")
    started = Infrastructure(config)
    await started.start()
    readings = started.repository("reading")
    await readings.create({"label": "null"})
    await readings.create({"label": "one", "rating": 1.0, "amount": Decimal("1")})
    try:
        yield started
    finally:
        await started.close()


NON_FINITE: list[Any] = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("value", NON_FINITE)
async def test_float_nan_and_infinity_are_refused_and_never_match_null(infra: Infrastructure, value: float) -> None:
    readings = infra.repository("reading")
    for call in (
        lambda: readings.create({"label": "x", "rating": value}),
        lambda: readings.create({"label": "x", "amount": value}),  # a float NaN for a Decimal became NULL too
        lambda: readings.find_many({"rating": value}),
        lambda: readings.find_many({"rating": {"gt": value}}),
        lambda: readings.update_many({"label": "one"}, {"rating": value}),
        lambda: readings.delete_many({"rating": value}),
    ):
        with pytest.raises(ValidationError, match="non-finite float") as err:
            await call()
        assert err.value.model == "Reading"
    assert sorted(r["label"] for r in await readings.find_many()) == ["null", "one"]  # nothing deleted or written
    assert [r["rating"] for r in await readings.find_many({"label": "one"})] == [1.0]


async def test_decimal_nan_is_kept_on_postgresql_and_refused_elsewhere(infra: Infrastructure) -> None:
    readings = infra.repository("reading")
    provider = infra.engine.provider
    if provider == "postgresql":
        row = await readings.create({"label": "nan", "amount": Decimal("NaN")})
        assert row["amount"].is_nan()
        assert [r["label"] for r in await readings.find_many({"amount": Decimal("NaN")})] == ["nan"]  # not NULL rows
        await readings.delete_many({"label": "nan"})
    else:
        with pytest.raises(ValidationError, match="non-finite Decimal"):
            await readings.create({"label": "nan", "amount": Decimal("NaN")})
        with pytest.raises(ValidationError, match="non-finite Decimal"):
            await readings.find_many({"amount": Decimal("NaN")})
    with pytest.raises(ValidationError, match="non-finite Decimal"):
        await readings.create({"label": "inf", "amount": Decimal("Infinity")})
    assert await readings.count() == 2


async def test_what_the_engine_does_without_the_check(infra: Infrastructure) -> None:
    """The reason for the check, measured: with the check bypassed, a float NaN is stored as NULL."""
    readings = infra.repository("reading")
    args = {"data": {"label": "lost", "rating": math.nan}}
    with pytest.raises(ValidationError):
        check_input("Reading", "create", args)
    engine = infra.engine
    row = await engine.execute(Operation("Reading", Action.CREATE, args))
    assert row["rating"] is None  # NaN was lost on the way: that is why it is refused
    matched = await engine.execute(Operation("Reading", Action.FIND_MANY, {"where": {"rating": math.nan}}))
    assert {r["label"] for r in matched} == {"null", "lost"}  # and a NaN filter matches NULL rows
    await readings.delete_many({"label": "lost"})


_READS = ["findMany", "findFirst", "count", "aggregate", "groupBy", "findUnique", "dropTable"]
_NAMES = ["id", "label", "rating", "amount", "where", "select", "orderBy", "take", "skip", "by", "_count", "_sum"]
_NAMES += ["AND", "OR", "NOT", "equals", "not", "in", "gt", "lt", "contains", "startsWith", "mode", "nope"]
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(),
    st.sampled_from(["asc", "desc", "one", "%", "\ud800", "insensitive", Decimal("NaN"), Decimal("Infinity"), b"x"]),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from([*_NAMES, 1]), children, max_size=3)
    ),
    max_leaves=8,
)


async def test_fuzzed_reads_on_the_real_engine_raise_only_project_errors(infra: Infrastructure) -> None:
    """A smaller run of the pipeline fuzz (core/tests/fuzz) against the real engine: reads only."""
    calls: list[tuple[str, Any]] = []

    @settings(max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(action=st.sampled_from(_READS), args=st.dictionaries(st.sampled_from(_NAMES), _VALUES, max_size=3))
    def collect(action: str, args: Any) -> None:
        calls.append((action, args))

    collect()  # hypothesis is synchronous: draw the examples, then run them on the loop
    for action, args in calls:
        with contextlib.suppress(PrismaInfraError):  # refusals are fine; anything else fails the test
            await infra.call("Reading", action, args)
    assert len(calls) == 150 and await infra.repository("reading").count() == 2


async def test_batch_and_transaction_run_the_early_check_and_monitoring_records_it(infra: Infrastructure) -> None:
    """Every entry point runs the check; its refusals are counted and kept masked like any failure."""
    readings = infra.repository("reading")
    monitor = infra.monitor
    errors = monitor.errors
    secret = "card 4111111111111111"
    bad = readings.op.create(data={"label": secret, "rating": math.nan})
    with pytest.raises(ValidationError, match="non-finite float"):
        await infra.batch([readings.op.create(data={"label": "batched"}), bad])
    with pytest.raises(ValidationError, match="non-finite float"):
        async with infra.transaction() as tx:
            await tx.repository("reading").create({"label": secret, "rating": math.inf})
    with pytest.raises(ValidationError, match="nesting deeper"):
        nested: dict[str, Any] = {"label": "x"}
        for _ in range(200):
            nested = {"AND": [nested]}
        await readings.find_many(nested)
    assert sorted(r["label"] for r in await readings.find_many()) == ["null", "one"]  # nothing was sent
    assert monitor.errors == errors + 3
    recent = list(monitor.recent_errors)[-3:]  # the ring may be full from the tests before: its newest three
    assert [(e["model"], e["action"], e["error_class"]) for e in recent] == [
        ("Reading", "create", "ValidationError"),
        ("Reading", "create", "ValidationError"),
        ("Reading", "findMany", "ValidationError"),
    ]
    assert all(e["args"] == {} for e in recent)  # the arguments that broke the limits are not walked
    assert "4111" not in repr(recent) and "card" not in repr(recent)
    assert "data.rating" in recent[0]["message"]


async def test_a_nul_character_is_refused_where_text_loses_it_and_kept_on_mysql(infra: Infrastructure) -> None:
    """PostgreSQL text refuses NUL (error 22021, an engine failure) and SQLite cuts the text there: refused early."""
    readings = infra.repository("reading")
    if infra.engine.provider in ("postgresql", "sqlite"):
        for call in (
            lambda: readings.create({"label": "a\x00b"}),
            lambda: readings.find_many({"label": {"contains": "\x00"}}),
        ):
            with pytest.raises(ValidationError, match="NUL character") as err:
                await call()
            assert err.value.model == "Reading" and "label" in err.value.message
    else:
        row = await readings.create({"label": "a\x00b"})
        assert row["label"] == "a\x00b"
        assert [r["label"] for r in await readings.find_many({"label": {"contains": "\x00"}})] == ["a\x00b"]
        await readings.delete_many({"label": "a\x00b"})
    assert await readings.count() == 2


async def test_a_value_the_database_refuses_is_a_validation_error_not_an_engine_failure(infra: Infrastructure) -> None:
    """A Decimal beyond the column's precision: PostgreSQL and MariaDB refuse it (Prisma P2020), SQLite stores it."""
    readings = infra.repository("reading")
    huge = Decimal("1e40")
    if infra.engine.provider == "sqlite":
        row = await readings.create({"label": "huge", "amount": huge})
        assert row["amount"] == huge
        await readings.delete_many({"label": "huge"})
    else:
        with pytest.raises(ValidationError, match=r"out of range .*\[P2020\]") as err:
            await readings.create({"label": "huge", "amount": huge})
        assert err.value.model == "Reading" and "1e40" not in err.value.message.lower()
    assert await readings.count() == 2


@pytest.mark.parametrize("text", ["1e-999999999", "0e-999999999", "1e999999999"])
async def test_a_decimal_exponent_beyond_any_column_is_refused_before_the_engine(
    infra: Infrastructure, text: str
) -> None:
    """The engine writes a Decimal out in full: ``1e-999999999`` would be a billion characters (seconds of CPU)."""
    readings = infra.repository("reading")
    with pytest.raises(ValidationError, match="exponent beyond") as err:
        await readings.create({"label": "tiny", "amount": Decimal(text)})
    assert err.value.model == "Reading" and "999999999" not in err.value.message
    with pytest.raises(ValidationError, match="exponent beyond"):
        await readings.find_many({"amount": {"gt": Decimal(text)}})
    assert await readings.count() == 2
