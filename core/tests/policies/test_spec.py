"""Policy configuration: the TOML shape, and errors that name the model, policy and rule."""

from __future__ import annotations

import pytest
from prisma_infra.config.loader import load_config
from prisma_infra.errors import ConfigurationError
from prisma_infra.operation import Action
from prisma_infra.policies import PolicyEngine, parse_policies
from prisma_infra.schema import Schema

from core.tests.doubles import datamodel

SCHEMA = Schema.from_datamodel(datamodel("blog"), provider="postgresql")

TOML = """
[default]
database.engine = "memory-double"
policies.default = "allow"
security.bulk_read_rows = 500
security.business_hours = { start = "09:00", end = "17:30", timezone = "Europe/Paris" }

[[default.models.Post.policies]]
name = "posts"
rules = [
  { name = "admins", effect = "allow", actions = ["all"], roles = ["ADMIN"] },
  { name = "published", effect = "allow", actions = "read", where = { published = true } },
  { name = "own", effect = "allow", actions = ["read", "update", "delete"], where = { authorId = "{actor.id}" } },
  { name = "keep-archived", effect = "deny", actions = ["delete"], where = { status = "ARCHIVED" } },
]
fields = [{ name = "hidden-views", fields = ["views"], read = "hide", except_roles = ["ADMIN"] }]
"""


def test_toml_shape_loads_and_compiles(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "settings.toml").write_text(TOML)
    config = load_config(tmp_path / "settings.toml", env={}).config
    assert config.security.bulk_read_rows == 500
    assert config.security.business_hours is not None
    assert config.security.business_hours.timezone == "Europe/Paris"
    engine = PolicyEngine.from_config(config, SCHEMA)
    assert engine.models == ("Post",)
    plan = engine.plan({"id": 7, "roles": ["AUTHOR"]}, "post", "findMany")
    assert plan.filter == {"OR": [{"published": True}, {"authorId": 7}]}
    assert engine.plan({"id": 7, "role": "ADMIN"}, "Post", Action.DELETE).filter == {"NOT": {"status": "ARCHIVED"}}


def _problems(raw: list[object], model: str = "Post") -> list[str]:
    with pytest.raises(ConfigurationError) as info:
        PolicyEngine(SCHEMA, configured={model: raw})  # type: ignore[dict-item]
    return info.value.problems


def test_unknown_action_names_model_policy_rule_and_suggests() -> None:
    (problem,) = _problems([{"name": "posts", "rules": [{"name": "r1", "effect": "allow", "actions": ["reed"]}]}])
    assert problem.startswith("models.Post.policies[0] ('posts') rules[0] (rule 'r1'): actions")
    assert "unknown action 'reed'" in problem and "Did you mean 'read'?" in problem


def test_unknown_mask_strategy_names_model_policy_field_rule_and_strategy() -> None:
    fields = [{"name": "card", "fields": ["title"], "read": "mask", "mask": "parital"}]
    (problem,) = _problems([{"name": "posts", "fields": fields}])
    assert problem.startswith("models.Post.policies[0] ('posts') fields[0] (field rule 'card'): mask")
    assert "unknown mask strategy 'parital'" in problem and "Did you mean 'partial'?" in problem


def test_unknown_mask_strategy_in_code_is_a_configuration_error() -> None:
    engine = PolicyEngine(SCHEMA)
    policy = engine.define("Post", "posts")
    with pytest.raises(ConfigurationError) as info:
        policy.mask("title", strategy="nope", name="titles")
    assert "'titles' of policy 'posts' on model Post" in info.value.message
    assert "unknown mask strategy 'nope'" in info.value.message
    assert policy.spec.fields == []  # nothing was added
    policy.mask("title", strategy="redact", name="titles")
    assert [rule.mask for rule in policy.spec.fields] == ["redact"]


def test_bad_effect_and_missing_name() -> None:
    problems = _problems([{"rules": [{"name": "r1", "effect": "permit", "actions": "read"}]}])
    assert any("policies[0]: name: Field required" in p for p in problems)
    assert any("rules[0] (rule 'r1'): effect" in p for p in problems)


def test_unknown_key_is_an_error() -> None:
    (problem,) = _problems([{"name": "p", "rules": [{"name": "r", "effect": "allow", "actions": "read", "were": {}}]}])
    assert "rules[0] (rule 'r'): were: Extra inputs are not permitted" in problem


def test_unknown_field_in_where_names_rule_and_closest_field() -> None:
    (problem,) = _problems(
        [{"name": "posts", "rules": [{"name": "own", "effect": "allow", "actions": "read", "where": {"autorId": 1}}]}]
    )
    assert problem == (
        "models.Post policy 'posts' rule 'own': where: Post has no field 'autorId'. Did you mean 'authorId'?"
    )


def test_relation_filter_checked_through_the_relation() -> None:
    rule = {"name": "org", "effect": "allow", "actions": "read", "where": {"author": {"is": {"tenant": "x"}}}}
    (problem,) = _problems([{"name": "posts", "rules": [rule]}])
    assert "where.author.is: User has no field 'tenant'. Did you mean 'tenantId'?" in problem
    rule = {"name": "c", "effect": "allow", "actions": "read", "where": {"comments": {"any": {}}}}
    (problem,) = _problems([{"name": "posts", "rules": [rule]}])
    assert "to-many relation filter 'any'" in problem


def test_unknown_model_and_field_rule_field() -> None:
    (problem,) = _problems([{"name": "p"}], model="Pots")
    assert "unknown model 'Pots'. Did you mean 'Post'?" in problem
    (problem,) = _problems([{"name": "p", "fields": [{"name": "f", "fields": ["titel"], "read": "mask"}]}])
    assert "field rule 'f': Post has no field 'titel'. Did you mean 'title'?" in problem


def test_duplicate_names() -> None:
    rule = {"name": "r", "effect": "allow", "actions": "read"}
    problems = _problems([{"name": "p", "rules": [rule, rule]}, {"name": "p"}])
    assert any("policy name 'p' is used twice" in p for p in problems)
    assert any("rule name 'r' is used twice" in p for p in problems)


def test_parse_policies_returns_specs() -> None:
    (spec,) = parse_policies("Post", [{"name": "p", "rules": [{"name": "r", "effect": "deny", "actions": "delete"}]}])
    assert spec.model == "Post" and spec.rules[0].actions == ["delete"]


def test_bad_security_settings_are_config_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "settings.toml").write_text('[default]\nsecurity.bulk_read_rows = 0\npolicies.default = "maybe"\n')
    with pytest.raises(ConfigurationError) as info:
        load_config(tmp_path / "settings.toml", env={})
    text = str(info.value)
    assert "security.bulk_read_rows" in text and "policies.default" in text
