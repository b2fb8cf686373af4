"""Where settings come from: files (via Dynaconf's parsers), ``.secrets`` files, environment variables.

Each source is read into `Layer`s (one per file and environment table, one
per environment variable) which the loader merges in order while recording,
for every leaf key, the layer it came from.

Why not one ``Dynaconf(...)`` object for everything: it reads ``os.environ``
itself (a reload could not validate a candidate environment without mutating
the process), replaces whole sections across environments unless merging is
enabled, and with merging enabled concatenates lists; its history records the
merged section for environment variables, not the variable that set a key.
So Dynaconf parses each file (TOML/YAML/JSON, ``@int``-style tokens,
``settings.local.*`` companions) and values of environment variables
(``parse_conf_data``), and this module does the layering explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaconf import Dynaconf  # type: ignore[import-untyped]
from dynaconf.utils.parse_conf import Lazy, boolean_fix, parse_conf_data  # type: ignore[import-untyped]

from prisma_infra.config.model import InfraConfig
from prisma_infra.config.schema import normalize_keys

__all__ = [
    "DEFAULT_ENVIRONMENT",
    "ENV_PREFIX",
    "ENV_SWITCHER",
    "SECRETS_NAMES",
    "SETTINGS_FILES_VAR",
    "SETTINGS_NAMES",
    "KeyPath",
    "Layer",
    "ReadResult",
    "discover_settings_files",
    "env_layers",
    "env_var_for",
    "merge_layer",
    "plain",
    "read_file",
    "secrets_files_for",
]

ENV_PREFIX = "PRISMA_INFRA_"
ENV_SWITCHER = "PRISMA_INFRA_ENV"
SETTINGS_FILES_VAR = "PRISMA_INFRA_SETTINGS_FILES"
DEFAULT_ENVIRONMENT = "development"
SETTINGS_NAMES = ("settings.toml", "settings.yaml", "settings.yml", "settings.json")
SECRETS_NAMES = (".secrets.toml", ".secrets.yaml", ".secrets.yml", ".secrets.json")
_EXTENSIONS = {".toml": "TOML", ".yaml": "YAML", ".yml": "YAML", ".json": "JSON"}
_DEFAULT_TABLE = "default"
_GLOBAL_TABLE = "global"  # Dynaconf's table that overrides every environment of its file
_SECTIONS = frozenset(InfraConfig.model_fields)
_NESTING = "__"

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class Layer:
    """Settings from one place, already nested and normalised to the schema's key case."""

    label: str
    """Where the values came from: ``/abs/settings.toml [development]``, ``env:PRISMA_INFRA_X``."""
    data: Mapping[str, Any]


@dataclass
class ReadResult:
    layers: list[Layer] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- files


def _split_files(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def discover_settings_files(
    settings_files: str | Path | Sequence[str | Path] | None,
    *,
    env: Mapping[str, str],
    cwd: Path,
) -> tuple[list[Path], list[str]]:
    """Resolve the settings files to read and report the ones that do not exist.

    Explicit files must exist. Without them, ``PRISMA_INFRA_SETTINGS_FILES``
    (comma separated) is used, else every ``settings.{toml,yaml,yml,json}`` in ``cwd``.
    """
    problems: list[str] = []
    explicit: list[str | Path]
    if settings_files is None:
        from_env = env.get(SETTINGS_FILES_VAR, "")
        if not from_env:
            return [cwd / name for name in SETTINGS_NAMES if (cwd / name).is_file()], problems
        explicit = list(_split_files(from_env))
        origin = f" (from {SETTINGS_FILES_VAR})"
    else:
        explicit = [settings_files] if isinstance(settings_files, str | Path) else list(settings_files)
        origin = ""
    found: list[Path] = []
    for item in explicit:
        path = Path(item).expanduser()
        path = (path if path.is_absolute() else cwd / path).resolve()
        if not path.exists():
            problems.append(f"{path}: settings file not found{origin}")
        elif path.suffix.lower() not in _EXTENSIONS:
            problems.append(f"{path}: unsupported settings file type; use .toml, .yaml, .yml or .json")
        elif path not in found:
            found.append(path)
    return found, problems


def secrets_files_for(settings_files: Iterable[Path], *, cwd: Path) -> list[Path]:
    """``.secrets.*`` files next to the settings files (next to ``cwd`` when there are none)."""
    folders = list(dict.fromkeys(p.parent for p in settings_files)) or [cwd]
    explicit = set(settings_files)
    return [
        folder / name
        for folder in folders
        for name in SECRETS_NAMES
        if (folder / name).is_file() and (folder / name) not in explicit
    ]


def plain(value: Any, settings: Any = None) -> Any:
    """Dynaconf's boxes and lazy values as plain dicts, lists and scalars."""
    if isinstance(value, Lazy) and settings is not None:
        value = value(settings)
    if isinstance(value, Mapping):
        return {str(k): plain(v, settings) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, settings) for v in value]
    return value


def _parse_with_dynaconf(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Parse ``path`` (and Dynaconf's ``*.local.*`` companion) into ``(file, top-level tables)``."""
    settings = Dynaconf(
        settings_files=[str(path)],
        environments=False,  # we pick the tables ourselves, so misplaced keys can be reported
        envvar_prefix=None,
        loaders=[],
        load_dotenv=False,
        root_path=str(path.parent),
        secrets=None,
        includes=[],
        core_loaders=["TOML", "YAML", "JSON"],
        preload=[],
        silent=False,
    )
    parsed: list[tuple[Path, dict[str, Any]]] = []
    for metadata, data in settings.loaded_by_loaders.items():
        if metadata.loader in ("toml", "yaml", "json"):
            parsed.append((Path(metadata.identifier), plain(data, settings)))
    return parsed


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def read_file(path: Path, environment: str) -> ReadResult:
    """Read one settings file: its ``[default]`` table, then ``[<environment>]``, then ``[global]``."""
    result = ReadResult()
    kind = _EXTENSIONS.get(path.suffix.lower(), "settings")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        result.problems.append(f"{path}: cannot read file: {exc.strerror or _first_line(exc)}")
        return result
    if not raw.strip():
        result.files.append(path)
        return result
    try:
        parsed = _parse_with_dynaconf(path)
    except Exception as exc:  # every parser has its own exception type
        result.problems.append(f"{path}: invalid {kind}: {_first_line(exc)}")
        return result
    if not parsed:  # Dynaconf loads nothing from a file whose top level is not a table
        result.problems.append(f"{path}: invalid {kind}: the top level must be a table of environments")
        return result
    for file, tables in parsed:
        result.files.append(file)
        by_name = {name.lower(): (name, value) for name, value in tables.items()}
        for name in tables:
            if name.lower() in _SECTIONS:
                result.problems.append(
                    f"{file}: {name.lower()!r} is outside an environment; put it under [default] "
                    f"or an environment table such as [{environment}.{name.lower()}]"
                )
        for table in dict.fromkeys((_DEFAULT_TABLE, environment.lower(), _GLOBAL_TABLE)):
            if table not in by_name:
                continue
            name, value = by_name[table]
            label = f"{file} [{table}]"
            if not isinstance(value, Mapping):
                result.problems.append(f"{label}: the environment must be a table, got {type(value).__name__}")
                continue
            result.layers.append(Layer(label, normalize_keys(value)))
    return result


# --------------------------------------------------------------------------- environment variables


def env_var_for(path: Sequence[str]) -> str:
    """The environment variable that sets a key path: ``database.url`` → ``PRISMA_INFRA_DATABASE__URL``."""
    return ENV_PREFIX + _NESTING.join(part.upper() for part in path)


def env_layers(env: Mapping[str, str]) -> ReadResult:
    """One layer per ``PRISMA_INFRA_<SECTION>[__<key>...]`` variable, values parsed as TOML literals.

    A variable whose first part is not a section and that has no ``__`` is not a
    setting (``PRISMA_INFRA_ENV``, or switches of other tools such as a plugin
    allowlist) and is skipped; one with ``__`` is reported as an unknown setting.
    Less nested variables apply first so ``..._CACHE__TTL`` refines ``..._CACHE``.
    """
    result = ReadResult()
    candidates: list[tuple[int, str, list[str]]] = []
    for name in env:
        if not name.startswith(ENV_PREFIX) or name in (ENV_SWITCHER, SETTINGS_FILES_VAR):
            continue
        parts = name[len(ENV_PREFIX) :].split(_NESTING)
        if any(not part for part in parts):
            result.problems.append(f"env:{name}: empty key in the variable name (use '__' between keys)")
            continue
        if parts[0].lower() not in _SECTIONS and len(parts) == 1:
            continue
        candidates.append((len(parts), name, parts))
    for _, name, parts in sorted(candidates):
        value = plain(parse_conf_data(boolean_fix(env[name]), tomlfy=True, box_settings={}))
        nested: Any = value
        for part in reversed(parts):
            nested = {part: nested}
        result.layers.append(Layer(f"env:{name}", normalize_keys(nested)))
    return result


# --------------------------------------------------------------------------- merging


def _existing_key(target: Mapping[str, Any], key: str) -> str:
    """``key`` itself, or the key already in ``target`` that differs only in case (``USER`` → ``User``)."""
    if key in target:
        return key
    folded = key.casefold()
    for existing in target:
        if existing.casefold() == folded:
            return existing
    return key


def _drop_sources(sources: dict[KeyPath, str], prefix: KeyPath) -> None:
    for path in [p for p in sources if p[: len(prefix)] == prefix]:
        del sources[path]


def merge_layer(
    target: dict[str, Any],
    data: Mapping[str, Any],
    label: str,
    sources: dict[KeyPath, str],
    prefix: KeyPath = (),
) -> None:
    """Deep-merge ``data`` into ``target`` (tables merge, scalars and lists replace), recording sources."""
    for raw_key, value in data.items():
        key = _existing_key(target, str(raw_key))
        path = (*prefix, key)
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            if value:  # an empty table adds nothing to the one already there
                sources.pop(path, None)  # no longer an empty-table leaf
                merge_layer(current, value, label, sources, path)
            continue
        _drop_sources(sources, path)
        if isinstance(value, Mapping) and value:
            target[key] = {}
            merge_layer(target[key], value, label, sources, path)
        else:
            target[key] = {} if isinstance(value, Mapping) else value
            sources[path] = label
