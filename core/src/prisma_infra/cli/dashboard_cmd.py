"""``prisma-infra dashboard``: serve the kernel's web app with uvicorn.

A command of the composition root: it builds the `Infrastructure` of the settings and
hands it to `prisma_infra.web.create_app` (the web app itself only knows the kernel port).
Registered by the built-in ``monitoring`` plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["dashboard_command"]

SettingsOption = Annotated[
    list[Path] | None,
    typer.Option("--settings", "-s", help="Settings file(s); repeat for several. Default: discovered as usual."),
]
EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="Settings environment.")]
HostOption = Annotated[
    str | None, typer.Option("--host", help="Interface to listen on (default: monitoring.dashboard_host, 127.0.0.1).")
]
PortOption = Annotated[
    int | None, typer.Option("--port", help="Port to listen on (default: monitoring.dashboard_port, 8765).")
]


def dashboard_command(
    settings: SettingsOption = None, env: EnvOption = None, host: HostOption = None, port: PortOption = None
) -> None:
    """Serve the live dashboard, /healthz, /readyz and plugin routes (uvicorn), behind monitoring.web.auth."""
    # Tokens are never options here: a command line is visible to every user of the machine (ps).
    import uvicorn

    from prisma_infra.config.loader import load_config
    from prisma_infra.errors import ConfigurationError
    from prisma_infra.infrastructure import Infrastructure
    from prisma_infra.web import create_app
    from prisma_infra.web.auth import build_authenticator, default_hosts, open_access

    try:
        loaded = load_config(settings or None, environment=env)
        web = loaded.config.monitoring.web
        # Refuse to serve rather than serve a closed app that answers 401 to everyone, or an open one by accident.
        authenticate = build_authenticator(web)
    except ConfigurationError as exc:
        typer.echo(f"configuration invalid: {exc.message}", err=True)
        for problem in exc.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(1) from None
    monitoring = loaded.config.monitoring
    host = host or monitoring.dashboard_host
    port = monitoring.dashboard_port if port is None else port
    if authenticate is open_access:
        typer.echo(
            "WARNING: monitoring.web.auth = 'none': the dashboard and every plugin route are open to anyone "
            f"who can reach {host}:{port}",
            err=True,
        )
    hosts = web.allowed_hosts if web.allowed_hosts is not None else default_hosts(host)
    app = create_app(Infrastructure(loaded), allowed_hosts=hosts)
    listing = ", ".join(hosts)
    typer.echo(f"prisma-infra dashboard on http://{host}:{port}/dashboard/ (auth: {web.auth}; hosts: {listing})")
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=3)
