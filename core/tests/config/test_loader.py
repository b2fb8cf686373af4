"""Loading: formats, environments, .secrets files, environment variables, overrides, sources."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from prisma_infra.config.loader import LoadedConfig, load_config, reload_config, require_secret
from prisma_infra.errors import ConfigurationError

Write = Callable[..., Path]

TOML = """
[default]
cache = { enabled = false, tiers = ["memory"], ttl = 10 }
database = { pool_size = 5 }

[default.models.User.cache]
ttl = 5

[development]
cache = { ttl = 30, tiers = ["memory", "redis"] }

[development.models.blogPost]
audit = true

[production]
cache = { ttl = 300 }
database = { pool_size = 50 }
"""

YAML = """
default:
  cache: {enabled: false, tiers: [memory], ttl: 10}
  database: {pool_size: 5}
  models:
    User: {cache: {ttl: 5}}
development:
  cache:
    ttl: 30
    tiers: [memory, redis]
  models:
    blogPost: {audit: true}
production:
  cache: {ttl: 300}
  database: {pool_size: 50}
"""

JSON = json.dumps(
    {
        "default": {
            "cache": {"enabled": False, "tiers": ["memory"], "ttl": 10},
            "database": {"pool_size": 5},
            "models": {"User": {"cache": {"ttl": 5}}},
        },
        "development": {"cache": {"ttl": 30, "tiers": ["memory", "redis"]}, "models": {"blogPost": {"audit": True}}},
        "production": {"cache": {"ttl": 300}, "database": {"pool_size": 50}},
    }
)

FORMATS = pytest.mark.parametrize(
    ("name", "text"), [("settings.toml", TOML), ("settings.yaml", YAML), ("settings.json", JSON)]
)


@FORMATS
def test_every_format_merges_default_and_active_environment(write: Write, name: str, text: str) -> None:
    path = write(f"app/{name}", text)

    loaded = load_config(path, env={})

    config = loaded.config
    assert loaded.environment == "development" == config.environment
    assert config.cache.enabled is False  # from [default]: tables merge key by key
    assert config.cache.ttl == 30  # [development] wins
    assert config.cache.tiers == ["memory", "redis"]  # lists replace, never concatenate
    assert config.database.pool_size == 5
    assert set(config.models) == {"User", "blogPost"}  # model names keep the schema's case
    assert config.models["User"].cache.ttl == 5
    assert config.models["blogPost"].audit is True
    assert loaded.files == (path,)
    assert loaded.sources["cache.ttl"] == f"{path} [development]"
    assert loaded.sources["cache.enabled"] == f"{path} [default]"
    assert loaded.sources["models.User.cache.ttl"] == f"{path} [default]"
    assert loaded.sources["cache.swr"] == "default"


@FORMATS
def test_environment_from_argument(write: Write, name: str, text: str) -> None:
    loaded = load_config(write(f"app/{name}", text), environment="production", env={})

    assert loaded.environment == "production"
    assert loaded.config.cache.ttl == 300
    assert loaded.config.cache.tiers == ["memory"]
    assert loaded.config.database.pool_size == 50
    assert "blogPost" not in loaded.config.models
    assert loaded.sources["environment"] == "argument"


def test_environment_from_variable_and_argument_wins(write: Write) -> None:
    path = write("app/settings.toml", TOML)

    from_env = load_config(path, env={"PRISMA_INFRA_ENV": "PRODUCTION"})
    assert from_env.environment == "production"
    assert from_env.sources["environment"] == "env:PRISMA_INFRA_ENV"
    assert from_env.config.cache.ttl == 300

    assert load_config(path, environment="test", env={"PRISMA_INFRA_ENV": "production"}).config.cache.ttl == 10


def test_unknown_environment_gets_default_table_only(write: Write) -> None:
    loaded = load_config(write("app/settings.toml", TOML), environment="staging", env={})

    assert loaded.config.cache.ttl == 10
    assert loaded.config.environment == "staging"


def test_global_table_overrides_every_environment(write: Write) -> None:
    path = write(
        "app/settings.toml",
        """
        [global.cache]
        ttl = 1
        [development.cache]
        ttl = 30
        """,
    )

    loaded = load_config(path, env={})

    assert loaded.config.cache.ttl == 1
    assert loaded.sources["cache.ttl"] == f"{path} [global]"


@pytest.mark.parametrize(
    ("secrets_name", "secrets_text"),
    [
        (".secrets.toml", '[development.database]\nurl = "postgresql://app:s3cret@db/app"\n'),
        (".secrets.yaml", "development:\n  database:\n    url: postgresql://app:s3cret@db/app\n"),
        (".secrets.json", '{"development": {"database": {"url": "postgresql://app:s3cret@db/app"}}}'),
    ],
)
def test_secrets_file_next_to_settings_is_loaded(write: Write, secrets_name: str, secrets_text: str) -> None:
    settings = write("app/settings.toml", TOML)
    secrets = settings.parent / secrets_name
    secrets.write_text(secrets_text)

    loaded = load_config(settings, env={})

    assert loaded.config.database.url is not None
    assert loaded.config.database.url.get_secret_value() == "postgresql://app:s3cret@db/app"
    assert loaded.files == (settings, secrets)
    assert loaded.sources["database.url"] == f"{secrets} [development]"
    assert require_secret(loaded, "database.url") == "postgresql://app:s3cret@db/app"


def test_secrets_override_settings(write: Write) -> None:
    settings = write("app/settings.toml", '[default.audit]\nhash_key = "from-settings"\n')
    write("app/.secrets.toml", '[default.audit]\nhash_key = "from-secrets"\n')

    loaded = load_config(settings, env={})

    assert loaded.config.audit.hash_key is not None
    assert loaded.config.audit.hash_key.get_secret_value() == "from-secrets"


def test_environment_variables_parse_values_and_nest(write: Write) -> None:
    path = write("app/settings.toml", TOML)
    env = {
        "PRISMA_INFRA_DATABASE__URL": "postgresql://app:pw@db:5432/app",
        "PRISMA_INFRA_CACHE__TTL": "45",
        "PRISMA_INFRA_CACHE__ENABLED": "true",
        "PRISMA_INFRA_CACHE__TIERS": '["memory", "redis", "cdn"]',
        "PRISMA_INFRA_MODELS__User__cache__ttl": "60",
        "PRISMA_INFRA_MODELS__Comment__searchable": "['body']",
        "PRISMA_INFRA_PLUGINS__OPTIONS__acme__Region": "eu-west",
    }

    loaded = load_config(path, env=env)

    config = loaded.config
    assert config.database.url is not None
    assert config.database.url.get_secret_value() == "postgresql://app:pw@db:5432/app"
    assert config.cache.ttl == 45.0
    assert config.cache.enabled is True
    assert config.cache.tiers == ["memory", "redis", "cdn"]
    assert config.models["User"].cache.ttl == 60
    assert config.models["Comment"].searchable == ["body"]
    assert config.plugins.options == {"acme": {"Region": "eu-west"}}  # free-form keys keep their case
    assert loaded.sources["cache.ttl"] == "env:PRISMA_INFRA_CACHE__TTL"
    assert loaded.sources["models.User.cache.ttl"] == "env:PRISMA_INFRA_MODELS__User__cache__ttl"
    assert loaded.sources["database.url"] == "env:PRISMA_INFRA_DATABASE__URL"
    assert loaded.files == (path,)


def test_upper_case_variables_merge_into_the_model_named_in_files(write: Write) -> None:
    path = write("app/settings.toml", TOML)

    loaded = load_config(path, env={"PRISMA_INFRA_MODELS__USER__CACHE__SWR": "2.5"})

    assert set(loaded.config.models) == {"User", "blogPost"}
    assert loaded.config.models["User"].cache.ttl == 5
    assert loaded.config.models["User"].cache.swr == 2.5
    assert loaded.sources["models.User.cache.swr"] == "env:PRISMA_INFRA_MODELS__USER__CACHE__SWR"


def test_upper_case_section_keys_in_files_are_normalised(write: Write) -> None:
    first = write("app/settings.toml", "[DEVELOPMENT.CACHE]\nTTL = 7\n")
    second = write("app/more.toml", "[development.Models.User.Cache]\nTtl = 3\n")

    loaded = load_config([first, second], env={})

    assert loaded.config.cache.ttl == 7
    assert loaded.config.models["User"].cache.ttl == 3


def test_variable_with_inline_table_then_nested_variable(write: Write) -> None:
    env = {"PRISMA_INFRA_CACHE": "{ttl = 1, swr = 2}", "PRISMA_INFRA_CACHE__TTL": "3"}

    loaded = load_config([], env=env)

    assert (loaded.config.cache.ttl, loaded.config.cache.swr) == (3, 2)
    assert loaded.sources["cache.swr"] == "env:PRISMA_INFRA_CACHE"
    assert loaded.sources["cache.ttl"] == "env:PRISMA_INFRA_CACHE__TTL"


def test_variables_that_are_not_settings_are_ignored() -> None:
    # Switches of other parts of prisma-infra share the prefix; without "__" and a section name they are not settings.
    env = {
        "PRISMA_INFRA_ENV": "test",
        "PRISMA_INFRA_SETTINGS_FILES": "",
        "PRISMA_INFRA_LOAD_PLUGINS": "a,b",
        "PRISMA_INFRA_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PRISMA_INFRA_CACHE_DIR": "/tmp/x",
        "PRISMA_INFRA_TEST_PG_URL": "postgresql://u:p@h/db",
    }

    loaded = load_config(env=env)

    assert loaded.environment == "test"
    assert not any(source.startswith("env:") for key, source in loaded.sources.items() if key != "environment")


def test_dynaconf_tokens_are_parsed(write: Write) -> None:
    path = write("app/settings.yaml", 'development:\n  database:\n    pool_size: "@int 7"\n')

    assert load_config(path, env={}).config.database.pool_size == 7


def test_settings_files_discovered_in_cwd() -> None:
    cwd = Path.cwd()
    (cwd / "settings.toml").write_text("[development.cache]\nttl = 11\n")
    (cwd / "settings.yaml").write_text("development:\n  cache:\n    swr: 4\n")
    (cwd / ".secrets.toml").write_text('[default.audit]\nhash_key = "k"\n')

    loaded = load_config(env={})

    assert loaded.files == (cwd / "settings.toml", cwd / "settings.yaml", cwd / ".secrets.toml")
    assert (loaded.config.cache.ttl, loaded.config.cache.swr) == (11, 4)
    assert loaded.config.base_dir == str(cwd)


def test_settings_files_from_variable(write: Write) -> None:
    first = write("conf/base.toml", "[default.cache]\nttl = 1\nswr = 1\n")
    second = write("conf/more.json", '{"default": {"cache": {"ttl": 2}}}')

    loaded = load_config(env={"PRISMA_INFRA_SETTINGS_FILES": f"{first}, {second}"})

    assert loaded.files == (first, second)
    assert (loaded.config.cache.ttl, loaded.config.cache.swr) == (2, 1)
    assert loaded.sources["cache.ttl"] == f"{second} [default]"
    assert loaded.config.base_dir == str(first.parent)


def test_no_settings_files_gives_defaults() -> None:
    loaded = load_config(env={})

    assert loaded.files == ()
    assert loaded.config.cache.ttl == 60
    assert set(loaded.sources.values()) == {"default"}
    assert loaded.config.base_dir == str(Path.cwd())


def test_local_companion_file_is_read(write: Write) -> None:
    path = write("app/settings.toml", "[development.cache]\nttl = 1\n")
    local = write("app/settings.local.toml", "[development.cache]\nttl = 2\n")

    loaded = load_config(path, env={})

    assert loaded.config.cache.ttl == 2
    assert loaded.files == (path, local)


def test_base_dir_defaults_to_settings_folder_and_relative_resolves_from_it(write: Write) -> None:
    path = write("app/config/settings.toml", "[default]\ncache = { ttl = 1 }\n")
    assert load_config(path, env={}).config.base_dir == str(path.parent)

    path.write_text('[default]\nbase_dir = ".."\n')
    assert load_config(path, env={}).config.base_dir == str(path.parent.parent)


def test_relative_settings_path_resolves_from_cwd() -> None:
    (Path.cwd() / "conf").mkdir()
    (Path.cwd() / "conf" / "settings.toml").write_text("[default.cache]\nttl = 3\n")

    loaded = load_config("conf/settings.toml", env={})

    assert loaded.files == (Path.cwd() / "conf" / "settings.toml",)


def test_overrides_apply_last(write: Write) -> None:
    path = write("app/settings.toml", TOML)

    loaded = load_config(
        path,
        env={"PRISMA_INFRA_CACHE__TTL": "45"},
        overrides={"cache": {"ttl": 99}, "models": {"USER": {"audit": False}}},
    )

    assert loaded.config.cache.ttl == 99
    assert loaded.config.cache.enabled is False
    assert loaded.config.models["User"].audit is False
    assert loaded.sources["cache.ttl"] == "overrides"
    assert loaded.overrides == {"cache": {"ttl": 99}, "models": {"USER": {"audit": False}}}


def test_reload_builds_a_new_config_and_leaves_the_old_one_alone(write: Write) -> None:
    path = write("app/settings.toml", TOML)
    old = load_config(path, env={}, overrides={"cache": {"swr": 1}})

    path.write_text("[development.cache]\nttl = 12\n")
    new = reload_config(old, env={})

    assert new is not old
    assert (new.config.cache.ttl, new.config.cache.swr) == (12, 1)  # overrides are kept
    assert (old.config.cache.ttl, old.config.cache.swr) == (30, 1)
    assert old.sources["cache.ttl"] == f"{path} [development]"
    assert reload_config(old, overrides={}, env={}).config.cache.swr == 0


def test_reload_with_an_invalid_change_raises_and_old_stays_valid(write: Write) -> None:
    path = write("app/settings.toml", TOML)
    old = load_config(path, env={})

    with pytest.raises(ConfigurationError):
        reload_config(old, overrides={"cache": {"ttl": -1}}, env={})

    assert old.config.cache.ttl == 30


def test_loaded_config_is_immutable(write: Write) -> None:
    loaded = load_config(write("app/settings.toml", TOML), env={})

    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.environment = "production"  # type: ignore[misc]
    with pytest.raises(TypeError):
        loaded.sources["cache.ttl"] = "x"  # type: ignore[index]
    assert isinstance(loaded, LoadedConfig)


def test_source_of_a_table_names_its_origins(write: Write) -> None:
    path = write("app/settings.toml", TOML)

    loaded = load_config(path, env={"PRISMA_INFRA_CACHE__SWR": "1"})

    assert loaded.source_of("cache.ttl") == f"{path} [development]"
    assert loaded.source_of("models.User") == f"{path} [default]"
    assert "env:PRISMA_INFRA_CACHE__SWR" in loaded.source_of("cache")


def test_sources_cover_every_leaf(write: Write) -> None:
    loaded = load_config(write("app/settings.toml", TOML), env={})

    assert {"database.url", "cache.stores", "plugins.options", "models.blogPost.cache.ttl"} <= set(loaded.sources)
    assert "cache" not in loaded.sources


def test_empty_file_and_empty_tables_change_nothing(write: Write) -> None:
    first = write("app/settings.toml", "[default.cache]\nttl = 5\n[default.models.User.cache]\nttl = 1\n")
    empty_tables = write("app/more.toml", "[development.cache]\n# nothing yet\n[development.models]\n")
    empty = write("app/empty.yaml", "")

    loaded = load_config([first, empty_tables, empty], env={})

    assert loaded.config.cache.ttl == 5
    assert loaded.config.models["User"].cache.ttl == 1
    assert loaded.files == (first, empty_tables, empty)
    assert loaded.sources["cache.ttl"] == f"{first} [default]"


def test_a_table_can_fill_an_empty_one_and_a_scalar_can_replace_a_table(write: Write) -> None:
    path = write(
        "app/settings.toml", '[default.cache]\nstores = {}\n[development.cache.stores.redis]\nurl = "redis://r"\n'
    )

    loaded = load_config(path, env={}, overrides={"plugins": {"options": {"x": {"a": 1}}}})
    assert loaded.config.cache.stores == {"redis": {"url": "redis://r"}}
    assert "cache.stores" not in loaded.sources
    assert loaded.sources["cache.stores.redis.url"] == f"{path} [development]"

    with pytest.raises(ConfigurationError, match=r"plugins\.options: expected table"):
        load_config(path, env={"PRISMA_INFRA_PLUGINS__OPTIONS": "3"})
