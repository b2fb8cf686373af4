"""`MetricsMiddleware` and `Monitor` on the memory engine: what every operation leaves behind."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from prisma_infra.errors import ConfigurationError, UniqueConstraintError
from prisma_infra.monitoring import MetricsMiddleware, Monitor, monitor_for
from prisma_infra.monitoring.service import METRICS_EXPORTERS, MONITOR
from prisma_infra.operation import Action, Operation

from core.tests.monitoring.monitoring_doubles import MonitoringTestPlugin, RecordingExporter
from tests.waiting import eventually


async def test_registered_outermost_and_published(make_infra: Callable[..., Any]) -> None:
    async with make_infra() as infra:
        assert infra.runtime.middleware[0].name == "metrics"
        assert isinstance(infra.runtime.middleware[0], MetricsMiddleware)
        assert isinstance(infra.monitor, Monitor)
        assert infra.runtime.services[MONITOR] is infra.monitor is monitor_for(infra)


async def test_every_operation_is_measured(make_infra: Callable[..., Any]) -> None:
    async with make_infra(exporters=["recording"]) as infra:
        users = infra.repository("user")
        await users.create({"email": "a@example.com", "name": "Alice"})
        await users.create({"email": "b@example.com", "name": "Bob"})
        found = await users.find_many()
        assert len(found) == 2
        await users.count()
        snapshot = infra.monitor.snapshot()
    exporter = RecordingExporter.instances[0]
    assert exporter.started and exporter.closed
    assert [(m, a, e, r) for m, a, _, e, r in exporter.observed] == [
        ("User", "create", None, 1),
        ("User", "create", None, 1),
        ("User", "findMany", None, 2),
        ("User", "count", None, None),
    ]
    assert all(seconds > 0 for _, _, seconds, _, _ in exporter.observed)
    totals = snapshot["totals"]
    assert totals["operations"] == 4 and totals["errors"] == 0 and totals["rows"] == 4
    assert totals["p50_ms"] is not None and totals["p50_ms"] > 0
    (user,) = snapshot["models"]
    assert user["model"] == "User" and user["actions"] == {"create": 2, "findMany": 1, "count": 1}
    assert sum(snapshot["series"]["ops"]) == 4
    assert len(snapshot["series"]["t"]) == infra.config.monitoring.history_seconds


async def test_errors_by_class_with_traces_in_a_bounded_buffer(make_infra: Callable[..., Any]) -> None:
    async with make_infra(exporters=["recording"], recent_errors=2) as infra:
        users = infra.repository("user")
        await users.create({"email": "a@example.com", "name": "Alice"})
        for _ in range(3):
            with pytest.raises(UniqueConstraintError):
                await users.create({"email": "a@example.com", "name": "Alice Again"})
        snapshot = infra.monitor.snapshot()
    assert snapshot["totals"]["errors"] == 3
    assert snapshot["totals"]["error_classes"] == {"UniqueConstraintError": 3}
    assert len(snapshot["recent_errors"]) == 2
    error = snapshot["recent_errors"][0]
    assert error["error_class"] == "UniqueConstraintError" and error["action"] == "create"
    assert "Traceback" in error["traceback"] and "UniqueConstraintError" in error["traceback"]
    # User.email and User.name are PII by the schema: their categories' partial masks.
    assert error["args"]["data"] == {"email": "a***@example.com", "name": "A*** A***"}
    assert "a@example.com" not in repr(snapshot["recent_errors"]) and "Alice" not in repr(snapshot["recent_errors"])
    errors = [e for _, _, _, e, _ in RecordingExporter.instances[0].observed if e]
    assert errors == ["UniqueConstraintError"] * 3
    assert snapshot["series"]["errors"][-1] + snapshot["series"]["errors"][-2] == 3


async def test_slow_operations_masked_with_index_advice_reported_once(
    make_infra: Callable[..., Any], plugin: MonitoringTestPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "prisma_infra.monitoring")
    async with make_infra(slow_operation_ms=0.0001) as infra:
        engine = infra.engine
        real = engine.execute

        async def slow(operation: Operation) -> Any:
            await asyncio.sleep(0.002)  # the slow operation under test (threshold 0.0001 ms)
            return await real(operation)

        engine.execute = slow  # type: ignore[method-assign]
        # Composed once per runtime: put the slow engine into the chain by rebuilding the handler.
        from prisma_infra.pipeline import compose

        infra.runtime.handler = compose(infra.runtime.middleware, slow)
        posts = infra.repository("post")
        for _ in range(3):
            await posts.find_many(where={"title": {"contains": "secret words"}, "views": 3})
        await eventually(lambda: plugin.alerts, what="the slow-operation alert")
        snapshot = infra.monitor.snapshot()
    slow_ops = snapshot["slow_operations"]
    assert len(slow_ops) == 3
    assert slow_ops[0]["args"]["where"] == {"title": {"contains": "s***"}, "views": "***"}
    assert slow_ops[0]["index"]["suggested"] == ["views", "title"]
    assert "@@index([views, title])" in slow_ops[0]["suggestion"]
    findings = [f for f in snapshot["findings"] if f["kind"] == "slow_operation"]
    assert len(findings) == 1 and findings[0]["count"] == 3
    assert [a["name"] for a in plugin.alerts] == ["slow_operation"]
    assert plugin.alerts[0]["source"] == "monitoring" and plugin.alerts[0]["model"] == "Post"
    logged = [r.getMessage() for r in caplog.records if "slow operation" in r.getMessage()]
    assert len(logged) == 1 and "@@index([views, title])" in logged[0]


async def test_n_plus_one_found_once_with_a_suggestion(
    make_infra: Callable[..., Any], plugin: MonitoringTestPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "prisma_infra.monitoring")
    async with make_infra(n_plus_one_threshold=5, n_plus_one_window_ms=5000) as infra:
        users, posts = infra.repository("user"), infra.repository("post")
        author = await users.create({"email": "a@example.com", "name": "A"})
        with infra.acting_as("tester", request_id="req-1"):
            found = await posts.find_many()
            for _ in range(12):
                await users.find_unique({"id": author["id"]})
        with infra.acting_as("tester", request_id="req-2"):
            for _ in range(4):  # under the threshold
                await users.find_unique({"id": author["id"]})
        await eventually(lambda: plugin.alerts, what="the N+1 alert")
        findings = infra.monitor.snapshot()["findings"]
    assert found == []
    (finding,) = [f for f in findings if f["kind"] == "n_plus_one"]
    assert finding["model"] == "User" and finding["action"] == "findUnique"
    assert finding["count"] == 2  # 12 reads: two bursts of 5, reported once, counted twice
    assert finding["details"]["relation"] == "author" and finding["details"]["parent"] == "Post"
    assert "include={'author': True}" in finding["suggestion"]
    assert [a["name"] for a in plugin.alerts] == ["n_plus_one"]
    assert sum("N+1 pattern" in r.getMessage() for r in caplog.records) == 1


async def test_cache_results_are_counted(make_infra: Callable[..., Any], plugin: MonitoringTestPlugin) -> None:
    async with make_infra(exporters=["recording"]) as infra:
        assert plugin.cache_middleware is not None
        plugin.cache_middleware.verdicts = ["miss", "hit", "hit", "stale", "bypass"]
        users = infra.repository("user")
        for _ in range(6):
            await users.find_many()
        snapshot = infra.monitor.snapshot()
    cache = snapshot["totals"]["cache"]
    assert (cache["hit"], cache["miss"], cache["stale"], cache["bypass"]) == (2, 1, 1, 1)
    assert cache["hit_ratio"] == pytest.approx(0.75)
    assert snapshot["models"][0]["cache"] == {"hit": 2, "miss": 1, "stale": 1, "bypass": 1}
    assert RecordingExporter.instances[0].cache == [
        ("User", "miss"), ("User", "hit"), ("User", "hit"), ("User", "stale"), ("User", "bypass")
    ]
    assert sum(snapshot["series"]["hits"]) == 3 and sum(snapshot["series"]["misses"]) == 1


async def test_a_failing_exporter_never_fails_an_operation(
    make_infra: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    async with make_infra(exporters=["recording"], exporter_options={"recording": {"explode": True}}) as infra:
        users = infra.repository("user")
        await users.create({"email": "a@example.com", "name": "A"})
        assert await users.count() == 1
    assert sum("monitoring failed" in r.getMessage() for r in caplog.records) == 1


async def test_unknown_exporter_is_a_configuration_error(make_infra: Callable[..., Any]) -> None:
    with pytest.raises(ConfigurationError, match="pip install prisma-infra-prometheus"):
        await make_infra(exporters=["prometheus"]).start()
    with pytest.raises(ConfigurationError, match="Did you mean 'recording'"):
        await make_infra(exporters=["recordin"]).start()


async def test_disabled_monitoring_passes_operations_through(make_infra: Callable[..., Any]) -> None:
    async with make_infra(enabled=False, exporters=["recording"]) as infra:
        await infra.repository("user").count()
        assert infra.monitor.operations == 0
        assert infra.runtime.services[METRICS_EXPORTERS] == {}
    assert RecordingExporter.instances == []


async def test_exporters_are_shared_across_runtimes_until_released(make_infra: Callable[..., Any]) -> None:
    async with make_infra(exporters=["recording"]) as infra:
        runtime = infra.runtime
        second = MetricsMiddleware(infra)
        await second.start(runtime)
        assert second.exporters["recording"] is RecordingExporter.instances[0]
        await second.close()
        assert not RecordingExporter.instances[0].closed
    assert RecordingExporter.instances[0].closed
    assert len(RecordingExporter.instances) == 1


async def test_raw_queries_and_scalars(make_infra: Callable[..., Any]) -> None:
    async with make_infra() as infra:
        infra.engine.responses[Action.QUERY_RAW] = lambda op: [{"n": 1}]
        await infra.call(None, "queryRaw", {"sql": "select 1", "params": []})
        models = infra.monitor.usage()
    assert models[0]["model"] is None and models[0]["actions"] == {"queryRaw": 1} and models[0]["rows"] == 1


async def test_history_and_exporters_survive_a_reload(make_infra: Callable[..., Any]) -> None:
    async with make_infra(exporters=["recording"], slow_operation_ms=500) as infra:
        monitor = infra.monitor
        await infra.repository("user").count()
        await infra.configure({"monitoring": {"slow_operation_ms": 50}})
        assert infra.monitor is monitor and monitor.slow_seconds == 0.05
        await infra.repository("user").count()
        assert monitor.operations == 2
        (exporter,) = RecordingExporter.instances  # same options: the exporter is kept, not rebuilt
        assert not exporter.closed and len(exporter.observed) == 2
        await infra.configure({"monitoring": {"exporter_options": {"recording": {"tag": "v2"}}}})
        assert exporter.closed and len(RecordingExporter.instances) == 2
        await infra.repository("user").count()
        assert len(RecordingExporter.instances[1].observed) == 1
    assert RecordingExporter.instances[1].closed
