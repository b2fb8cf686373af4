"""Bad input: every problem reported with key path, expectation, closest key and origin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from prisma_infra.config.loader import load_config, require_secret, validate_config
from prisma_infra.errors import ConfigurationError

Write = Callable[..., Path]


def problems_of(*args: object, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigurationError) as info:
        load_config(*args, **kwargs)  # type: ignore[arg-type]
    error = info.value
    for problem in error.problems:  # the message lists every problem
        assert problem in error.message
    return error.problems


def test_typo_names_key_closest_key_and_file(write: Write) -> None:
    path = write("app/settings.toml", "[development.cache]\nttll = 30\n")

    assert problems_of(path, env={}) == [
        f"cache.ttll: unknown setting (from {path} [development]); did you mean 'cache.ttl'?"
    ]


def test_typo_in_section_name(write: Write) -> None:
    path = write("app/settings.yaml", "default:\n  cach:\n    ttl: 3\n")

    assert problems_of(path, env={}) == [f"cach: unknown setting (from {path} [default]); did you mean 'cache'?"]


def test_typo_in_model_settings(write: Write) -> None:
    path = write("app/settings.json", '{"development": {"models": {"User": {"cache": {"tll": 3}, "adit": true}}}}')

    problems = problems_of(path, env={})

    assert (
        f"models.User.cache.tll: unknown setting (from {path} [development]); did you mean 'models.User.cache.ttl'?"
        in problems
    )
    assert (
        f"models.User.adit: unknown setting (from {path} [development]); did you mean 'models.User.audit'?" in problems
    )


def test_unknown_key_without_close_match_lists_valid_keys(write: Write) -> None:
    path = write("app/settings.toml", "[default.pipeline]\nzzz = 1\n")

    (problem,) = problems_of(path, env={})

    assert (
        problem == f"pipeline.zzz: unknown setting (from {path} [default]); valid settings in pipeline: order, disable"
    )


def test_wrong_type_names_key_expected_type_value_and_file(write: Write) -> None:
    path = write(
        "app/settings.toml",
        """
        [development.cache]
        ttl = "soon"
        tiers = ["memory", 3]
        jitter = 5
        [development.plugins]
        strict = "perhaps"
        """,
    )

    problems = problems_of(path, env={})

    source = f"(from {path} [development])"
    assert len(problems) == 4
    assert any(p.startswith("cache.ttl: expected float, got 'soon'") and p.endswith(source) for p in problems)
    assert any(p.startswith("cache.tiers[1]: expected str, got 3") and p.endswith(source) for p in problems)
    assert any(
        p.startswith("cache.jitter: expected float, got 5;") and "less than or equal to 1" in p for p in problems
    )
    assert any(p.startswith("plugins.strict: expected bool, got 'perhaps'") for p in problems)


def test_section_of_wrong_type(write: Write) -> None:
    path = write("app/settings.toml", "[development]\ncache = 3\nmodels = { User = 1 }\n")

    problems = problems_of(path, env={})

    assert any(p.startswith("cache: expected table, got 3") and p.endswith("[development])") for p in problems)
    assert any(p.startswith("models.User: expected table, got 1") for p in problems)


def test_environment_variable_problems_name_the_variable() -> None:
    env = {"PRISMA_INFRA_CACHE__TTL": "abc", "PRISMA_INFRA_CAHCE__TTL": "1", "PRISMA_INFRA_DATABASE__POOLSIZE": "3"}

    problems = problems_of(env=env)

    assert "cahce: unknown setting (from env:PRISMA_INFRA_CAHCE__TTL); did you mean 'cache'?" in problems
    assert (
        "database.poolsize: unknown setting (from env:PRISMA_INFRA_DATABASE__POOLSIZE); "
        "did you mean 'database.pool_size'?"
    ) in problems
    assert any(
        p.startswith("cache.ttl: expected float, got 'abc'") and "env:PRISMA_INFRA_CACHE__TTL" in p for p in problems
    )


def test_empty_key_in_variable_name() -> None:
    (problem,) = problems_of(env={"PRISMA_INFRA_CACHE____TTL": "1"})

    assert "env:PRISMA_INFRA_CACHE____TTL" in problem
    assert "empty key" in problem


def test_every_problem_from_every_source_is_reported(write: Write) -> None:
    settings = write("app/settings.toml", "[development.cache]\nttll = 1\n")
    write("app/.secrets.toml", "[development.database]\npasword = 'x'\n")

    problems = problems_of(
        settings, env={"PRISMA_INFRA_MONITORING__RECENT_ERRORS": "-1"}, overrides={"audit": {"sink": []}}
    )

    assert len(problems) == 4
    joined = "\n".join(problems)
    assert f"cache.ttll: unknown setting (from {settings} [development])" in joined
    assert f"database.pasword: unknown setting (from {settings.parent / '.secrets.toml'} [development])" in joined
    assert "monitoring.recent_errors: expected int, got -1" in joined
    assert "audit.sink: unknown setting (from overrides); did you mean 'audit.sinks'?" in joined


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("settings.toml", "[development\ncache = 1\n", "invalid TOML: Expected ']'"),
        ("settings.yaml", "development:\n  cache: [1,\n", "invalid YAML:"),
        ("settings.json", '{"development": {"cache": }', "invalid JSON: Expecting value: line 1"),
    ],
)
def test_malformed_file_names_file_and_parser_message(write: Write, name: str, text: str, expected: str) -> None:
    bad = write(f"app/{name}", text)
    good = write("app/other.toml", "[development.cache]\nttll = 1\n")

    problems = problems_of([bad, good], env={})

    assert len(problems) == 2  # the good file's typo is still reported
    assert problems[0].startswith(f"{bad}: {expected}")
    assert "line" in problems[0]
    assert problems[1].startswith(f"cache.ttll: unknown setting (from {good} [development])")


def test_top_level_must_be_a_table(write: Write) -> None:
    path = write("app/settings.yaml", "- a\n- b\n")

    (problem,) = problems_of(path, env={})

    assert problem.startswith(f"{path}: invalid YAML")


def test_missing_explicit_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "settings.toml"

    assert problems_of(missing, env={}) == [f"{missing}: settings file not found"]


def test_missing_file_from_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"

    (problem,) = problems_of(env={"PRISMA_INFRA_SETTINGS_FILES": str(missing)})

    assert problem == f"{missing}: settings file not found (from PRISMA_INFRA_SETTINGS_FILES)"


def test_unreadable_file(tmp_path: Path) -> None:
    folder = tmp_path / "settings.toml"  # a folder where a file is expected
    folder.mkdir()

    (problem,) = problems_of(folder, env={})

    assert problem.startswith(f"{folder}: cannot read file: ")


def test_unsupported_extension(write: Write) -> None:
    path = write("app/settings.ini", "[default]\n")

    (problem,) = problems_of(path, env={})

    assert problem.startswith(f"{path}: unsupported settings file type")


def test_section_outside_an_environment(write: Write) -> None:
    path = write("app/settings.toml", "[cache]\nttl = 3\n")

    (problem,) = problems_of(path, env={})

    assert problem.startswith(f"{path}: 'cache' is outside an environment; put it under [default]")
    assert "[development.cache]" in problem


def test_environment_that_is_not_a_table(write: Write) -> None:
    path = write("app/settings.toml", "development = 3\n")

    (problem,) = problems_of(path, env={})

    assert problem == f"{path} [development]: the environment must be a table, got int"


def test_environment_key_disagreeing_with_active_environment(write: Write) -> None:
    path = write("app/settings.toml", '[default]\nenvironment = "production"\n')

    (problem,) = problems_of(path, env={})

    assert problem.startswith("environment: set to 'production'")
    assert "PRISMA_INFRA_ENV" in problem


def test_credentials_in_a_bad_value_are_masked(write: Write) -> None:
    path = write("app/settings.toml", '[default.database]\npool_size = "postgresql://app:hunter2@db/app"\n')

    (problem,) = problems_of(path, env={})

    assert "hunter2" not in problem
    assert "postgresql://app:********@db/app" in problem


def test_validate_config_with_and_without_sources() -> None:
    with pytest.raises(ConfigurationError) as info:
        validate_config({"cache": {"ttll": 1, "swr": "x"}}, sources={"cache.ttll": "here.toml", "cache.swr": "there"})
    assert info.value.problems[0].startswith("cache.swr: expected float, got 'x'")
    assert info.value.problems[0].endswith("(from there)")
    assert info.value.problems[1] == "cache.ttll: unknown setting (from here.toml); did you mean 'cache.ttl'?"
    assert info.value.message.startswith("Invalid configuration (2 problems):")

    with pytest.raises(ConfigurationError) as info:
        validate_config({"CACHE": {"TTLL": 1}})
    assert info.value.problems == ["cache.ttll: unknown setting; did you mean 'cache.ttl'?"]

    assert validate_config({"Cache": {"TTL": 5}}).cache.ttl == 5


def test_require_secret_names_variable_and_secrets_file(write: Write) -> None:
    path = write("app/settings.toml", "[development.cache]\nttl = 1\n")
    loaded = load_config(path, env={})

    with pytest.raises(ConfigurationError) as info:
        require_secret(loaded, "database.url")

    message = info.value.message
    assert "database.url is required but not set (environment development)" in message
    assert "PRISMA_INFRA_DATABASE__URL" in message
    assert f'add url = "..." under [development.database] in {path.parent / ".secrets.toml"}' in message
    assert info.value.problems == [message]


def test_require_secret_points_at_the_existing_secrets_file(write: Write) -> None:
    path = write("app/settings.toml", "[development.cache]\nttl = 1\n")
    secrets = write("app/.secrets.yaml", "production:\n  audit:\n    hash_key: k\n")
    loaded = load_config(path, env={})

    with pytest.raises(ConfigurationError, match=r"PRISMA_INFRA_AUDIT__HASH_KEY.*\[development\.audit\]") as info:
        require_secret(loaded, "audit.hash_key")
    assert str(secrets) in info.value.message

    production = load_config(path, environment="production", env={})
    assert require_secret(production, "audit.hash_key") == "k"
