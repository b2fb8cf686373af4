"""``prisma-infra serve``: the REST API, the dashboard, ``/metrics`` and the health checks, with uvicorn.

Each worker process builds its own `Infrastructure` from the same settings
(`prisma_infra.cli.serve_app.app_from_env`, uvicorn's factory). Workers share cache
invalidation only through a shared cache store (``redis``, ``memcached``): with only the
in-process ``memory`` store, several workers would each serve their own, stale, cache, so
``--workers N`` (N > 1) is refused unless ``--allow-local-cache`` says that is wanted.

Exit codes: 0 after a signal (SIGTERM, SIGINT) stopped it, 2 for invalid settings or options, 3 when
a worker could not start (its lifespan failed: engine or cache store unreachable...).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import uvicorn

    from prisma_infra.config.model import InfraConfig

__all__ = ["local_cache_settings", "serve_command"]

#: Cache stores that live inside one process (invalidation does not reach other workers).
LOCAL_STORES = frozenset({"memory"})
_BAD_USAGE = 2
#: A worker could not start (engine or store unreachable...): uvicorn's STARTUP_FAILURE.
_STARTUP_FAILURE = 3

SettingsOption = Annotated[
    list[Path] | None,
    typer.Option("--settings", "-s", help="Settings file(s); repeat for several. Default: discovered as usual."),
]
EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="Settings environment.")]
HostOption = Annotated[str, typer.Option("--host", help="Interface to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")]
WorkersOption = Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes.")]
LocalCacheOption = Annotated[
    bool,
    typer.Option(
        "--allow-local-cache",
        help="Allow several workers with only in-process cache stores (caches and invalidation NOT shared).",
    ),
]
ProxyHeadersOption = Annotated[
    bool,
    typer.Option(
        "--proxy-headers/--no-proxy-headers",
        help="Trust X-Forwarded-For/-Proto from --forwarded-allow-ips (the client address, https links).",
    ),
]
ForwardedOption = Annotated[
    str | None,
    typer.Option(
        "--forwarded-allow-ips",
        help="Comma-separated proxy addresses whose X-Forwarded-* headers are trusted (uvicorn's; default 127.0.0.1).",
    ),
]
LogLevelOption = Annotated[str, typer.Option("--log-level", help="uvicorn's log level.")]
AccessLogOption = Annotated[
    bool,
    typer.Option("--access-log/--no-access-log", help="A log line per request (uvicorn's access log)."),
]


def local_cache_settings(config: InfraConfig) -> list[str]:
    """The settings whose cache tiers are all in-process: each worker would cache on its own."""
    if not config.cache.enabled:
        return []
    found: list[str] = []
    if not set(config.cache.tiers) - LOCAL_STORES:
        found.append("cache.tiers")
    for model, settings in config.models.items():
        cache = settings.cache
        if cache.enabled is False or cache.tiers is None:
            continue
        if not set(cache.tiers) - LOCAL_STORES:
            found.append(f"models.{model}.cache.tiers")
    return found


def _fail(message: str, *details: str) -> typer.Exit:
    typer.echo(message, err=True)
    for detail in details:
        typer.echo(f"  - {detail}", err=True)
    return typer.Exit(_BAD_USAGE)


def serve_command(
    settings: SettingsOption = None,
    env: EnvOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: WorkersOption = 1,
    allow_local_cache: LocalCacheOption = False,
    proxy_headers: ProxyHeadersOption = True,
    forwarded_allow_ips: ForwardedOption = None,
    log_level: LogLevelOption = "info",
    access_log: AccessLogOption = True,
) -> None:
    """Serve the REST API (api.prefix), the dashboard, plugin routes (/metrics), /healthz and /readyz."""
    import uvicorn

    from prisma_infra.cli.serve_app import SERVE_HOST_VAR
    from prisma_infra.config.loader import load_config
    from prisma_infra.config.sources import ENV_SWITCHER, SETTINGS_FILES_VAR
    from prisma_infra.errors import ConfigurationError
    from prisma_infra.web.auth import build_authenticator, open_access
    from prisma_infra.web.served import check_prefix

    try:
        loaded = load_config(settings or None, environment=env)
        # Refuse to serve rather than serve a dashboard that answers 401 to everyone, or an open one by accident.
        authenticate = build_authenticator(loaded.config.monitoring.web)
        check_prefix(loaded.config.api.prefix)
    except ConfigurationError as exc:
        # The loader's message lists its problems already; others name them only in `problems`.
        raise _fail(
            f"configuration invalid: {exc.message}", *(p for p in exc.problems if p not in exc.message)
        ) from None
    config = loaded.config
    if proxy_headers and config.api.auth.header.enabled:
        typer.echo(
            "WARNING: api.auth.header with --proxy-headers: uvicorn replaces the peer address with the client's "
            "from X-Forwarded-For, so api.auth.header.trusted_proxies sees the client and the actor headers are "
            "ignored; serve with --no-proxy-headers behind the proxy that sets them.",
            err=True,
        )
    local = local_cache_settings(config)
    if workers > 1 and local:
        if not allow_local_cache:
            raise _fail(
                f"--workers {workers}: the cache is in-process only, so each worker would serve its own cache and "
                "a write in one worker would NOT invalidate the others. Add a shared store (e.g. "
                'cache.tiers = ["memory", "redis"]), or pass --allow-local-cache to accept stale reads.',
                *(f"{name}: only {', '.join(sorted(LOCAL_STORES))}" for name in local),
            )
        typer.echo(
            f"WARNING: {workers} workers with in-process caches only ({', '.join(local)}): every worker caches on "
            "its own and invalidation is NOT shared; reads may be stale until the TTL.",
            err=True,
        )
    if authenticate is open_access:
        typer.echo(
            "WARNING: monitoring.web.auth = 'none': the dashboard and every plugin route are open to anyone "
            f"who can reach {host}:{port}",
            err=True,
        )
    # The workers read the settings the way this command did (uvicorn imports the factory in each one).
    if loaded.settings_files:
        os.environ[SETTINGS_FILES_VAR] = ",".join(str(path.resolve()) for path in loaded.settings_files)
    os.environ[ENV_SWITCHER] = loaded.environment
    os.environ[SERVE_HOST_VAR] = host
    api = f"{config.api.prefix or ''}/" if config.api.enabled else "(off)"
    where = f"http://{host}:{port}" if port else f"{host} (a free port: see uvicorn's line below)"
    typer.echo(
        f"prisma-infra serve on {where}, {workers} worker{'s' if workers > 1 else ''}: "
        f"API {api}, dashboard /dashboard/ (auth: {config.monitoring.web.auth}), /healthz, /readyz"
    )
    _run(
        uvicorn.Config(
            "prisma_infra.cli.serve_app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            lifespan="on",
            log_level=log_level,
            access_log=access_log,
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
            timeout_graceful_shutdown=3,
        )
    )


class _Stopped(Exception):
    """SIGTERM or SIGINT after (or before) serving."""


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise _Stopped


def _run(config: uvicorn.Config) -> None:
    """Serve until a signal; exit code 3 when a worker could not start (uvicorn's own parent exits 0 then)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if config.workers == 1:
        server = uvicorn.Server(config)
        # uvicorn raises the signal again once it shut down gracefully (the process would die by SIGTERM,
        # or Ctrl-C end in "Aborted!"): it reaches this handler instead, and the command exits 0 like the
        # supervisor of several workers does.
        previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGTERM, signal.SIGINT)}
        stopped = False
        try:
            server.run()
        except _Stopped:
            stopped = True
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not server.started and not stopped:
            raise typer.Exit(_STARTUP_FAILURE)
        return
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(process.exitcode == _STARTUP_FAILURE for process in supervisor.processes):
        raise typer.Exit(_STARTUP_FAILURE)
