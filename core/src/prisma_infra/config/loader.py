"""Load, merge and validate settings into a `LoadedConfig`.

Layers, lowest first: the model's defaults; each settings file's ``[default]``,
``[<environment>]`` and ``[global]`` tables; the ``.secrets.*`` files next to
the settings files (same tables); ``PRISMA_INFRA_*`` environment variables;
``overrides``. Tables merge key by key; scalars and lists replace.

Everything here is pure: no global settings object, nothing cached. A reload
calls `load_config` (or `reload_config`) again and swaps in the new
`LoadedConfig` only if it validated, so the old one stays untouched.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pydantic
from pydantic import SecretBytes, SecretStr

from prisma_infra.config.masking import mask_value
from prisma_infra.config.model import InfraConfig
from prisma_infra.config.schema import annotation_at, describe_type, field_names_at, normalize_keys
from prisma_infra.config.sources import (
    DEFAULT_ENVIRONMENT,
    ENV_SWITCHER,
    SECRETS_NAMES,
    KeyPath,
    Layer,
    discover_settings_files,
    env_layers,
    env_var_for,
    merge_layer,
    read_file,
    secrets_files_for,
)
from prisma_infra.errors import ConfigurationError, closest_match

__all__ = [
    "LoadedConfig",
    "leaf_paths",
    "load_config",
    "reload_config",
    "require_secret",
    "validate_config",
]

OVERRIDES = "overrides"
DEFAULT_SOURCE = "default"


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration and where each of its values came from."""

    config: InfraConfig
    sources: Mapping[str, str]
    """Dotted key path of every leaf (``cache.ttl``) → its origin: ``/abs/settings.toml [development]``,
    ``/abs/.secrets.toml [default]``, ``env:PRISMA_INFRA_CACHE__TTL``, ``overrides`` or ``default``."""
    files: tuple[Path, ...]
    """Every settings and secrets file read, in load order (what a file watcher should watch)."""
    environment: str
    settings_files: tuple[Path, ...] = ()
    """The settings files asked for (without secrets and ``.local`` companions), for `reload_config`."""
    overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """The ``overrides`` applied last, kept so a reload from changed files re-applies them."""

    def source_of(self, key: str) -> str:
        """Where the value at dotted ``key`` came from (the nearest recorded key for a table)."""
        return _source_for(tuple(key.split(".")), _unflatten_sources(self.sources)) or DEFAULT_SOURCE


def load_config(
    settings_files: str | Path | Sequence[str | Path] | None = None,
    *,
    environment: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Read every settings source, merge the layers and validate the result.

    :param settings_files: settings files (TOML, YAML or JSON with environment tables);
        by default ``PRISMA_INFRA_SETTINGS_FILES`` or ``settings.{toml,yaml,yml,json}`` in the cwd.
    :param environment: the environment table to apply; by default ``PRISMA_INFRA_ENV``, else
        ``development``.
    :param overrides: nested settings applied over everything else (``infra.configure({...})``).
    :param env: environment variables to read instead of ``os.environ``.
    :return: the validated configuration with the source of each value and the files read.
    :raises ConfigurationError: listing every problem (unreadable files, unknown keys, bad values).
    """
    env = dict(os.environ) if env is None else env
    if environment:
        active, env_source = environment, "argument"
    elif env.get(ENV_SWITCHER):
        active, env_source = env[ENV_SWITCHER], f"env:{ENV_SWITCHER}"
    else:
        active, env_source = DEFAULT_ENVIRONMENT, DEFAULT_SOURCE
    active = active.strip().lower()
    cwd = Path(os.getcwd())

    settings, problems = discover_settings_files(settings_files, env=env, cwd=cwd)
    layers: list[Layer] = []
    files: list[Path] = []
    for path in [*settings, *secrets_files_for(settings, cwd=cwd)]:
        read = read_file(path, active)
        layers += read.layers
        files += [f for f in read.files if f not in files]
        problems += read.problems
    from_env = env_layers(env)
    layers += from_env.layers
    problems += from_env.problems
    if overrides:
        layers.append(Layer(OVERRIDES, normalize_keys(overrides)))

    data: dict[str, Any] = {}
    sources: dict[KeyPath, str] = {}
    for layer in layers:
        merge_layer(data, layer.data, layer.label, sources)

    default_base = settings[0].parent if settings else cwd
    base_dir = data.get("base_dir")
    if base_dir is None:
        data["base_dir"] = str(default_base)
    elif isinstance(base_dir, str | Path):
        data["base_dir"] = str((default_base / Path(base_dir).expanduser()).resolve())
    if "environment" in data and str(data["environment"]).lower() != active:
        problems.append(
            f"environment: set to {data['environment']!r} (from {sources.get(('environment',))}) but the "
            f"active environment is {active!r}; choose it with --env or {ENV_SWITCHER}, not in settings"
        )
    data["environment"] = active
    sources[("environment",)] = env_source

    config = _validate(data, sources, problems)
    for leaf in leaf_paths(config.model_dump()):
        sources.setdefault(leaf, DEFAULT_SOURCE)
    return LoadedConfig(
        config=config,
        sources=MappingProxyType({".".join(path): label for path, label in sorted(sources.items())}),
        files=tuple(files),
        environment=active,
        settings_files=tuple(settings),
        overrides=MappingProxyType(copy.deepcopy(dict(overrides or {}))),
    )


def reload_config(
    loaded: LoadedConfig,
    *,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Load again from ``loaded``'s files and environment; ``loaded`` itself is never modified.

    :param overrides: replaces ``loaded.overrides`` when given (``{}`` clears them).
    :raises ConfigurationError: when the new configuration is invalid (keep using ``loaded``).
    """
    return load_config(
        list(loaded.settings_files),
        environment=loaded.environment,
        overrides=loaded.overrides if overrides is None else overrides,
        env=env,
    )


def validate_config(data: Mapping[str, Any], *, sources: Mapping[str, str] | None = None) -> InfraConfig:
    """Validate nested settings; ``sources`` (dotted key → origin) makes messages name the origin.

    :raises ConfigurationError: listing every problem, each with key path, expectation and origin.
    """
    by_path = _unflatten_sources(sources or {})
    return _validate(normalize_keys(data), by_path, [])


def require_secret(loaded: LoadedConfig, key: str) -> str:
    """The value of the secret setting ``key`` (``"database.url"``); raises when it is not set.

    :raises ConfigurationError: naming the environment variable and the ``.secrets`` key to set.
    """
    path = key.split(".")
    value: Any = loaded.config
    for part in path:
        if isinstance(value, pydantic.BaseModel):
            value = getattr(value, part, None)
        elif isinstance(value, Mapping):
            value = value.get(part)
        else:
            value = None
    if isinstance(value, SecretStr | SecretBytes):
        value = value.get_secret_value()
    if value is not None and value not in ("", b""):
        return value.decode() if isinstance(value, bytes) else str(value)
    secrets_file = next(
        (f for f in loaded.files if f.name in SECRETS_NAMES),
        (loaded.settings_files[0].parent if loaded.settings_files else Path(os.getcwd())) / ".secrets.toml",
    )
    table = ".".join([loaded.environment, *path[:-1]])
    message = (
        f"{key} is required but not set (environment {loaded.environment}): set the environment variable "
        f'{env_var_for(path)}, or add {path[-1]} = "..." under [{table}] in {secrets_file}'
    )
    raise ConfigurationError(message, problems=[message])


def leaf_paths(data: Mapping[str, Any], prefix: KeyPath = ()) -> list[KeyPath]:
    """Key paths of the leaves of nested settings (non-empty tables are not leaves)."""
    paths: list[KeyPath] = []
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            paths += leaf_paths(value, path)
        else:
            paths.append(path)
    return paths


# --------------------------------------------------------------------------- errors


def _unflatten_sources(sources: Mapping[str, str]) -> dict[KeyPath, str]:
    return {tuple(key.split(".")): label for key, label in sources.items()}


def _source_for(path: KeyPath, sources: Mapping[KeyPath, str]) -> str | None:
    if path in sources:
        return sources[path]
    below = list(dict.fromkeys(label for key, label in sources.items() if key[: len(path)] == path))
    if len(below) > 1 and DEFAULT_SOURCE in below:
        below.remove(DEFAULT_SOURCE)
    if below:
        return ", ".join(below)
    for end in range(len(path) - 1, 0, -1):
        if path[:end] in sources:
            return sources[path[:end]]
    return None


def _format_loc(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _shown(key: str | None, value: Any) -> str:
    text = repr(mask_value(key, value))
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: Mapping[str, Any], sources: Mapping[KeyPath, str]) -> str:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    path = _format_loc(loc)
    keys = tuple(str(part) for part in loc if isinstance(part, str))
    source = _source_for(keys, sources)
    origin = f" (from {source})" if source else ""
    if error["type"] == "extra_forbidden":
        parent = loc[:-1]
        candidates = field_names_at(parent)
        match = closest_match(str(loc[-1]), candidates)
        where = _format_loc(parent)
        if match:
            hint = f"; did you mean '{where + '.' if where else ''}{match}'?"
        else:
            hint = f"; valid settings{' in ' + where if where else ''}: {', '.join(candidates)}"
        return f"{path}: unknown setting{origin}{hint}"
    if error["type"] == "missing":
        return f"{path}: required setting is missing{origin}"
    annotation = annotation_at(loc)
    expected = f"expected {describe_type(annotation)}, " if annotation is not None else ""
    key = keys[-1] if keys else None
    return f"{path}: {expected}got {_shown(key, error.get('input'))}; {error['msg']}{origin}"


def _validate(data: Mapping[str, Any], sources: Mapping[KeyPath, str], problems: list[str]) -> InfraConfig:
    config: InfraConfig | None = None
    try:
        config = InfraConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = problems + [_describe(error, sources) for error in exc.errors(include_url=False)]
    if problems or config is None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        message = f"Invalid configuration ({count}):\n" + "\n".join(f"  - {p}" for p in problems)
        raise ConfigurationError(message, problems=problems)
    return config
