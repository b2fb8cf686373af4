"""What held must keep holding: actor attributes are values, never operators; no identifier or value
injection; a hot reload with invalid policies never fails open."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prisma_infra.errors import PrismaInfraError
from prisma_infra.infrastructure import Infrastructure

from tests.security.policy_set import ADMIN, ATTACKER, POLICY_SET
from tests.security.security_support import (
    ACME_POSTS,
    ACME_USERS,
    World,
    assert_no_secret,
    attempt,
    ids,
    is_refusal,
    settings,
    snapshot,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@dataclass
class ObjectActor:
    id: int
    roles: list[str]
    tenant_id: Any


INJECTED: list[tuple[str, Any]] = [
    ("not-operator", {"not": "x"}),
    ("in-operator", {"in": ["acme", "globex"]}),
    ("contains-empty", {"contains": ""}),
    ("list-of-tenants", ["acme", "globex"]),
    ("nested-and", {"AND": []}),
    ("gt-empty", {"gt": ""}),
    ("set-value", {"acme", "globex"}),
]


def assert_policy_error(outcome: tuple[str, Any], attribute: str = "tenant_id") -> None:
    kind, value = outcome
    assert kind == "error", f"an injected actor attribute was used: got {value!r:.300}"
    names = [c.__name__ for c in type(value).__mro__]
    assert "PolicyError" in names, f"expected PolicyError, got {value!r}"
    assert getattr(value, "attribute", None) == attribute, value
    assert_no_secret(str(value))


@pytest.mark.parametrize("value", [v for _, v in INJECTED], ids=[i for i, _ in INJECTED])
async def test_actor_attribute_injection_on_reads(infra: Infrastructure, value: Any) -> None:
    for actor in ({"id": 1, "roles": ["READER"], "tenant_id": value}, ObjectActor(1, ["READER"], value)):
        with infra.acting_as(actor):
            assert_policy_error(await attempt(lambda: infra.repository("post").find_many()))
            assert_policy_error(await attempt(lambda: infra.repository("user").count()))
    with infra.acting_as(ATTACKER):  # the control: a scalar tenant works
        assert ids(await infra.repository("post").find_many()) == ACME_POSTS


@pytest.mark.parametrize("value", [{"not": "x"}, ["acme", "globex"]], ids=["not-operator", "list"])
async def test_actor_attribute_injection_on_writes(infra: Infrastructure, value: Any) -> None:
    before = await snapshot(infra)
    with infra.acting_as({"id": 1, "roles": ["READER"], "tenant_id": value}):
        assert_policy_error(await attempt(lambda: infra.repository("post").update_many(data={"title": "pwned"})))
        assert_policy_error(await attempt(lambda: infra.repository("comment").delete_many()))
    assert await snapshot(infra) == before


async def test_actor_attribute_injection_in_analytics_and_cache_scope(infra: Infrastructure) -> None:
    with infra.acting_as({"id": 1, "roles": ["READER"], "tenant_id": {"not": "x"}}):
        assert_policy_error(await attempt(lambda: infra.analytics("post").metrics(["count"]).generate()))


@pytest.mark.parametrize("value", ["acme' OR '1'='1", "acme\" OR 1=1 --", "%", "acme%", 7, True])
async def test_actor_attribute_scalar_is_a_value(infra: Infrastructure, value: Any) -> None:
    """Scalars are compared as values: quoting, LIKE wildcards and other types match nothing."""
    with infra.acting_as({"id": 1, "roles": ["READER"], "tenant_id": value}):
        outcome = await attempt(lambda: infra.repository("post").find_many())
    assert outcome == ("ok", []) or (outcome[0] == "error" and not isinstance(outcome[1], KeyError)), outcome


VALUE_INJECTIONS = ["' OR '1'='1", "\"; DROP TABLE \"User\"; --", "x') OR 1=1 --", "\\", "%", "_", "acme%"]


@pytest.mark.parametrize("value", VALUE_INJECTIONS)
async def test_value_injection_in_filters_and_search(infra: Infrastructure, value: str) -> None:
    with infra.acting_as(ATTACKER):
        assert await infra.repository("post").find_many({"title": value}) == []
        assert await infra.repository("post").find_many({"title": {"contains": value}}) == []
        assert await infra.repository("post").search(value) == []
        count = await infra.analytics("post").metrics(["count"]).where({"title": {"startsWith": value}}).generate()
    assert count.totals["count"] == 0
    assert ids(await _as_admin_posts(infra)) == {10, 11, 20, 21}  # the tables are intact


async def _as_admin_posts(infra: Infrastructure) -> Any:
    with infra.acting_as(ADMIN):
        return await infra.repository("post").find_many()


IDENTIFIERS = ['id"; DROP TABLE "User"; --', "id) OR 1=1 --", "User.cardNumber", "__proto__", "tenantId\x00"]


@pytest.mark.parametrize("name", IDENTIFIERS)
async def test_identifier_injection_is_refused(infra: Infrastructure, name: str) -> None:
    before = await snapshot(infra)
    with infra.acting_as(ATTACKER):
        attacks = [
            lambda: infra.repository("post").find_many(order_by={name: "asc"}),
            lambda: infra.repository("post").find_many({name: "x"}),
            lambda: infra.repository("post").group_by([name]),
            lambda: infra.analytics("post").metrics(["count"]).group_by(name).generate(),
            lambda: infra.analytics("post").metrics([f"sum:{name}"]).generate(),
            lambda: infra.call(name, "findMany", {}),
        ]
        for attack in attacks:
            kind, value = await attempt(attack)
            assert kind == "error" and isinstance(value, PrismaInfraError), (name, kind, value)
    assert await snapshot(infra) == before


async def test_unknown_action_is_a_project_error(infra: Infrastructure) -> None:
    with infra.acting_as(ATTACKER):
        try:
            await infra.call("User", "dropTable", {})
        except PrismaInfraError as exc:
            assert "dropTable" in str(exc)
        else:
            raise AssertionError("an unknown action ran")


# -- hot reload never fails open -----------------------------------------------------------------


def _write(path: Path, config: dict[str, Any]) -> None:
    path.write_text(json.dumps({"default": config}))


BAD_POLICIES: list[tuple[str, dict[str, Any]]] = [
    ("unknown-field", {"name": "users", "rules": [{"name": "r", "effect": "allow", "actions": ["read"],
                                                    "where": {"tenantIdd": "{actor.tenant_id}"}}]}),
    ("unknown-action", {"name": "users", "rules": [{"name": "r", "effect": "allow", "actions": ["reed"]}]}),
    ("bad-effect", {"name": "users", "rules": [{"name": "r", "effect": "maybe", "actions": ["read"]}]}),
    ("bad-mask", {"name": "users", "rules": [{"name": "r", "effect": "allow", "actions": ["read"]}],
                  "fields": [{"name": "f", "fields": ["cardNumber"], "read": "mask", "mask": "nope"}]}),
]


@pytest.mark.parametrize("bad", [b for _, b in BAD_POLICIES], ids=[i for i, _ in BAD_POLICIES])
async def test_invalid_policy_reload_keeps_the_old_policies(world: World, infra: Infrastructure,
                                                            tmp_path: Path, bad: dict[str, Any]) -> None:
    path = tmp_path / "settings.json"
    config = settings(world.schema, world.url, tmp_path)
    _write(path, config)
    async with Infrastructure.from_settings(path) as reloaded:
        broken = json.loads(json.dumps(config))
        broken["models"]["User"]["policies"] = [bad]
        _write(path, broken)
        with pytest.raises(PrismaInfraError):
            await reloaded.reload()
        with pytest.raises(PrismaInfraError):
            await reloaded.configure({"models": {"User": {"policies": [bad]}}})
        with reloaded.acting_as(ATTACKER):
            users = await reloaded.repository("user").find_many()
            refused = await attempt(lambda: reloaded.repository("user").find_many({"cardNumber": {"startsWith": "5"}}))
        assert ids(users) == ACME_USERS
        assert_no_secret(users)
        assert (refused[0] == "ok" and refused[1] == []) or (refused[0] == "error" and is_refusal(refused[1]))


async def test_reload_that_drops_every_policy_is_what_the_file_says(world: World, infra: Infrastructure,
                                                                   tmp_path: Path) -> None:
    """A valid reload applies (no fail-closed magic), and a reload back restores the tenant filter at once."""
    path = tmp_path / "settings.json"
    config = settings(world.schema, world.url, tmp_path)
    _write(path, config)
    async with Infrastructure.from_settings(path) as reloaded:
        locked = json.loads(json.dumps(config))
        locked["models"]["Post"]["policies"] = [{"name": "posts", "rules": [
            {"name": "platform-admins", "effect": "allow", "actions": ["all"], "roles": ["ADMIN"]}]}]
        _write(path, locked)
        await reloaded.reload()
        with reloaded.acting_as(ATTACKER):
            denied = await attempt(lambda: reloaded.repository("post").find_many())
        assert denied[0] == "error" and is_refusal(denied[1]), denied
        _write(path, config)
        await reloaded.reload()
        with reloaded.acting_as(ATTACKER):
            assert ids(await reloaded.repository("post").find_many()) == ACME_POSTS
    assert POLICY_SET["policies"]["raw_roles"] == ["ADMIN"]
