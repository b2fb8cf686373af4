"""``prisma-infra config check|show``: validate and display the effective configuration."""

from __future__ import annotations

import enum
import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table
from rich.text import Text

from prisma_infra.config.loader import LoadedConfig, load_config
from prisma_infra.config.masking import mask_secrets, mask_value
from prisma_infra.config.render import flatten, to_toml, toml_value
from prisma_infra.errors import ConfigurationError
from prisma_infra.providers.engine import Engine

__all__ = ["config_app"]

config_app = typer.Typer(
    help="Check and show the configuration (settings files, .secrets files, PRISMA_INFRA_* variables).",
    no_args_is_help=True,
)


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"
    toml = "toml"


SettingsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--settings",
        "-s",
        help="Settings file (TOML, YAML or JSON); repeat for several. "
        "Default: PRISMA_INFRA_SETTINGS_FILES, else settings.{toml,yaml,yml,json} in the current folder.",
    ),
]
EnvOption = Annotated[
    str | None,
    typer.Option("--env", "-e", help="Environment table to apply. Default: PRISMA_INFRA_ENV, else development."),
]


def _invalid(exc: ConfigurationError) -> typer.Exit:
    """Print every problem of ``exc``; the exit (status 1) to raise."""
    problems = exc.problems or [exc.message]
    count = len(problems)
    typer.echo(f"configuration invalid ({count} problem{'s' if count != 1 else ''}):", err=True)
    for problem in problems:
        typer.echo(f"  - {problem}", err=True)
    return typer.Exit(1)


def _load(ctx: typer.Context, settings: list[Path] | None, env: str | None) -> LoadedConfig:
    """Load, and check the selected engine's ``database.options``; or exit with status 1 after
    printing every problem."""
    try:
        loaded = load_config(settings or None, environment=env)
        _check_engine_options(ctx, loaded)
    except ConfigurationError as exc:
        raise _invalid(exc) from None
    return loaded


def _engine_class(ctx: typer.Context, loaded: LoadedConfig) -> type[Engine] | None:
    """The engine class ``database.engine`` names, when a plugin of the CLI's plugin manager (the
    root context's object) registers one: an engine that is not installed is reported when the
    infrastructure starts, with the package to install."""
    from prisma_infra.plugin_manager import PluginManager
    from prisma_infra.runtime import collect_registry

    plugins = ctx.find_root().obj
    if not isinstance(plugins, PluginManager):
        return None
    registered = collect_registry(plugins, exclude=plugins.disabled)["engines"].get(loaded.config.database.engine)
    factory = registered.factory if registered is not None else None
    return factory if inspect.isclass(factory) and issubclass(factory, Engine) else None


def _check_engine_options(ctx: typer.Context, loaded: LoadedConfig) -> None:
    """Let the engine named by ``database.engine`` check its options, when a plugin registers it."""
    engine = _engine_class(ctx, loaded)
    if engine is not None:
        engine.check_options(loaded.config.database.options)


def _found_by_engine(ctx: typer.Context, loaded: LoadedConfig) -> dict[str, tuple[Any, str]]:
    """Settings left unset that the engine finds elsewhere (the URL in a ``.env``), with their source."""
    engine = _engine_class(ctx, loaded)
    if engine is None:
        return {}
    found = engine.setting_sources(loaded.config.database, Path(loaded.config.base_dir))
    # Shown as a URL setting is shown: credentials stripped (a SecretStr, like database.url).
    return {
        key: (mask_value(key, SecretStr(value) if isinstance(value, str) else value), source)
        for key, (value, source) in found.items()
    }


def _files(loaded: LoadedConfig) -> str:
    return ", ".join(str(f) for f in loaded.files) or "none, defaults only"


@config_app.command()
def check(ctx: typer.Context, settings: SettingsOption = None, env: EnvOption = None) -> None:
    """Validate the configuration without starting anything; exit 1 listing every problem."""
    loaded = _load(ctx, settings, env)
    typer.echo(f"configuration OK (environment {loaded.environment}, files {_files(loaded)})")


@config_app.command()
def show(
    ctx: typer.Context,
    settings: SettingsOption = None,
    env: EnvOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
) -> None:
    """Print the effective configuration, secrets masked, with the source of each value."""
    loaded = _load(ctx, settings, env)
    masked = mask_secrets(loaded.config.model_dump())
    found = _found_by_engine(ctx, loaded)
    sources = {**loaded.sources, **{key: source for key, (_, source) in found.items()}}
    for key, (value, _) in found.items():
        section, _, leaf = key.rpartition(".")
        masked.setdefault(section, {})[leaf] = value
    if output is OutputFormat.json:
        document: dict[str, Any] = {
            "environment": loaded.environment,
            "files": [str(f) for f in loaded.files],
            "settings": masked,
            "sources": sources,
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif output is OutputFormat.toml:
        header = f"# effective configuration (environment {loaded.environment}, files {_files(loaded)})\n"
        typer.echo(header + to_toml(masked, table=loaded.environment, comments=sources), nl=False)
    else:
        table = Table(title=f"configuration (environment {loaded.environment})", caption=f"files: {_files(loaded)}")
        table.add_column("setting", no_wrap=True)
        table.add_column("value", overflow="fold")
        table.add_column("source", overflow="fold")
        for key, value in flatten(masked).items():
            shown = "(not set)" if value is None else toml_value(value)
            table.add_row(Text(key), Text(shown), Text(sources.get(key) or loaded.source_of(key)))
        Console(soft_wrap=False).print(table)


@config_app.command()
def diff(
    ctx: typer.Context,
    proposed: Annotated[list[Path], typer.Option("--proposed", "-p", help="The edited settings file(s) to compare.")],
    settings: SettingsOption = None,
    env: EnvOption = None,
) -> None:
    """Dry run of a reload: what changes, and which providers a swap would rebuild; exit 1 if invalid."""
    from prisma_infra.reload import config_changes, describe_swap

    current = _load(ctx, settings, env)
    candidate = _load(ctx, proposed, env or current.environment)
    changes = config_changes(current.config, candidate.config)
    if not changes:
        typer.echo("no change: a reload would swap nothing")
        return
    old = flatten(mask_secrets(current.config.model_dump(mode="json")))
    new = flatten(mask_secrets(candidate.config.model_dump(mode="json")))
    table = Table(title=f"{len(changes)} setting(s) would change")
    for column in ("setting", "now", "after reload"):
        table.add_column(column)
    for key in changes:
        table.add_row(key, Text(toml_value(old.get(key))), Text(toml_value(new.get(key))))
    Console().print(table)
    typer.echo("a reload would rebuild:")
    for line in describe_swap(changes):
        typer.echo(f"  - {line}")
