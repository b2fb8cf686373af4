"""`prisma_infra.monitoring.merge`: publications of several monitors merged into one dashboard document."""

from __future__ import annotations

import time
from typing import Any

from prisma_infra.errors import ValidationError
from prisma_infra.monitoring import Monitor, TimeSeries, percentile
from prisma_infra.monitoring.merge import PUBLISHED_ENTRIES, PUBLISHED_TRACEBACK, merge, publication
from prisma_infra.monitoring.series import ms
from prisma_infra.operation import Action, Operation, OperationContext


def process(n: int) -> dict[str, Any]:
    return {"id": f"host{n}:{n}:ab", "pid": n, "host": f"host{n}", "started_at": 1_700_000_000.0 + n}


def run(monitor: Monitor, model: str, action: Action, seconds: float, times: int, **kw: Any) -> None:
    operation = Operation(model, action, {"where": {"id": 1}}, OperationContext())
    for _ in range(times):
        monitor.record(operation, action.value, seconds, time.perf_counter(), 1, kw.get("error"), kw.get("cache"))


def failure() -> ValidationError:
    try:
        raise ValidationError("bad value for User.email " + "x" * 5_000, model="User")
    except ValidationError as exc:
        return exc


def merged(*monitors: Monitor, now: int) -> dict[str, Any]:
    pubs = [publication(m, process(i), 1.0, full=i == 0, now=now) for i, m in enumerate(monitors)]
    return merge(pubs, span=monitors[0].series.size, recent_errors=100, slow_operations=100)


def test_one_process_merges_into_its_own_snapshot() -> None:
    monitor = Monitor()
    run(monitor, "User", Action.FIND_MANY, 0.002, 5, cache="hit")
    run(monitor, "User", Action.FIND_MANY, 0.004, 3, cache="miss")
    run(monitor, "Post", Action.CREATE, 0.010, 2, error=failure())
    now = int(time.time())
    document, snapshot = merged(monitor, now=now), monitor.snapshot(now=now)
    for key in ("now", "enabled", "slow_operation_ms", "totals", "series", "models"):
        assert document[key] == snapshot[key], key
    assert document["started_at"] == process(0)["started_at"]  # the oldest process's start
    assert [{k: v for k, v in e.items() if k != "process"} for e in document["recent_errors"]] == snapshot[
        "recent_errors"
    ]
    assert [p["operations"] for p in document["processes"]] == [10] and document["processes"][0]["this"]


def test_counts_are_summed_and_percentiles_come_from_the_summed_histograms() -> None:
    fast, slow = Monitor(), Monitor()
    run(fast, "User", Action.FIND_MANY, 0.001, 90, cache="hit")
    run(slow, "User", Action.FIND_MANY, 0.200, 10, cache="miss")
    run(slow, "Post", Action.CREATE, 0.050, 4)
    now = int(time.time())
    document = merged(fast, slow, now=now)
    totals = document["totals"]
    assert totals["operations"] == 104 and totals["cache"]["hit"] == 90 and totals["cache"]["miss"] == 10
    assert totals["cache"]["hit_ratio"] == 0.9
    hist = TimeSeries.merged(slot for m in (fast, slow) for _, slot in m.series.window(now, 60))
    for name, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        assert totals[name] == ms(percentile(hist, q))
    # Not an average of the two processes' p95s: 90 % of the operations took 1 ms.
    assert totals["p50_ms"] < 2 and totals["p99_ms"] > 150
    users = next(m for m in document["models"] if m["model"] == "User")
    assert users["operations"] == 100 and users["actions"] == {"findMany": 100}
    assert users["avg_ms"] == round((90 * 1.0 + 10 * 200.0) / 100, 3)
    assert users["max_ms"] == 200.0
    assert users["cache"] == {"hit": 90, "miss": 10, "stale": 0, "bypass": 0}
    assert sum(document["series"]["ops"]) == 104


def test_another_process_publishes_its_newest_entries_with_short_tracebacks() -> None:
    monitor = Monitor()
    run(monitor, "User", Action.CREATE, 0.001, PUBLISHED_ENTRIES + 5, error=failure())
    brief = publication(monitor, process(1), 1.0)
    assert len(brief["recent_errors"]) == PUBLISHED_ENTRIES
    assert all(len(e["traceback"]) <= PUBLISHED_TRACEBACK for e in brief["recent_errors"])
    full = publication(monitor, process(1), 1.0, full=True)
    assert len(full["recent_errors"]) == PUBLISHED_ENTRIES + 5
    assert max(len(e["traceback"]) for e in full["recent_errors"]) > PUBLISHED_TRACEBACK


def test_a_finding_of_several_processes_is_one_row_with_their_counts() -> None:
    a, b = Monitor(), Monitor()
    for monitor in (a, b):
        run(monitor, "User", Action.FIND_MANY, 5.0, 2)  # slow: one finding per pattern, counted
    document = merged(a, b, now=int(time.time()))
    slow = [f for f in document["findings"] if f["kind"] == "slow_operation"]
    assert len(slow) == 1 and slow[0]["count"] == 4
    assert slow[0]["processes"] == ["host0:0", "host1:1"]
    assert len(document["slow_operations"]) == 4
    assert {e["process"] for e in document["slow_operations"]} == {"host0:0", "host1:1"}
