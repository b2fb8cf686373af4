"""`make demo`'s caching section: a miss then a hit, relation-aware invalidation, hit/miss stats per model."""

from __future__ import annotations

from typing import Any

import pytest

from tests.examples.demo_run import TourRun

pytestmark = pytest.mark.integration


def reads(tour: TourRun) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = tour.section("caching")["reads"]
    return found


def test_the_same_query_twice_is_a_miss_then_a_hit(tour: TourRun) -> None:
    facts = tour.section("caching")
    assert facts["cached_at_start"] is False
    first, second = reads(tour)[0], reads(tour)[1]
    assert (first["read"], second["read"]) == ("A", "A again")
    # The cache's own counters say which was which: the miss ran the database and filled an entry.
    assert (first["model"], first["outcome"], first["hits"], first["misses"]) == ("Post", "miss", 0, 1)
    assert (first["fills"], first["engine_calls"]) == (1, 1)
    assert (second["outcome"], second["hits"], second["misses"], second["engine_calls"]) == ("hit", 1, 0, 0)
    assert 0 < second["ms"] < first["ms"]
    assert facts["tags_with_author"] == ["*", "m:Post", "m:User"]
    assert facts["tags_without_author"] == ["*", "m:Post"]


def test_a_write_to_the_related_model_invalidates_only_the_reads_of_it(tour: TourRun) -> None:
    facts = tour.section("caching")
    assert facts["outcomes"] == ["miss", "hit", "miss", "hit", "miss", "hit", "miss", "hit", "miss", "hit"]
    assert facts["write_after_read"] == 6
    assert facts["cached_before_write"] == {"with_author": True, "without_author": True}
    assert facts["cached_after_write"] == {"with_author": False, "without_author": True}
    after = reads(tour)[6:]
    assert [(r["read"], r["outcome"]) for r in after[:2]] == [
        ("A after the User write", "miss"),
        ("B after the User write", "hit"),
    ]
    assert after[0]["engine_calls"] == 1 and after[1]["engine_calls"] == 0
    written = facts["written"]
    assert written["model"] == "User" and written["name"].endswith(" (renamed)")
    assert facts["author_after_write"] == written["name"]  # the miss read the new name, not a stale entry


def test_the_stats_per_model_count_the_sections_reads(tour: TourRun) -> None:
    facts = tour.section("caching")
    per_model = facts["per_model"]
    for model in ("Post", "User"):
        mine = [r for r in reads(tour) if r["model"] == model]
        section = per_model[model]["section"]
        assert section["hits"] == sum(r["outcome"] == "hit" for r in mine)
        assert section["misses"] == sum(r["outcome"] == "miss" for r in mine)
        assert section["engine_calls"] == section["misses"] == section["fills"]
        run = per_model[model]["run"]
        assert run["hits"] >= section["hits"] and run["misses"] >= section["misses"]
        assert per_model[model]["hit_ratio"] == round(run["hits"] / (run["hits"] + run["misses"]), 3)
    assert (per_model["Post"]["section"]["hits"], per_model["Post"]["section"]["misses"]) == (4, 3)
    assert (per_model["User"]["section"]["hits"], per_model["User"]["section"]["misses"]) == (1, 2)
    post_before, post_after = facts["post_before"], facts["post_after"]
    assert post_after["hits"] - post_before.get("hits", 0) == 4
    assert post_after["misses"] - post_before.get("misses", 0) == 3
    assert facts["invalidations"] > 0


def test_the_section_prints_its_tables(tour: TourRun) -> None:
    text = tour.output
    assert "Caching: a miss, a hit, relation-aware invalidation" in text
    assert "each read timed (time.perf_counter)" in text
    assert "hits and misses per model: infra.cache.stats()['models']" in text
    assert "A True / False, B True / True" in text
    assert f"saw the new name {tour.section('caching')['written']['name']!r}" in text
