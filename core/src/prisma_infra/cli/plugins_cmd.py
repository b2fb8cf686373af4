"""``prisma-infra plugins``: list plugins, and install or uninstall them with pip.

``install`` and ``uninstall`` run ``python -m pip`` with the interpreter that runs
this command, so the plugin lands in (or leaves) the very environment the
application uses. A running application discovers a newly installed plugin on
its next configuration reload (or restart); nothing is imported here, so a
broken plugin cannot break the command that is installing its fix.

Mount with ``cli.add_typer(plugins_app, name="plugins")``: ``prisma-infra plugins
[--json]`` still lists, ``prisma-infra plugins install NAME...`` installs (a known
provider's name, ``redis``, stands for the dist providing it), ``prisma-infra plugins
kinds`` lists the provider kinds. Both read the kernel's one table,
`prisma_infra.registry.PROVIDER_KINDS`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Sequence

import typer

from prisma_infra.plugin_manager import ENTRY_POINT_GROUP

__all__ = [
    "install_command",
    "installed_plugins",
    "kinds_command",
    "plugins_app",
    "resolve_dist",
    "run_pip",
    "uninstall_command",
]

#: Dists the command refuses to uninstall: removing them removes the command itself.
PROTECTED = frozenset({"prisma-infra", "prisma-infra-sdk"})

plugins_app = typer.Typer(
    name="plugins",
    help="List, install and uninstall prisma-infra plugins.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@plugins_app.callback()
def plugins_root(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List loaded plugins (name, version, dist, hooks) and plugins that failed to load."""
    if ctx.invoked_subcommand is None:
        from prisma_infra.cli.builtin_commands import plugins_command

        plugins_command(ctx, as_json=as_json)


def installed_plugins() -> dict[str, tuple[str | None, str | None]]:
    """Entry-point plugins installed now: name → (dist, version). Reads metadata only, imports nothing."""
    importlib.invalidate_caches()
    found: dict[str, tuple[str | None, str | None]] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.metadata["Name"] if ep.dist is not None else None
        version = ep.dist.version if ep.dist is not None else None
        found[ep.name] = (dist, version)
    return found


def run_pip(arguments: Sequence[str]) -> int:
    """Run ``python -m pip ARGUMENTS`` with this interpreter; its output goes straight to the terminal."""
    return subprocess.call([sys.executable, "-m", "pip", *arguments])


def _describe(names: Sequence[str], plugins: dict[str, tuple[str | None, str | None]]) -> str:
    return ", ".join(
        f"{name} ({plugins[name][0]} {plugins[name][1]})" if plugins[name][0] else name for name in sorted(names)
    )


def resolve_dist(name: str) -> str:
    """What pip installs for ``name``: the dist providing a known provider (``redis`` -> ``prisma-infra-redis``)."""
    from prisma_infra.registry import dist_for

    return dist_for(name) or name


@plugins_app.command("kinds")
def kinds_command(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the provider kinds plugins register: hook, base class, contract kit, known providers."""
    from rich.console import Console
    from rich.table import Table

    from prisma_infra.registry import PROVIDER_KINDS

    rows = [
        {
            "kind": kind.key,
            "hook": kind.hook,
            "deprecated_hooks": list(kind.deprecated_hooks),
            "base": kind.base.__name__,
            "registers": kind.registers,
            "selected_by": kind.selected_by,
            "contract_kit": kind.contract_kit,
            "known_providers": dict(kind.install_hints),
        }
        for kind in PROVIDER_KINDS.values()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Provider kinds")
    for column in ("kind", "hook", "registers", "selected by", "known providers (dist)"):
        table.add_column(column)
    for kind in PROVIDER_KINDS.values():
        known = ", ".join(f"{name} ({dist})" for name, dist in kind.install_hints.items())
        table.add_row(kind.key, kind.hook, kind.registers, kind.selected_by, known or "-")
    Console().print(table)


@plugins_app.command("install")
def install_command(
    names: list[str] = typer.Argument(
        ...,
        help="What pip installs: a dist name (prisma-infra-redis) or a known provider's name (redis), "
        "a version spec, a path or a URL.",
    ),
    upgrade: bool = typer.Option(False, "--upgrade", "-U", help="Upgrade the plugins if already installed."),
    editable: bool = typer.Option(False, "--editable", "-e", help="Install a local folder in editable mode."),
    no_deps: bool = typer.Option(False, "--no-deps", help="Do not install the plugins' dependencies."),
    index_url: str | None = typer.Option(None, "--index-url", help="Base URL of the package index to use."),
    no_build_isolation: bool = typer.Option(
        False, "--no-build-isolation", help="Build local sources with the build tools already installed (offline)."
    ),
) -> None:
    """Install plugins into this environment with pip; a running application picks them up on its next reload."""
    before = installed_plugins()
    arguments = ["install"]
    if upgrade:
        arguments.append("--upgrade")
    if no_deps:
        arguments.append("--no-deps")
    if index_url:
        arguments += ["--index-url", index_url]
    if no_build_isolation:
        arguments.append("--no-build-isolation")
    for name in names:
        dist = name if editable else resolve_dist(name)
        if dist != name:
            typer.echo(f"{name!r} is provided by {dist}: installing that.")
        arguments += ["-e", dist] if editable else [dist]
    code = run_pip(arguments)
    if code != 0:
        typer.secho(f"pip install failed (exit code {code}); nothing was changed.", fg=typer.colors.RED, err=True)
        raise typer.Exit(code)
    after = installed_plugins()
    added = [n for n in after if n not in before]
    changed = [n for n in after if n in before and after[n] != before[n]]
    if added:
        typer.secho(f"Installed plugin(s): {_describe(added, after)}.", fg=typer.colors.GREEN)
    if changed:
        typer.secho(f"Updated plugin(s): {_describe(changed, after)}.", fg=typer.colors.GREEN)
    if not added and not changed:
        typer.echo(
            f"pip finished, but no new plugin appeared in the {ENTRY_POINT_GROUP!r} entry-point group "
            "(already installed, or not a prisma-infra plugin)."
        )
        return
    typer.echo(
        "A running application loads it on its next reload (save the settings file or call "
        "`await infra.configure(...)`); enable what it provides in the settings (e.g. cache.tiers, audit.sinks). "
        "Check with: prisma-infra plugins"
    )


@plugins_app.command("uninstall")
def uninstall_command(
    names: list[str] = typer.Argument(..., help="Dist names to uninstall (prisma-infra-redis)."),
    force: bool = typer.Option(False, "--force", help="Allow uninstalling prisma-infra or prisma-infra-sdk."),
) -> None:
    """Uninstall plugins from this environment with pip (never asks; pip's -y)."""
    protected = [n for n in names if n.lower().replace("_", "-") in PROTECTED]
    if protected and not force:
        typer.secho(
            f"Refusing to uninstall {', '.join(protected)}: that removes prisma-infra itself (use --force).",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    before = installed_plugins()
    code = run_pip(["uninstall", "-y", *names])
    if code != 0:
        typer.secho(f"pip uninstall failed (exit code {code}).", fg=typer.colors.RED, err=True)
        raise typer.Exit(code)
    removed = [n for n in before if n not in installed_plugins()]
    if removed:
        typer.secho(f"Uninstalled plugin(s): {_describe(removed, before)}.", fg=typer.colors.GREEN)
        typer.echo(
            "A running application keeps the code it already imported: remove the plugin's providers from the "
            "settings (the next reload stops using them), and restart to unload it."
        )
    else:
        typer.echo(f"pip finished; no plugin of the {ENTRY_POINT_GROUP!r} entry-point group was removed.")


if __name__ == "__main__":  # ``python -m prisma_infra.cli.plugins_cmd install NAME`` works before it is mounted
    plugins_app()
