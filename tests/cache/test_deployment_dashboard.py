"""The dashboard of a whole deployment: two processes (infrastructures) publish their monitoring through
the shared store (Redis, memcached) and each one's dashboard shows both, their numbers merged.

Liveness is judged on the kernel's clock: one `ManualClock` drives both processes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prisma_infra.clock import ManualClock
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.monitoring.deployment import Deployment
from prisma_infra.monitoring.series import TimeSeries, ms, percentile
from prisma_infra.ports.dashboard import DEPLOYMENT
from prisma_infra.web.dashboard import DashboardData

from core.tests.web.dashboard_support import dashboard_snapshot
from tests.cache.cache_support import prisma_settings, shared_cache
from tests.cache.servers import Server
from tests.waiting import eventually

pytestmark = pytest.mark.integration

TOKEN = "deployment-token-0123456789abcdef"
MONITORING = {"web": {"token": TOKEN}, "dashboard_interval": 1.0}


def deployment_of(infra: Infrastructure) -> Deployment:
    found = infra.services.get(DEPLOYMENT)
    assert isinstance(found, Deployment)
    return found


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def two(
    sqlite_url: str, shared: str, namespace: str, clock: ManualClock
) -> AsyncIterator[tuple[Infrastructure, Infrastructure]]:
    cache = shared_cache(shared, namespace)
    a = Infrastructure(prisma_settings(sqlite_url, cache, monitoring=MONITORING), clock=clock)
    b = Infrastructure(prisma_settings(sqlite_url, cache, monitoring=MONITORING), clock=clock)
    async with a, b:
        yield a, b


async def work(a: Infrastructure, b: Infrastructure) -> None:
    """Three operations on A (two on User, one on Post), four on B (User), one of B's failing."""
    ann = await a.repository("user").create({"email": "ann@x.io", "name": "Ann"})
    await a.repository("post").create({"title": "Hello", "authorId": ann["id"]})
    await a.repository("user").find_many()
    await b.repository("user").find_many()
    await b.repository("user").count()
    await b.repository("user").find_first(where={"email": "ann@x.io"})
    with pytest.raises(Exception):  # noqa: B017 - any error: it is counted
        await b.repository("user").create({"email": "ann@x.io"})


async def test_each_dashboard_shows_both_processes_and_their_sums(
    two: tuple[Infrastructure, Infrastructure], shared: str
) -> None:
    a, b = two
    await work(a, b)
    assert await deployment_of(a).publish() and await deployment_of(b).publish()
    expected_ops = a.monitor.operations + b.monitor.operations
    assert a.monitor.operations == 3 and b.monitor.operations == 4

    for infra, document in ((a, await dashboard_snapshot(a, TOKEN)), (b, await DashboardData(b).build())):
        ids = {p["id"] for p in document["processes"]}
        assert ids == {deployment_of(a).identity["id"], deployment_of(b).identity["id"]}
        this = [p for p in document["processes"] if p["this"]]
        assert [p["id"] for p in this] == [deployment_of(infra).identity["id"]]
        assert {p["operations"] for p in document["processes"]} == {3, 4}
        assert all(p["pid"] and p["host"] and p["started_at"] and p["last_seen"] for p in document["processes"])
        totals = document["totals"]
        assert totals["operations"] == expected_ops == sum(document["series"]["ops"])
        assert totals["errors"] == 1 and sum(totals["error_classes"].values()) == 1
        users = next(m for m in document["models"] if m["model"] == "User")
        assert users["operations"] == 6 and users["errors"] == 1
        assert users["actions"]["findMany"] == 2
        assert document["deployment"] == {"store": shared, "status": "shared", "processes": 2, "live_for_s": 3.0}
        failing = next(p for p in document["processes"] if p["operations"] == 4)  # B's failed create
        assert [e["process"] for e in document["recent_errors"]] == [f"{failing['host']}:{failing['pid']}"]
        panel = next(p for p in document["panels"] if p["name"] == "processes")
        assert len(panel["data"]) == 2

    # The latency percentiles come from the two processes' histograms added together.
    now = int(document["now"])
    hist = TimeSeries.merged(slot for m in (a.monitor, b.monitor) for _, slot in m.series.window(now, 60))
    assert document["totals"]["p95_ms"] == ms(percentile(hist, 0.95))
    assert document["totals"]["p50_ms"] == ms(percentile(hist, 0.5))


async def test_a_process_that_stops_publishing_drops_out_after_its_ttl(
    two: tuple[Infrastructure, Infrastructure], clock: ManualClock
) -> None:
    a, b = two
    await work(a, b)
    first = deployment_of(a)
    assert await first.publish() and await deployment_of(b).publish()
    await deployment_of(b).close()  # B stops publishing (as a crashed worker would)
    ttl = first.ttl
    assert len((await first.document())["processes"]) == 2

    published = first.published
    await clock.advance(ttl - 0.5)  # A's own loop publishes on the clock; B's publication is still live
    await eventually(lambda: first.published > published, what="A's loop publishes")
    assert len((await first.document())["processes"]) == 2

    published = first.published
    await clock.advance(1.0)
    await eventually(lambda: first.published > published, what="A's loop publishes again")
    document = await first.document()
    assert [p["id"] for p in document["processes"]] == [first.identity["id"]]
    assert document["totals"]["operations"] == a.monitor.operations
    panels = (await DashboardData(a).build())["panels"]
    assert [len(p["data"]) for p in panels if p["name"] == "processes"] == [1]


async def test_without_a_shared_store_the_dashboard_shows_this_process(sqlite_url: str) -> None:
    async with Infrastructure(prisma_settings(sqlite_url, {"tiers": ["memory"]}, monitoring=MONITORING)) as infra:
        await infra.repository("user").find_many()
        deployment = deployment_of(infra)
        assert not await deployment.publish()
        document = await DashboardData(infra).build()
        assert "processes" not in document and "deployment" not in document
        assert document["totals"]["operations"] == infra.monitor.operations == 1
        assert "processes" not in {p["name"] for p in document["panels"]}


async def test_an_unreachable_store_leaves_this_process_alone_on_its_dashboard(
    sqlite_url: str, shared: str, namespace: str, private_server: Server
) -> None:
    cache = shared_cache(shared, namespace, store_options={**private_server.store_options(), "timeout": 0.2})
    async with Infrastructure(prisma_settings(sqlite_url, cache, monitoring=MONITORING)) as infra:
        await infra.repository("user").find_many()
        deployment = deployment_of(infra)
        assert await deployment.publish()
        private_server.kill()
        assert not await deployment.publish()
        document = await DashboardData(infra).build()
        assert document["deployment"]["status"] == "unavailable"
        assert [p["this"] for p in document["processes"]] == [True]
        assert document["totals"]["operations"] == infra.monitor.operations
