"""``database.options.busy_poll``: each side polls the pipe instead of sleeping, within its budget.

Python keeps its event loop turning while one request is in flight, Node keeps its loop turning after
answering its last request. Both are seen in CPU time on real PostgreSQL: a request held open by
``pg_sleep`` costs the polling process CPU, an idle engine costs nothing, and the budget bounds both.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prisma_infra_prisma import PrismaEngine
from prisma_infra_sdk import Action, ConfigurationError, DatabaseConfig, Operation

from .conftest import PG_SERVER, started_engine, write_schema

pytestmark = pytest.mark.integration

SLEEP = 0.4

#: The tests that measure CPU time against thresholds: another process on the machine's CPUs skews them,
#: so they run with ``--run-slow`` only.
cpu_timing = pytest.mark.slow


def sleeping(seconds: float) -> Operation:
    """A request PostgreSQL holds open for ``seconds`` without using CPU."""
    return Operation(None, Action.QUERY_RAW, {"sql": "SELECT 1 AS x FROM pg_sleep($1)", "params": [seconds]})


@contextlib.asynccontextmanager
async def pg_engine(tmp_path: Path, busy_poll: float) -> AsyncIterator[PrismaEngine]:
    schema = write_schema(tmp_path, "postgresql")
    async with started_engine(schema, f"{PG_SERVER}/postgres", busy_poll=busy_poll) as engine:
        assert await engine.execute(sleeping(0))  # connected and warm
        yield engine


def node_cpu(pid: int | None) -> float:
    """User + system CPU seconds of the bridge's JavaScript thread (V8's helper threads keep
    compiling and collecting for a while after start, whatever the setting)."""
    assert pid is not None
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / 100  # USER_HZ is 100 on Linux


async def python_cpu_during(work: Any) -> float:
    before = time.process_time()
    await work
    return time.process_time() - before


@cpu_timing
async def test_python_polls_while_a_request_is_in_flight(tmp_path: Path) -> None:
    async with pg_engine(tmp_path, busy_poll=1_000_000) as engine:
        waiting = await python_cpu_during(engine.execute(sleeping(SLEEP)))
        idle = await python_cpu_during(asyncio.sleep(SLEEP))
    assert waiting >= SLEEP / 3, f"the event loop slept while the request was in flight ({waiting:.3f}s CPU)"
    assert idle < 0.05, f"nothing in flight, yet {idle:.3f}s CPU"


@cpu_timing
async def test_python_does_not_poll_with_several_requests_in_flight(tmp_path: Path) -> None:
    async with pg_engine(tmp_path, busy_poll=1_000_000) as engine:
        both = asyncio.gather(engine.execute(sleeping(SLEEP)), engine.execute(sleeping(SLEEP)))
        waiting = await python_cpu_during(both)
    assert waiting < 0.05, f"polled with two requests in flight ({waiting:.3f}s CPU)"


@cpu_timing
async def test_python_polls_no_longer_than_its_budget(tmp_path: Path) -> None:
    async with pg_engine(tmp_path, busy_poll=50_000) as engine:  # 50 ms of a 400 ms request
        waiting = await python_cpu_during(engine.execute(sleeping(SLEEP)))
    assert waiting < 0.15, f"polled past its 50 ms budget ({waiting:.3f}s CPU)"


@cpu_timing
async def test_without_busy_poll_nothing_polls(tmp_path: Path) -> None:
    async with pg_engine(tmp_path, busy_poll=0) as engine:
        node = node_cpu(engine.pid)
        waiting = await python_cpu_during(engine.execute(sleeping(SLEEP)))
        await asyncio.sleep(SLEEP)
        node = node_cpu(engine.pid) - node
    assert waiting < 0.05, f"{waiting:.3f}s CPU in Python while waiting"
    assert node < 0.06, f"{node:.2f}s CPU in Node while waiting and idle"


@cpu_timing
async def test_node_polls_after_its_last_answer_within_its_budget(tmp_path: Path) -> None:
    async with pg_engine(tmp_path, busy_poll=300_000) as engine:  # 0.3 s, to be seen in /proc
        before = node_cpu(engine.pid)
        await engine.execute(sleeping(0))
        await asyncio.sleep(1.0)
        spent = node_cpu(engine.pid) - before
    assert spent >= 0.1, f"the bridge slept after answering ({spent:.2f}s CPU)"
    assert spent <= 0.5, f"the bridge polled past its 0.3 s budget ({spent:.2f}s CPU in 1 s)"


async def test_results_are_unchanged_sequential_and_concurrent(tmp_path: Path) -> None:
    async with pg_engine(tmp_path, busy_poll=300) as engine:
        for n in range(50):
            op = Operation(None, Action.QUERY_RAW, {"sql": "SELECT $1::int AS n", "params": [n]})
            assert await engine.execute(op) == [{"n": n}]
        ops = [Operation(None, Action.QUERY_RAW, {"sql": "SELECT $1::int AS n", "params": [n]}) for n in range(500)]
        results = await asyncio.gather(*(engine.execute(op) for op in ops))
        assert results == [[{"n": n}] for n in range(500)]


# -- settings ----------------------------------------------------------------------------------


def engine_with(schema: Path, **options: Any) -> PrismaEngine:
    return PrismaEngine(
        DatabaseConfig(schema_path=str(schema), url=f"file:{schema.parent / 'x.db'}", options=options)  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"busy_poll": -1}, "database.options.busy_poll: Input should be greater than or equal to 0"),
        ({"busy_poll": "fast"}, "database.options.busy_poll: Input should be a valid number"),
        ({"busy_poll": 2_000_000}, "database.options.busy_poll: Input should be less than or equal to 1000000"),
        ({"busy_pol": 300}, "database.options.busy_pol: unknown setting; did you mean 'database.options.busy_poll'?"),
        ({"busy_poll": 300, "colocate": True}, "database.options: colocate and busy_poll exclude each other"),
        ({"start_timeout": 0}, "database.options.start_timeout: Input should be greater than 0"),
    ],
)
def test_bad_options_are_named(sqlite_schema: Path, options: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        engine_with(sqlite_schema, **options)
    assert any(problem.startswith(expected) for problem in caught.value.problems), caught.value.problems
    assert expected in str(caught.value)


def test_good_options_are_taken(sqlite_schema: Path) -> None:
    engine = engine_with(sqlite_schema, busy_poll=250, start_timeout=5, log_queries=True)
    options = engine.options
    assert (options.busy_poll, options.start_timeout, options.log_queries, options.install) == (250, 5, True, True)
    # As an environment variable names it: PRISMA_INFRA_DATABASE__OPTIONS__BUSY_POLL.
    assert engine_with(sqlite_schema, BUSY_POLL=120).options.busy_poll == 120


async def test_busy_poll_is_swapped_on_reload_and_a_bad_value_changes_nothing(sqlite_schema: Path) -> None:
    from prisma_infra_sdk.testing import Infrastructure

    database = {"engine": "prisma", "schema_path": str(sqlite_schema), "url": f"file:{sqlite_schema.parent / 'r.db'}"}
    async with Infrastructure({"database": database}) as infra:
        first = infra.engine
        assert isinstance(first, PrismaEngine) and first.options.busy_poll == 0
        await infra.configure({"database": {"options": {"busy_poll": 300}}})
        polled = infra.engine
        assert isinstance(polled, PrismaEngine) and polled is not first and polled.options.busy_poll == 300
        assert await polled.execute(Operation(None, Action.QUERY_RAW, {"sql": "SELECT 7 AS x", "params": []})) == [
            {"x": 7}
        ]
        with pytest.raises(ConfigurationError, match=r"database\.options\.busy_poll"):
            await infra.configure({"database": {"options": {"busy_poll": -1}}})
        assert infra.engine is polled and polled.pid is not None
        assert await infra.engine.execute(
            Operation(None, Action.QUERY_RAW, {"sql": "SELECT 8 AS x", "params": []})
        ) == [{"x": 8}]


def test_config_check_names_bad_engine_options(sqlite_schema: Path) -> None:
    settings = sqlite_schema.parent / "settings.toml"
    settings.write_text(
        f'[default.database]\nengine = "prisma"\nschema_path = "{sqlite_schema.name}"\n'
        "[default.database.options]\nbusy_poll = -5\ncolocat = true\n"
    )
    command = [sys.executable, "-m", "prisma_infra", "config", "check", "-s", str(settings)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "configuration invalid (2 problems):",
        "  - database.options.busy_poll: Input should be greater than or equal to 0 (got -5)",
        "  - database.options.colocat: unknown setting; did you mean 'database.options.colocate'?",
    ]
    settings.write_text(settings.read_text().replace("busy_poll = -5\ncolocat = true\n", "busy_poll = 300\n"))
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("configuration OK")
