"""The tour's access-policies section: tenant row filters on the same query, and a denied write naming its rule."""

from __future__ import annotations

import pytest

from tests.examples.demo_run import TourRun

pytestmark = pytest.mark.integration

SEEDED = {"acme": {10, 11, 12}, "globex": {20, 21}}


def test_the_same_query_gives_each_tenant_only_its_own_rows(tour: TourRun) -> None:
    seen = tour.section("policies")["tenants"]
    acme, globex = set(seen["acme"]["ids"]), set(seen["globex"]["ids"])
    assert acme and globex and acme.isdisjoint(globex)
    assert acme == SEEDED["acme"] and globex == SEEDED["globex"]
    assert seen["acme"]["tenant_ids"] == ["acme"] and seen["globex"]["tenant_ids"] == ["globex"]
    assert seen["acme"]["authors"] == ["Ada", "Ann"] and seen["globex"]["authors"] == ["Gus", "Gwen"]
    assert not seen["acme"]["secret_shown"] and not seen["globex"]["secret_shown"]  # secret-hidden


def test_a_platform_admin_sees_every_tenant(tour: TourRun) -> None:
    admin = tour.section("policies")["admin"]
    assert set(admin["ids"]) == SEEDED["acme"] | SEEDED["globex"] and admin["secret_shown"]


def test_moving_a_row_to_another_tenant_is_denied_by_name(tour: TourRun) -> None:
    facts = tour.section("policies")
    denied = facts["denied"]
    assert (denied["error"], denied["policy"], denied["rule"], denied["field"]) == (
        "FieldWriteDeniedError",
        "posts",
        "tenant-is-fixed",
        "tenantId",
    )
    assert "tenant-is-fixed" in tour.output and "policy posts, rule tenant-is-fixed" in tour.output
    cross = facts["cross_tenant_update"]
    assert cross == {"error": "RecordNotFoundError", "title_after": "Acme roadmap", "tenant_after": "acme"}


def test_the_section_prints_both_tenants_tables(tour: TourRun) -> None:
    assert "as READER 1 of tenant 'acme'" in tour.output and "as READER 3 of tenant 'globex'" in tour.output
    assert "Globex Q3 results" in tour.output and "Acme roadmap" in tour.output
    assert tour.section("policies")["seconds"] < 5
