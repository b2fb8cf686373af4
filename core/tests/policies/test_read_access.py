"""What the policies publish for other features: the decider (POLICIES) and read access (ROW_FILTERS),
the code-defined policies kept in the kernel's stash, and the actor as `prisma_infra.actor` reads it."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from prisma_infra.actor import ActorInfo, actor_id, actor_roles, actor_tenant
from prisma_infra.context import acting_as
from prisma_infra.operation import Action, Operation, OperationContext
from prisma_infra.policies import (
    POLICIES,
    AccessDeniedError,
    AccessPlan,
    FieldReadDeniedError,
    Plan,
    PolicyDecider,
    PolicyEngine,
    bypass_policies,
    policy_registry,
)
from prisma_infra.ports.row_filters import READ_ACCESS, ROW_FILTERS

TENANT_USERS = {
    "User": {
        "policies": [
            {
                "name": "users",
                "rules": [{"name": "tenant", "effect": "allow", "actions": "read", "where": {"tenantId": "{tenant}"}}],
                "fields": [{"name": "private-email", "fields": ["email"], "read": "mask", "except_roles": ["ADMIN"]}],
            }
        ]
    }
}
BOB = {"id": 2, "roles": ["AUTHOR"], "tenant_id": "a"}


def test_old_names_are_aliases() -> None:
    assert PolicyEngine is PolicyDecider and Plan is AccessPlan and READ_ACCESS is ROW_FILTERS


async def test_the_middleware_publishes_the_decider_and_read_access(build: Any) -> None:
    infra = await build(models=TENANT_USERS)
    services = infra.runtime.services
    assert services.require(POLICIES) is infra.policies
    access = services.require(ROW_FILTERS)
    model = infra.schema.model("User")
    operation = Operation(model="User", action=Action.FIND_MANY, args={}, context=OperationContext(actor=BOB))
    scoped, finish = access.scope_read(operation)
    assert scoped.args["where"] == {"AND": [{"tenantId": "a"}]}
    assert finish([{"id": 1, "email": "ann@a.io"}]) == [{"id": 1, "email": None}]
    with acting_as(BOB):
        assert set(access.unreadable_fields("User")) == {"email"}
        row_filter, where = access.aggregate_scope(model, {"name": "Ann"}, [(model.field("id"), "analytics count")])
        assert row_filter == {"tenantId": "a"} and where == {"name": "Ann"}
        with pytest.raises(FieldReadDeniedError):
            access.aggregate_scope(model, None, [(model.field("email"), "analytics group_by")])


async def test_read_access_is_a_no_op_when_bypassed_or_disabled(build: Any) -> None:
    infra = await build(models=TENANT_USERS)
    access = infra.runtime.services.require(ROW_FILTERS)
    model = infra.schema.model("User")
    operation = Operation(model="User", action=Action.FIND_MANY, args={}, context=OperationContext(actor=BOB))
    with acting_as(BOB), bypass_policies():
        assert access.scope_read(operation)[0] is operation
        assert not access.unreadable_fields("User")
        assert access.aggregate_scope(model, None, [(model.field("email"), "analytics group_by")]) == (None, None)
    disabled = await build(models=TENANT_USERS, policies={"enabled": False})
    with acting_as(BOB):
        assert not disabled.runtime.services.require(ROW_FILTERS).unreadable_fields("User")


async def test_a_denied_model_refuses_the_aggregate(build: Any) -> None:
    infra = await build(models=TENANT_USERS, policies={"default": "deny"})
    access = infra.runtime.services.require(ROW_FILTERS)
    with acting_as(BOB), pytest.raises(AccessDeniedError):
        access.aggregate_scope(infra.schema.model("Post"), None, [])


async def test_no_read_access_without_the_policies_middleware(build: Any) -> None:
    infra = await build(models=TENANT_USERS, pipeline={"disable": ["policies"]})
    assert infra.runtime.services.get(ROW_FILTERS) is None and infra.runtime.services.get(POLICIES) is None


async def test_code_defined_policies_live_in_the_kernel_stash_across_reloads(build: Any) -> None:
    infra = await build()
    registry = policy_registry(infra)
    assert policy_registry(infra.stash) is registry
    infra.define_policy("Post", "mine").allow("read", where={"authorId": "{actor.id}"})
    before = infra.runtime.services.require(POLICIES)
    config = infra.runtime.config
    await infra.apply_config(
        config.model_copy(update={"policies": config.policies.model_copy(update={"raw_roles": ["ADMIN"]})})
    )
    assert infra.runtime.services.require(POLICIES) is not before and policy_registry(infra) is registry
    plan = infra.runtime.services.require(POLICIES).plan(BOB, "Post", Action.FIND_MANY)
    assert plan.filter == {"authorId": 2}


class Role(enum.Enum):
    ADMIN = "ADMIN"


@dataclass
class Account:
    id: int
    role: Role
    tenant_id: str


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (None, ActorInfo(None, frozenset(), None)),
        ("svc-batch", ActorInfo("svc-batch", frozenset(), None)),
        (7, ActorInfo(7, frozenset(), None)),
        (uuid.UUID(int=1), ActorInfo(uuid.UUID(int=1), frozenset(), None)),
        (BOB, ActorInfo(2, frozenset({"AUTHOR"}), "a")),
        ({"id": 3, "role": "READER", "roles": "EDITOR"}, ActorInfo(3, frozenset({"EDITOR"}), None)),
        (Account(4, Role.ADMIN, "b"), ActorInfo(4, frozenset({"ADMIN"}), "b")),
    ],
)
def test_one_actor_adapter(actor: Any, expected: ActorInfo) -> None:
    assert ActorInfo.of(actor) == expected
    assert (actor_id(actor), actor_roles(actor), actor_tenant(actor)) == (expected.id, expected.roles, expected.tenant)
    assert actor_tenant(actor, "t") == "t"
