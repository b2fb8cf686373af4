"""Rendering the effective configuration as rows and as TOML."""

from __future__ import annotations

import math
import tomllib

from prisma_infra.config.masking import mask_secrets
from prisma_infra.config.model import InfraConfig
from prisma_infra.config.render import flatten, to_toml, toml_value


def test_flatten_keeps_empty_tables_as_leaves() -> None:
    assert flatten({"a": {"b": 1, "c": {}, "d": {"e": [1]}}, "f": None}) == {
        "a.b": 1,
        "a.c": {},
        "a.d.e": [1],
        "f": None,
    }


def test_toml_values() -> None:
    assert toml_value('a "quoted" string') == '"a \\"quoted\\" string"'
    assert toml_value([1, 2.5, True, "x"]) == '[1, 2.5, true, "x"]'
    assert toml_value({"kpi": "count", "weird key": 1}) == '{ kpi = "count", "weird key" = 1 }'
    assert toml_value(math.inf) == "inf"
    assert toml_value(None) == "null"


def test_to_toml_round_trips_a_whole_config() -> None:
    config = InfraConfig.model_validate(
        {
            "cache": {"ttl": 5, "stores": {"redis": {"url": "redis://r"}}, "warm": [{"model": "User", "take": 10}]},
            "models": {"User": {"cache": {"ttl": 3}, "pii": {"email": "email"}}},
            "plugins": {"options": {"my.plugin": {"x": 1}}},
        }
    )
    data = mask_secrets(config.model_dump())

    text = to_toml(data, table="production", comments={"cache.ttl": "from settings.toml [production]"})
    parsed = tomllib.loads(text)["production"]

    assert "ttl = 5.0  # from settings.toml [production]" in text
    assert "# url = (not set)" in text  # TOML has no null
    assert parsed["cache"]["ttl"] == 5.0
    assert parsed["cache"]["warm"] == [{"model": "User", "take": 10}]
    assert parsed["models"]["User"]["cache"]["ttl"] == 3.0
    assert parsed["plugins"]["options"]["my.plugin"] == {"x": 1}
    assert InfraConfig.model_validate(parsed).cache.stores == config.cache.stores
