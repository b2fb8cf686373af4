"""``prisma-infra audit verify|export|history|status`` (imported only when the command line is built)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from prisma_infra.infrastructure import Infrastructure

__all__ = ["audit_app", "with_infrastructure"]

T = TypeVar("T")

audit_app = typer.Typer(help="Verify, query and export the audit trail.", no_args_is_help=True)

SettingsOption = Annotated[
    list[Path] | None,
    typer.Option("--settings", "-s", help="Settings file (TOML, YAML or JSON); repeat for several."),
]
EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="Environment table to apply.")]
SinkOption = Annotated[
    str | None, typer.Option("--sink", help="Queryable sink to read (file or database); default: the first one.")
]


async def with_infrastructure(
    settings: list[Path] | None,
    env: str | None,
    work: Callable[[Infrastructure], Awaitable[T]],
    *,
    overrides: Mapping[str, Any] | None = None,
) -> T:
    """Start the infrastructure from the settings, run ``work``, stop it."""
    from prisma_infra.infrastructure import Infrastructure

    infra = Infrastructure.from_settings(*(settings or ()), environment=env, overrides=overrides)
    async with infra:
        return await work(infra)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@audit_app.command("verify")
def verify(
    settings: SettingsOption = None,
    env: EnvOption = None,
    sink: SinkOption = None,
    path: Annotated[
        Path | None,
        typer.Option("--path", help="Verify this JSON-lines trail file directly (no database, no sinks started)."),
    ] = None,
    anchor: Annotated[
        Path | None,
        typer.Option("--anchor", help="Anchor file to check the trail's tail against (default: audit.anchor)."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", envvar="PRISMA_INFRA_AUDIT_KEY", show_envvar=True,
                     help="The audit hash key (audit.hash_key) of a keyed trail."),
    ] = None,
    allow_truncated_start: Annotated[
        bool, typer.Option("--allow-truncated-start", help="Accept a trail whose oldest events were archived.")
    ] = False,
) -> None:
    """Check the hash chain and its anchor; exit 1 naming the first edited, deleted or reordered event.

    Exit 2 when the trail is keyed and no key was given (nothing can be told without it).
    """
    from prisma_infra.audit.anchor import Anchor, AnchorStore, verify_anchored
    from prisma_infra.audit.anchor_stores import FileAnchorStore, build_anchor_store
    from prisma_infra.audit.chain import VerifyResult
    from prisma_infra.audit.file_sink import iter_trail
    from prisma_infra.audit.manager import AuditManager
    from prisma_infra.config.loader import load_config
    from prisma_infra.errors import PrismaInfraError

    overrides = {"audit": {"hash_key": key}} if key else None
    pinned = FileAnchorStore(anchor) if anchor is not None else None
    result: VerifyResult
    try:
        if path is not None:
            config = load_config(list(settings) if settings else None, environment=env, overrides=overrides).config
            hasher = AuditManager.hasher_for(config.audit)

            async def offline() -> VerifyResult:
                anchors: list[Anchor] = []
                store: AnchorStore | None = pinned
                if store is None and config.audit.anchor.store is not None:
                    store = build_anchor_store(config.audit.anchor, Path(config.base_dir))
                if store is not None:
                    await store.start()
                    try:
                        anchors = await store.latest()
                    finally:
                        await store.close()
                return await verify_anchored(iter_trail(path), hasher, anchors, sink=sink or "file",
                                             allow_truncated_start=allow_truncated_start)

            result = asyncio.run(offline())
        else:

            async def work(infra: Infrastructure) -> VerifyResult:
                anchors = await pinned.latest() if pinned is not None else None
                return await infra.audit.verify(sink=sink, allow_truncated_start=allow_truncated_start,
                                                anchors=anchors)

            result = asyncio.run(with_infrastructure(settings, env, work, overrides=overrides))
    except PrismaInfraError as exc:
        raise _fail(f"Error: {exc}") from None
    if result.needs_key:
        raise _fail(result.describe(), code=2)
    if not result.ok:
        raise _fail(result.describe())
    typer.echo(result.describe())


@audit_app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="File to write.")],
    settings: SettingsOption = None,
    env: EnvOption = None,
    sink: SinkOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or csv.")] = "jsonl",
    since: Annotated[str | None, typer.Option(help="ISO date/time, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO date/time, exclusive.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
) -> None:
    """Export audit events as JSON lines or CSV."""

    async def work(infra: Infrastructure) -> int:
        with infra.policies.bypass():  # an operator, who holds the credentials: all of it
            return await infra.audit.export(
                output, format=fmt, since=since, until=until, model=model, actor=actor, sink=sink
            )

    count = asyncio.run(with_infrastructure(settings, env, work))
    typer.echo(f"exported {count} event{'s' if count != 1 else ''} to {output}")


@audit_app.command("history")
def history(
    model: Annotated[str, typer.Argument(help="Model name (any case).")],
    record_id: Annotated[str, typer.Argument(help="Primary key value.")],
    settings: SettingsOption = None,
    env: EnvOption = None,
    sink: SinkOption = None,
) -> None:
    """Print every event of one record (JSON lines, oldest first)."""

    async def work(infra: Infrastructure) -> list[dict[str, Any]]:
        key: Any = record_id
        repo = infra.repository(model)
        if len(repo.info.key_fields) == 1:
            field = repo.model.field(repo.info.key_fields[0])
            if field.type in ("Int", "BigInt") and record_id.lstrip("-").isdigit():
                key = int(record_id)
        with infra.policies.bypass():  # an operator, who holds the credentials: all of it
            return await infra.audit.history(model, key, sink=sink)

    for event in asyncio.run(with_infrastructure(settings, env, work)):
        typer.echo(json.dumps(event, ensure_ascii=False))


@audit_app.command("status")
def status(settings: SettingsOption = None, env: EnvOption = None) -> None:
    """Show each sink's state (ok or buffering) and its durable buffer (JSON)."""

    async def work(infra: Infrastructure) -> list[dict[str, Any]]:
        return [vars(s) if not hasattr(s, "__slots__") else {k: getattr(s, k) for k in s.__slots__}
                for s in infra.audit.status()]

    typer.echo(json.dumps(asyncio.run(with_infrastructure(settings, env, work)), indent=2))
