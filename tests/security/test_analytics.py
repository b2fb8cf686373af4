"""Analytics on both paths: the Prisma path (no interval) and the SQL path (an interval, or ``distinct``).

With the recommended set only ``ADMIN`` runs raw SQL, and the SQL path is raw
SQL: a READER is refused there (`policies.raw_roles`) or refused by field. A
second infrastructure on the same database leaves ``raw_roles`` at its default
(everyone) so the SQL path itself is attacked: it must apply the row filter and
refuse hidden and masked fields by name, like the Prisma path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from prisma_infra.analytics import AnalyticsQuery
from prisma_infra.infrastructure import Infrastructure

from tests.security.policy_set import ADMIN, ATTACKER
from tests.security.security_support import World, assert_field_refused, assert_no_secret, attempt, settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

Build = Callable[[Infrastructure], AnalyticsQuery]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def open_raw(world: World) -> AsyncIterator[Infrastructure]:
    """The same database and policies, with ``policies.raw_roles`` unset (the project's default)."""
    config = settings(world.schema, world.url, world.folder / "open-raw", policies={"raw_roles": None})
    async with Infrastructure(config) as started:
        yield started


def prisma_path(q: AnalyticsQuery) -> AnalyticsQuery:
    return q


def sql_path(q: AnalyticsQuery) -> AnalyticsQuery:
    return q.interval("day").since("2d")


PATHS = {"prisma": prisma_path, "sql": sql_path}

#: (id, query, the field it must be refused on)
FIELD_ATTACKS: list[tuple[str, Build, str]] = [
    ("group-by-hidden-card", lambda i: i.analytics("user").metrics(["count"]).group_by("cardNumber"), "cardNumber"),
    ("group-by-masked-email", lambda i: i.analytics("user").metrics(["count"]).group_by("email"), "email"),
    ("sum-masked-salary", lambda i: i.analytics("user").metrics(["sum:salary"]), "salary"),
    ("max-masked-salary", lambda i: i.analytics("user").metrics(["max:salary"]), "salary"),
    ("avg-masked-salary", lambda i: i.analytics("user").metrics([{"avg": "salary"}]), "salary"),
    ("min-masked-email", lambda i: i.analytics("user").metrics(["min:email"]), "email"),
    ("count-hidden-card", lambda i: i.analytics("user").metrics(["count:cardNumber"]), "cardNumber"),
    ("distinct-hidden-card", lambda i: i.analytics("user").metrics(["distinct:cardNumber"]), "cardNumber"),
    ("where-hidden-card", lambda i: i.analytics("user").metrics(["count"]).where(
        {"cardNumber": {"startsWith": "4111"}}), "cardNumber"),
    ("where-masked-salary", lambda i: i.analytics("user").metrics(["count"]).where({"salary": {"gt": 515000}}),
     "salary"),
    ("group-by-hidden-secret", lambda i: i.analytics("post").metrics(["sum:views"]).group_by("secret"), "secret"),
]


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize(("build", "field"), [a[1:] for a in FIELD_ATTACKS], ids=[a[0] for a in FIELD_ATTACKS])
async def test_analytics_field_attack(infra: Infrastructure, open_raw: Infrastructure, path: str, build: Build,
                                      field: str) -> None:
    shape = PATHS[path]
    with infra.acting_as(ADMIN):  # the control: the query is valid and computes on the field
        result = await shape(build(infra)).generate()
        assert result.totals or result.groups
    for target in (infra, open_raw):
        with target.acting_as(ATTACKER):
            outcome = await attempt(lambda t=target: shape(build(t)).generate())
        if target is infra and outcome[0] == "error" and getattr(outcome[1], "policy", None) == "policies.raw_roles":
            continue  # the SQL path (interval, distinct) is raw SQL, refused to READER before any field is read
        assert_field_refused(outcome, field)


@pytest.mark.parametrize("path", list(PATHS))
async def test_analytics_counts_only_the_attackers_tenant(infra: Infrastructure, open_raw: Infrastructure,
                                                          path: str) -> None:
    shape = PATHS[path]
    with open_raw.acting_as(ATTACKER):
        users = await shape(open_raw.analytics("user").metrics(["count"])).generate()
        posts = open_raw.analytics("post").metrics(["count", "sum:views"]).group_by("tenantId")
        by_tenant = await shape(posts).generate()
        globex = await shape(open_raw.analytics("comment").metrics(["count"]).where({"tenantId": "globex"})).generate()
    assert users.totals["count"] == 2
    assert by_tenant.groups == [{"tenantId": "acme"}] and by_tenant.totals["sum:views"] == 12
    assert globex.totals["count"] == 0
    assert_no_secret([users.to_dict(), by_tenant.to_dict()])
    with open_raw.acting_as(ADMIN):
        assert (await shape(open_raw.analytics("user").metrics(["count"])).generate()).totals["count"] == 4


async def test_analytics_relation_filter_is_refused_or_scoped(infra: Infrastructure, open_raw: Infrastructure) -> None:
    """The analytics filter subset has no relation filters: an attempt is an error, never an unscoped join."""
    for shape in PATHS.values():
        with open_raw.acting_as(ATTACKER):
            kind, value = await attempt(lambda s=shape: s(open_raw.analytics("post").metrics(["count"]).where(
                {"comments": {"some": {"body": {"startsWith": "globex spy"}}}})).generate())
        assert kind == "error", value
        assert_no_secret(str(value))


async def test_analytics_to_sql_shows_the_row_filter(open_raw: Infrastructure) -> None:
    with open_raw.acting_as(ATTACKER):
        (statement,) = sql_path(open_raw.analytics("user").metrics(["count"])).to_sql()
    assert "acme" in statement.params, statement

