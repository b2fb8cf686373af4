"""The tour's monitoring section: what the monitor measured of the demo's own work (docs/monitoring.md).

Latency percentiles per model and action come from the ``prometheus`` exporter's histograms (the
documented way to get them per label: the monitor's own snapshot keeps per-model totals and the
overall p50/p95/p99); a loop of single reads provokes an N+1 finding with its suggestion; and the
commands that open the live dashboard and the REST API are printed.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from typing import Any

import httpx
from prisma_infra.errors import PrismaInfraError
from prisma_infra.infrastructure import Infrastructure
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

#: The in-process dashboard's bearer token for this run only (the commands below read yours from the environment).
_TOKEN = secrets.token_hex(24)
SERVE = "prisma-infra serve --settings examples/blog/settings.toml"
DASHBOARD = "prisma-infra dashboard --settings examples/blog/settings.toml"
TOKEN_ENV = 'export PRISMA_INFRA_MONITORING__WEB__TOKEN="$(openssl rand -hex 24)"'
N_POSTS = 15


def settings(output: Path) -> dict[str, Any]:
    return {"monitoring": {"exporters": ["prometheus"], "web": {"token": _TOKEN}}}


def _quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """PromQL's ``histogram_quantile``: linear interpolation inside the bucket holding rank ``q``."""
    total = buckets[-1][1]
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, cumulative in buckets:
        if cumulative >= rank:
            if bound == float("inf"):  # beyond the last finite bucket: its bound is what is known
                return lower_bound
            inside = cumulative - lower_count
            return lower_bound + (bound - lower_bound) * ((rank - lower_count) / inside if inside else 1.0)
        lower_bound, lower_count = bound, cumulative
    return lower_bound


async def _percentiles(infra: Infrastructure) -> list[dict[str, Any]]:
    """Scrape the exporter as Prometheus would, and read p50/p95/p99 per (model, action) from its histograms."""
    from prisma_infra_prometheus import asgi_app

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi_app(infra)), base_url="http://localhost"
    ) as http:
        text = (await http.get("/")).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    cells: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for sample in families["prisma_infra_operation_duration_seconds"].samples:
        if sample.name.endswith("_bucket"):
            key = (sample.labels["model"], sample.labels["action"])
            cells.setdefault(key, []).append((float(sample.labels["le"]), sample.value))
    rows: list[dict[str, Any]] = []
    for (model, action), buckets in cells.items():
        buckets.sort()
        count = int(buckets[-1][1])
        if count:
            p50, p95, p99 = (round(_quantile(q, buckets) * 1000.0, 3) for q in (0.5, 0.95, 0.99))
            rows.append({"model": model, "action": action, "count": count, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99})
    rows.sort(key=lambda r: (r["model"], -r["count"]))
    return rows


async def _n_plus_one(infra: Infrastructure) -> tuple[dict[str, Any] | None, int, int]:
    """Read 15 posts, then each post's author by its own ``find_unique``, in one unit of work."""
    users, posts = infra.repository("User"), infra.repository("Post")

    def seen() -> dict[str, Any] | None:
        found = [f for f in infra.monitor.snapshot()["findings"] if f["kind"] == "n_plus_one" and f["model"] == "User"]
        return found[0] if found else None

    before = seen()
    reads = 0
    actor = (await users.find_many(take=1, order_by={"id": "asc"}))[0]
    with infra.acting_as({"id": actor["id"], "roles": [actor["role"]]}, request_id="tour-monitoring-n-plus-one"):
        for post in await posts.find_many(take=N_POSTS, order_by={"id": "asc"}):  # one query for the posts...
            with contextlib.suppress(PrismaInfraError):  # a policy may refuse a read; it is measured all the same
                await users.find_unique({"id": post["authorId"]})  # ...and one per post: N+1
            reads += 1
    return seen(), reads, 0 if before is None else int(before["count"])


async def show(infra: Infrastructure, console: Console, output: Path) -> dict[str, Any]:
    console.rule("[bold cyan]Monitoring")
    snapshot = infra.monitor.snapshot()
    totals = snapshot["totals"]
    rows = await _percentiles(infra)
    table = Table(title=f"Latency per model and action: the demo's {sum(r['count'] for r in rows):,} operations so far")
    for column in ("model", "action", "count", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column, justify="left" if column in ("model", "action") else "right")
    for r in rows:
        table.add_row(
            r["model"], r["action"], f"{r['count']:,}", f"{r['p50_ms']:.3f}", f"{r['p95_ms']:.3f}", f"{r['p99_ms']:.3f}"
        )
    console.print(table)
    console.print(
        "[dim]estimated from the prometheus exporter's histogram buckets, as PromQL's histogram_quantile does "
        '(monitoring.exporters = ["prometheus"]).[/]\n'
        f"infra.monitor.snapshot(): {totals['operations']:,} operations, {totals['errors']} errors, "
        f"last minute p50 {totals.get('p50_ms')} ms / p95 {totals.get('p95_ms')} ms / p99 {totals.get('p99_ms')} ms"
    )

    threshold = infra.config.monitoring.n_plus_one_threshold
    console.print(
        f"\n[bold]N+1, provoked:[/] {N_POSTS} posts, then each post's author with its own User.findUnique, "
        f"in one acting_as block (monitoring.n_plus_one_threshold = {threshold})"
    )
    finding, reads, count_before = await _n_plus_one(infra)
    if finding is None:
        console.print("[red]the monitor reported no N+1 finding[/]")
    else:
        console.print(f"[yellow]finding[/]: {finding['message']} (seen {finding['count']} time(s))")
        console.print(f"[green]suggestion[/]: {finding['suggestion']}")

    probe = infra.web_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=probe), base_url="http://localhost") as http:
        closed = (await http.get("/dashboard/api/snapshot")).status_code
        opened = await http.get("/dashboard/api/snapshot", headers={"Authorization": f"Bearer {_TOKEN}"})
    served_ops = opened.json()["totals"]["operations"] if opened.status_code == 200 else None
    console.print(
        f"\nthe dashboard's snapshot in-process: {closed} without a token (closed by default), "
        f"{opened.status_code} with one ({served_ops:,} operations)"
        if served_ops is not None
        else f"\nthe dashboard's snapshot in-process: {closed} without a token, {opened.status_code} with one"
    )
    commands = [TOKEN_ENV, SERVE, DASHBOARD]
    console.print(
        Panel(
            f'[dim]# the dashboard needs monitoring.web.token (or monitoring.web.auth = "basic" + users):[/]\n'
            f"{TOKEN_ENV}\n\n"
            f"[dim]# the REST API at http://127.0.0.1:8000/api (docs: /api/docs), the dashboard at /dashboard/,"
            f" /metrics, /healthz:[/]\n{SERVE}\n\n"
            f"[dim]# or the dashboard alone at http://127.0.0.1:8765/dashboard/:[/]\n{DASHBOARD}\n\n"
            "[dim]# send Authorization: Bearer $PRISMA_INFRA_MONITORING__WEB__TOKEN (a proxy, or curl -H)[/]",
            title="Open the live dashboard and the REST API",
        )
    )
    return {
        "percentiles": rows,
        "snapshot_operations": totals["operations"],
        "snapshot_p50_ms": totals.get("p50_ms"),
        "snapshot_p95_ms": totals.get("p95_ms"),
        "snapshot_p99_ms": totals.get("p99_ms"),
        "n_plus_one_threshold": threshold,
        "n_plus_one_reads": reads,
        "finding": None
        if finding is None
        else {
            "model": finding["model"],
            "action": finding["action"],
            "message": finding["message"],
            "suggestion": finding["suggestion"],
            "count": finding["count"],
            "count_before": count_before,
            "reads": finding["details"].get("reads"),
            "include": finding["details"].get("include"),
        },
        "dashboard_without_token": closed,
        "dashboard_with_token": opened.status_code,
        "commands": commands,
    }
