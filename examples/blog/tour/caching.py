"""The tour's caching section: a miss then a hit, relation-aware invalidation, stats per model.

Everything here is the public API of docs/caching.md: reads through ``infra.repository``,
``infra.cache_for(model).contains/explain`` to look at an entry without running the read,
and ``infra.cache.stats()`` for the hit/miss counters (per model and tier). The counters
tell which read was a hit: each read is timed and the model's counters are read before
and after it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prisma_infra.infrastructure import Infrastructure
from rich.console import Console
from rich.table import Table

#: The two reads of the section: published posts by views, with and without their author.
WITH_AUTHOR: dict[str, Any] = {
    "where": {"status": "PUBLISHED"},
    "include": {"author": True},
    "orderBy": {"views": "desc"},
    "take": 25,
}
WITHOUT_AUTHOR: dict[str, Any] = {k: v for k, v in WITH_AUTHOR.items() if k != "include"}


def settings(output: Path) -> dict[str, Any]:
    return {}  # the blog's own cache: tiers = ["memory"], ttl = 30 (settings.toml)


def _counters(infra: Infrastructure, model: str) -> dict[str, int]:
    """Hits, misses, fills and engine calls of ``model`` over all its tiers (``infra.cache_for(model).stats()``)."""
    found = infra.cache_for(model).stats()
    tiers = found["tiers"].values()
    return {
        "hits": sum(t["hits"] + t["stale_hits"] for t in tiers),
        "misses": sum(t["misses"] for t in tiers),
        "fills": sum(t["fills"] for t in tiers),
        "engine_calls": found["engine_calls"],
    }


def _per_model(infra: Infrastructure) -> dict[str, dict[str, int]]:
    """``infra.cache.stats()["models"]``, summed over the tiers of each model."""
    out: dict[str, dict[str, int]] = {}
    for model, found in infra.cache.stats()["models"].items():
        tiers = found["tiers"].values()
        out[model] = {
            "hits": sum(t["hits"] + t["stale_hits"] for t in tiers),
            "misses": sum(t["misses"] for t in tiers),
            "fills": sum(t["fills"] for t in tiers),
            "engine_calls": found["engine_calls"],
        }
    return out


async def show(infra: Infrastructure, console: Console, output: Path) -> dict[str, Any]:
    console.rule("[bold cyan]Caching: a miss, a hit, relation-aware invalidation")
    posts, users = infra.repository("post"), infra.repository("user")
    cache = infra.cache_for("post")
    before = _per_model(infra)
    reads: list[dict[str, Any]] = []

    async def read(label: str, model: str, call: Any) -> Any:
        """Run one read, timed, and tell from ``model``'s cache counters whether it was a hit."""
        counted = _counters(infra, model)
        started = time.perf_counter()
        result = await call()
        elapsed = time.perf_counter() - started
        now = _counters(infra, model)
        delta = {k: now[k] - counted[k] for k in now}
        outcome = "hit" if delta["hits"] == 1 and delta["misses"] == 0 else "miss" if delta["misses"] == 1 else "?"
        reads.append({"read": label, "model": model, "outcome": outcome, "ms": round(elapsed * 1000, 3), **delta})
        return result

    def top_posts(args: dict[str, Any]) -> Any:
        return lambda: posts.find_many(
            args["where"], include=args.get("include"), order_by=args["orderBy"], take=args["take"]
        )

    explained = cache.explain("findMany", WITH_AUTHOR)
    plain_tags = cache.explain("findMany", WITHOUT_AUTHOR)["tags"]
    console.print(
        "[bold]A[/] = posts.find_many({'status': 'PUBLISHED'}, include={'author': True}, "
        "order_by={'views': 'desc'}, take=25)\n"
        "[bold]B[/] = the same without include (reads Post only)\n"
        f"cache_for('post').explain(...): A is cached in {explained['tiers']} for {explained['ttl']:.0f} s "
        f"with tags {explained['tags']}, B with tags {plain_tags}"
    )
    cached_at_start = await cache.contains("findMany", WITH_AUTHOR)
    first = await read("A", "Post", top_posts(WITH_AUTHOR))
    await read("A again", "Post", top_posts(WITH_AUTHOR))
    await read("B", "Post", top_posts(WITHOUT_AUTHOR))
    await read("B again", "Post", top_posts(WITHOUT_AUTHOR))
    author = first[0]["author"]
    await read(f"users.find_unique({author['id']})", "User", lambda: users.find_unique(author["id"]))
    await read(f"users.find_unique({author['id']}) again", "User", lambda: users.find_unique(author["id"]))

    renamed = f"{author['name']} (renamed)"
    cached_before_write = {
        "with_author": await cache.contains("findMany", WITH_AUTHOR),
        "without_author": await cache.contains("findMany", WITHOUT_AUTHOR),
    }
    await users.update(author["id"], {"name": renamed})  # a write to User, not to Post
    written_at = len(reads)
    cached_after_write = {
        "with_author": await cache.contains("findMany", WITH_AUTHOR),
        "without_author": await cache.contains("findMany", WITHOUT_AUTHOR),
    }
    console.print(f"[bold]write[/]: users.update({author['id']}, {{'name': {renamed!r}}}), the author of A's top post")
    console.print(
        f"cache_for('post').contains(...) before / after the write: A {cached_before_write['with_author']} / "
        f"{cached_after_write['with_author']}, B {cached_before_write['without_author']} / "
        f"{cached_after_write['without_author']}"
    )
    fresh = await read("A after the User write", "Post", top_posts(WITH_AUTHOR))
    await read("B after the User write", "Post", top_posts(WITHOUT_AUTHOR))
    await read(f"users.find_unique({author['id']}) after the write", "User", lambda: users.find_unique(author["id"]))
    await read("A again", "Post", top_posts(WITH_AUTHOR))

    table = Table(title="each read timed (time.perf_counter) and counted by the cache (its model's counters)")
    for column in ("#", "read", "model", "outcome", "ms", "hits +", "misses +", "database calls +"):
        table.add_column(column, justify="left" if column in ("read", "model", "outcome") else "right")
    for i, r in enumerate(reads, 1):
        if i == written_at + 1:
            table.add_section()
        colour = "green" if r["outcome"] == "hit" else "yellow"
        table.add_row(
            str(i),
            r["read"],
            r["model"],
            f"[{colour}]{r['outcome']}[/]",
            f"{r['ms']:.3f}",
            str(r["hits"]),
            str(r["misses"]),
            str(r["engine_calls"]),
        )
    console.print(table)
    misses_ms = [r["ms"] for r in reads if r["outcome"] == "miss"]
    hits_ms = [r["ms"] for r in reads if r["outcome"] == "hit"]
    if misses_ms and hits_ms:
        console.print(
            f"a miss took {min(misses_ms):.2f}-{max(misses_ms):.2f} ms (database), a hit "
            f"{min(hits_ms):.3f}-{max(hits_ms):.3f} ms (in-process copy): "
            f"{(sum(misses_ms) / len(misses_ms)) / (sum(hits_ms) / len(hits_ms)):.0f}x faster on average"
        )
    console.print(
        f"after the write, A missed and saw the new name {fresh[0]['author']['name']!r}; "
        f"B never read User, so it stayed a hit"
    )

    after = _per_model(infra)
    stats = infra.cache.stats()
    per_model: dict[str, dict[str, Any]] = {}
    for model, total in sorted(after.items()):
        earlier = before.get(model, dict.fromkeys(total, 0))
        delta = {k: total[k] - earlier[k] for k in total}
        lookups = total["hits"] + total["misses"]
        per_model[model] = {
            "section": delta,
            "run": total,
            "hit_ratio": round(total["hits"] / lookups, 3) if lookups else None,
        }
    table = Table(title="hits and misses per model: infra.cache.stats()['models'], summed over tiers")
    for column in (
        "model",
        "hits (section)",
        "misses (section)",
        "database calls (section)",
        "hits (run so far)",
        "misses (run so far)",
        "hit ratio (run so far)",
    ):
        table.add_column(column, justify="left" if column == "model" else "right")
    for model, found in per_model.items():
        s, t = found["section"], found["run"]
        table.add_row(
            model,
            str(s["hits"]),
            str(s["misses"]),
            str(s["engine_calls"]),
            str(t["hits"]),
            str(t["misses"]),
            "-" if found["hit_ratio"] is None else f"{found['hit_ratio']:.0%}",
        )
    console.print(table)
    memory = stats["stores"].get("memory", {})
    console.print(
        f"invalidations (generation bumps by writes) over the run: {stats['invalidations']}; "
        f"in-process store: {memory.get('entries', '?')} entries, {memory.get('bytes', '?')} bytes"
    )
    return {
        "cached_at_start": cached_at_start,
        "cached_before_write": cached_before_write,
        "cached_after_write": cached_after_write,
        "tags_with_author": explained["tags"],
        "tags_without_author": plain_tags,
        "reads": reads,
        "write_after_read": written_at,
        "outcomes": [r["outcome"] for r in reads],
        "written": {"model": "User", "id": author["id"], "name": renamed},
        "author_after_write": fresh[0]["author"]["name"],
        "post_before": before.get("Post", {}),
        "post_after": after.get("Post", {}),
        "per_model": per_model,
        "invalidations": stats["invalidations"],
    }
