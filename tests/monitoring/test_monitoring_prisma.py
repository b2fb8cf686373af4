"""Monitoring on the real Prisma engine (SQLite): N+1 and index advice from the blog schema, a Prometheus scrape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prisma_infra.errors import UniqueConstraintError
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.web import BearerAuth
from prometheus_client.parser import text_string_to_metric_families

from tests.waiting import eventually

pytestmark = pytest.mark.integration


class Alerts:
    name = "alert-recorder"

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []

    @hookimpl
    def alert_raised(self, alert: dict[str, Any]) -> None:
        self.alerts.append(alert)


async def seed(infra: Infrastructure, authors: int = 3, posts_each: int = 4) -> None:
    users, posts = infra.repository("user"), infra.repository("post")
    for a in range(authors):
        user = await users.create({"email": f"author{a}@example.com", "name": f"Author {a}"})
        for p in range(posts_each):
            await posts.create({"title": f"Post {a}-{p}", "slug": f"post-{a}-{p}", "body": "…", "authorId": user["id"]})


async def test_n_plus_one_on_the_blog_suggests_the_include(blog: Callable[..., Infrastructure]) -> None:
    alerts = Alerts()
    async with blog(plugins=[alerts], n_plus_one_threshold=5) as infra:
        await seed(infra)
        users, posts = infra.repository("user"), infra.repository("post")
        with infra.acting_as("reader", request_id="req-n-plus-one"):
            listed = await posts.find_many()
            authors = [await users.find_unique({"id": post["authorId"]}) for post in listed]
        assert len(authors) == 12 and all(authors)
        with infra.acting_as("reader", request_id="req-fixed"):
            fixed = await posts.find_many(include={"author": True})
        assert all(post["author"]["email"] for post in fixed)
        await eventually(lambda: alerts.alerts, what="the N+1 alert")
        findings = [f for f in infra.monitor.snapshot()["findings"] if f["kind"] == "n_plus_one"]
    assert len(findings) == 1
    finding = findings[0]
    assert finding["model"] == "User" and finding["count"] == 2  # 12 reads, threshold 5: reported once
    assert finding["details"]["parent"] == "Post" and finding["details"]["relation"] == "author"
    assert "include={'author': True}" in finding["suggestion"]
    assert "load(posts, 'author')" in finding["suggestion"]
    assert [a["name"] for a in alerts.alerts] == ["n_plus_one"]


async def test_slow_operations_get_index_advice_from_the_schema(blog: Callable[..., Infrastructure]) -> None:
    async with blog(slow_operation_ms=0.001) as infra:
        await seed(infra, authors=1, posts_each=2)
        posts = infra.repository("post")
        await posts.find_many(where={"body": {"contains": "private text"}, "views": {"gt": 3}})
        await posts.find_many(where={"status": "PUBLISHED"}, order_by=[{"publishedAt": "desc"}])
        recorded = infra.monitor.snapshot()["slow_operations"]
    slow = {(s["model"], s["action"], tuple(s["args"].get("where", {}))): s for s in recorded}
    unindexed = slow[("Post", "findMany", ("body", "views"))]
    assert unindexed["args"]["where"]["body"] == {"contains": "p***"}
    assert unindexed["index"]["ranges"] == ["body", "views"] and unindexed["index"]["suggested"] == ["body"]
    assert "@@index([body])" in unindexed["suggestion"]
    indexed = slow[("Post", "findMany", ("status",))]
    assert indexed["index"]["covered_by"] == ["status", "publishedAt"] and indexed["index"]["suggested"] is None
    create = slow[("Post", "create", ())]
    assert create["index"] is None and create["args"]["data"]["title"] == "P***"


async def test_prometheus_scrape_and_health_on_the_real_engine(blog: Callable[..., Infrastructure]) -> None:
    async with blog(exporters=["prometheus"]) as infra:
        users = infra.repository("user")
        await users.create({"email": "a@example.com", "name": "A"})
        with pytest.raises(UniqueConstraintError):
            await users.create({"email": "a@example.com", "name": "A again"})
        await users.find_many()
        token = "scrape-token-0123456789"
        transport = httpx.ASGITransport(app=infra.web_app(authenticate=BearerAuth(token)))
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost", headers=headers) as http:
            metrics = await http.get("/metrics")
            ready = await http.get("/readyz")
            health = await http.get("/healthz")
    assert ready.status_code == 200 and ready.json()["checks"]["engine"]["provider"] == "sqlite"
    assert ready.json()["checks"]["cache:memory"]["status"] == "ok"
    assert health.status_code == 200
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.text)
        for s in family.samples
    }
    assert values[("prisma_infra_operations_total", (("action", "create"), ("model", "User")))] == 2
    errors = (("action", "create"), ("error_class", "UniqueConstraintError"), ("model", "User"))
    assert values[("prisma_infra_operation_errors_total", errors)] == 1
    assert values[("prisma_infra_rows_returned_total", (("action", "findMany"), ("model", "User")))] == 1
    count = ("prisma_infra_operation_duration_seconds_count", (("action", "findMany"), ("model", "User")))
    assert values[count] == 1
