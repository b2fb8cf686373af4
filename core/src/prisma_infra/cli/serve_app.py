"""The worker side of ``prisma-infra serve``: settings → one `Infrastructure` → the served app.

uvicorn imports `app_from_env` in every worker process (``factory=True``); the command passes
what the worker needs through the environment, so a worker reads the same settings as the
command that validated them:

* ``PRISMA_INFRA_SETTINGS_FILES`` / ``PRISMA_INFRA_ENV`` — the settings files and environment
  (the loader's own variables);
* ``PRISMA_INFRA_SERVE_HOST`` — the bind address (the default ``Host`` allow-list);
* ``PRISMA_INFRA_SERVE_DEBUG_WORKER=1`` — answer with ``X-Served-By: <pid>``.

Run it with any ASGI server: ``uvicorn --factory prisma_infra.cli.serve_app:app_from_env``.
"""

from __future__ import annotations

import os

from starlette.types import ASGIApp

from prisma_infra.infrastructure import Infrastructure
from prisma_infra.web.served import ServedApp, create_served_app

__all__ = ["SERVE_HOST_VAR", "app_from_env", "rest_api", "served_app"]

SERVE_HOST_VAR = "PRISMA_INFRA_SERVE_HOST"


def rest_api(infra: Infrastructure) -> ASGIApp | None:
    """The auto REST API with its request actors (``api.auth``), or ``None`` when ``api.enabled`` is off."""
    if not infra.config.api.enabled:
        return None
    from prisma_infra.integrations.starlette import InfraMiddleware, rest_app

    return InfraMiddleware(rest_app(infra), kernel=infra)


def served_app(infra: Infrastructure, *, host: str = "127.0.0.1", watch: bool = True) -> ServedApp:
    """The served application of ``infra`` (not started: the app's lifespan starts and closes it)."""
    return create_served_app(infra, rest_api(infra), host=host, watch=watch)


def app_from_env() -> ServedApp:
    """uvicorn's factory: the served application of the settings named in the environment."""
    from prisma_infra.config.loader import load_config

    return served_app(Infrastructure(load_config()), host=os.environ.get(SERVE_HOST_VAR, "127.0.0.1"))
