"""One process's monitoring as a publication, and several publications merged into one dashboard document.

What merges exactly and what does not:

* counts (operations, errors, rows, error classes, cache results, per model and action)
  are summed; a model's ``max_ms`` is the largest, its ``avg_ms`` the mean weighted by
  operations;
* latencies are not averaged: every publication carries its per-second latency
  *histograms* (the monitor's log-spaced buckets), which are summed second by second,
  and p50/p95/p99 are read from the merged histograms — the same estimate one process
  with all the traffic would give;
* recent errors, slow operations and findings are lists: concatenated (newest first,
  each naming its ``process``), a finding seen by several processes counted once with
  the sum of their counts; a publication carries at most `PUBLISHED_ENTRIES` of each
  list, stack traces cut to `PUBLISHED_TRACEBACK` characters.

Other processes' numbers are as of their last publication (one publish interval old
at most). Series seconds are Unix seconds on each host's clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prisma_infra.monitoring.series import Slot, render

if TYPE_CHECKING:
    from prisma_infra.monitoring.monitor import Monitor

__all__ = ["PUBLISHED_ENTRIES", "PUBLISHED_TRACEBACK", "VERSION", "merge", "publication"]

#: The publication format; a process reading another version ignores it.
VERSION = 1
#: Recent errors, slow operations and findings a publication carries, newest first.
PUBLISHED_ENTRIES = 20
PUBLISHED_TRACEBACK = 2_000


def _sparse(hist: Sequence[int]) -> list[int]:
    out: list[int] = []
    for index, count in enumerate(hist):
        if count:
            out += (index, count)
    return out


def _entries(entries: Iterable[dict[str, Any]], full: bool) -> list[dict[str, Any]]:
    out = list(entries)
    if full:
        return out
    out = out[:PUBLISHED_ENTRIES]
    return [
        {**e, "traceback": e["traceback"][-PUBLISHED_TRACEBACK:]} if isinstance(e.get("traceback"), str) else e
        for e in out
    ]


def publication(
    monitor: Monitor, process: Mapping[str, Any], published_at: float, *, full: bool = False, now: int | None = None
) -> dict[str, Any]:
    """What one process publishes of its `Monitor` (JSON-ready); ``full``: every list entry (this process).

    :param process: ``{"id", "pid", "host", "started_at"}``.
    :param published_at: when, on the kernel's clock (liveness is judged on it).
    :param now: the Unix second the series ends at (the monitor's clock: the wall clock).
    """
    now = int(time.time()) if now is None else now
    seconds = [
        [second, slot.count, slot.errors, slot.hits, slot.misses, slot.stale, _sparse(slot.hist)]
        for second, slot in monitor.series.window(now, monitor.series.size)
        if slot is not None and slot.count
    ]
    models = monitor.usage()
    return {
        "v": VERSION,
        "process": dict(process),
        "published_at": published_at,
        "now": now,
        "enabled": monitor.config.enabled,
        "slow_operation_ms": monitor.config.slow_operation_ms,
        "totals": {
            "operations": monitor.operations,
            "errors": monitor.errors,
            "rows": sum(int(m["rows"]) for m in models),
            "error_classes": dict(monitor.error_classes),
            "cache": dict(monitor.cache_results),
        },
        "seconds": seconds,
        "models": models,
        "recent_errors": _entries(reversed(monitor.recent_errors), full),
        "slow_operations": _entries(reversed(monitor.slow_operations), full),
        "findings": _entries((f.as_dict() for f in reversed(monitor.findings.values())), full),
    }


def _add(counts: dict[str, int], more: Mapping[str, Any]) -> None:
    for key, value in more.items():
        counts[key] = counts.get(key, 0) + int(value)


def _slots(publications: Sequence[Mapping[str, Any]], low: int, high: int) -> dict[int, Slot]:
    slots: dict[int, Slot] = {}
    for pub in publications:
        for second, count, errors, hits, misses, stale, hist in pub["seconds"]:
            if not low <= second <= high:
                continue
            slot = slots.get(second)
            if slot is None:
                slot = slots[second] = Slot(second)
            slot.count += count
            slot.errors += errors
            slot.hits += hits
            slot.misses += misses
            slot.stale += stale
            for i in range(0, len(hist) - 1, 2):
                if 0 <= hist[i] < len(slot.hist):
                    slot.hist[hist[i]] += hist[i + 1]
    return slots


def _models(publications: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[Any, dict[str, Any]] = {}
    for pub in publications:
        for entry in pub["models"]:
            found = merged.get(entry["model"])
            if found is None:
                found = merged[entry["model"]] = {
                    "model": entry["model"],
                    "operations": 0,
                    "errors": 0,
                    "rows": 0,
                    "max_ms": 0.0,
                    "actions": {},
                    "_ms": 0.0,
                    "cache": {},
                }
            found["operations"] += entry["operations"]
            found["errors"] += entry["errors"]
            found["rows"] += entry["rows"]
            found["max_ms"] = max(found["max_ms"], entry["max_ms"])
            found["_ms"] += (entry["avg_ms"] or 0.0) * entry["operations"]
            _add(found["actions"], entry["actions"])
            _add(found["cache"], entry["cache"])
    out = []
    for entry in merged.values():
        total = entry.pop("_ms")
        entry["avg_ms"] = round(total / entry["operations"], 3) if entry["operations"] else None
        out.append(entry)
    out.sort(key=lambda e: e["operations"], reverse=True)
    return out


def _label(pub: Mapping[str, Any]) -> str:
    process = pub["process"]
    return f"{process['host']}:{process['pid']}"


def _listed(publications: Sequence[Mapping[str, Any]], name: str, limit: int) -> list[dict[str, Any]]:
    entries = [{**e, "process": _label(pub)} for pub in publications for e in pub[name]]
    entries.sort(key=lambda e: e.get("time") or 0.0, reverse=True)
    return entries[:limit]


def _findings(publications: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for pub in publications:
        for finding in pub["findings"]:
            found = merged.get(finding["key"])
            if found is None:
                merged[finding["key"]] = {**finding, "processes": [_label(pub)]}
                continue
            found["count"] += finding["count"]
            found["first_seen"] = min(found["first_seen"], finding["first_seen"])
            found["last_seen"] = max(found["last_seen"], finding["last_seen"])
            found["processes"].append(_label(pub))
    return sorted(merged.values(), key=lambda f: f["last_seen"], reverse=True)


def _process(pub: Mapping[str, Any], this: bool) -> dict[str, Any]:
    high = int(pub["now"]) - 1
    recent = sum(entry[1] for entry in pub["seconds"] if high - 10 < entry[0] <= high)
    return {
        **pub["process"],
        "last_seen": pub["published_at"],
        "this": this,
        "operations": pub["totals"]["operations"],
        "errors": pub["totals"]["errors"],
        "ops_per_s": round(recent / 10.0, 2),
    }


def merge(
    publications: Sequence[Mapping[str, Any]], *, span: int, recent_errors: int, slow_operations: int
) -> dict[str, Any]:
    """The dashboard document (the shape of `Monitor.snapshot`) of ``publications``, this process's first.

    Adds ``processes``: one row per publication (``this`` marks this process's).
    """
    local = publications[0]
    now = int(local["now"])
    slots = _slots(publications, now - span + 1, now)
    series, headline = render([(second, slots.get(second)) for second in range(now - span + 1, now + 1)])
    cache: dict[str, int] = {}
    error_classes: dict[str, int] = {}
    for pub in publications:
        _add(cache, pub["totals"]["cache"])
        _add(error_classes, pub["totals"]["error_classes"])
    served = cache.get("hit", 0) + cache.get("stale", 0)
    lookups = served + cache.get("miss", 0)
    started = min(float(pub["process"]["started_at"]) for pub in publications)
    return {
        "now": now,
        "started_at": started,
        "uptime_s": round(time.time() - started, 1),
        "enabled": local["enabled"],
        "slow_operation_ms": local["slow_operation_ms"],
        "totals": {
            "operations": sum(pub["totals"]["operations"] for pub in publications),
            "errors": sum(pub["totals"]["errors"] for pub in publications),
            "rows": sum(pub["totals"]["rows"] for pub in publications),
            **headline,
            "error_classes": dict(sorted(error_classes.items(), key=lambda kv: -kv[1])),
            "cache": {**cache, "hit_ratio": round(served / lookups, 4) if lookups else None},
        },
        "series": series,
        "models": _models(publications),
        "recent_errors": _listed(publications, "recent_errors", recent_errors),
        "slow_operations": _listed(publications, "slow_operations", slow_operations),
        "findings": _findings(publications),
        "processes": [_process(pub, i == 0) for i, pub in enumerate(publications)],
    }
