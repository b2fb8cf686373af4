"""`make demo`'s monitoring section: percentiles of the demo's own work, a provoked N+1, the commands."""

from __future__ import annotations

from typing import Any

import pytest

from tests.examples.demo_run import TourRun

pytestmark = pytest.mark.integration


def _rows(tour: TourRun) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["model"], r["action"]): r for r in tour.section("monitoring")["percentiles"]}


def test_percentiles_per_model_and_action_of_the_demos_own_work(tour: TourRun) -> None:
    facts = tour.section("monitoring")
    rows = _rows(tour)
    models = {model for model, _ in rows}
    assert {"User", "Post", "Comment", "Tag"} <= models
    # The seed's bulk writes and the tour's reads were measured, each under its own action.
    assert rows[("User", "createMany")]["count"] >= 1 and rows[("Post", "createMany")]["count"] >= 1
    assert rows[("Post", "findMany")]["count"] >= 1
    for row in rows.values():
        assert row["count"] > 0
        assert 0 <= row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"], row
    # Bulk inserts of hundreds of rows are slower than a count: the numbers are measured, not made up.
    assert rows[("Post", "createMany")]["p50_ms"] > rows[("Post", "count")]["p50_ms"]
    # The exporter's histograms and the monitor's snapshot saw the same operations.
    assert sum(r["count"] for r in rows.values()) == facts["snapshot_operations"] > 0
    assert facts["snapshot_p50_ms"] <= facts["snapshot_p95_ms"] <= facts["snapshot_p99_ms"]
    assert "User" in tour.output and "p95 ms" in tour.output


def test_the_provoked_n_plus_one_is_reported_with_its_suggestion(tour: TourRun) -> None:
    facts = tour.section("monitoring")
    finding = facts["finding"]
    assert finding is not None
    assert facts["n_plus_one_reads"] == 15 > facts["n_plus_one_threshold"] == 10
    assert (finding["model"], finding["action"]) == ("User", "findUnique")
    assert finding["reads"] == facts["n_plus_one_threshold"]
    assert finding["count"] > finding["count_before"]
    assert finding["include"] == {"author": True}
    assert "include={'author': True}" in finding["suggestion"]
    assert ".load(posts, 'author')" in finding["suggestion"]
    assert finding["message"] in tour.output


def test_the_dashboard_and_rest_api_commands_are_shown(tour: TourRun) -> None:
    facts = tour.section("monitoring")
    assert facts["dashboard_without_token"] == 401 and facts["dashboard_with_token"] == 200
    serve = "prisma-infra serve --settings examples/blog/settings.toml"
    assert serve in facts["commands"] and serve in tour.output
    assert "prisma-infra dashboard --settings examples/blog/settings.toml" in tour.output
    assert "PRISMA_INFRA_MONITORING__WEB__TOKEN" in tour.output
