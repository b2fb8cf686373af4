"""The kernel's web application (Starlette): health endpoints, the live dashboard, plugin routes.

    from prisma_infra.web import create_app
    app = create_app(infra)        # serve with uvicorn, or app.mount("/infra", ...) in your own app

Closed by default: see `prisma_infra.web.auth` (``monitoring.web``).
"""

from prisma_infra.web.app import InfraApp, create_app, plotly_js_path
from prisma_infra.web.auth import (
    FROM_SETTINGS,
    Authenticator,
    BasicAuth,
    BearerAuth,
    build_authenticator,
    require_auth,
)
from prisma_infra.web.dashboard import DashboardData
from prisma_infra.web.panels import Panel, PanelData

__all__ = [
    "FROM_SETTINGS",
    "Authenticator",
    "BasicAuth",
    "BearerAuth",
    "DashboardData",
    "InfraApp",
    "Panel",
    "PanelData",
    "build_authenticator",
    "create_app",
    "plotly_js_path",
    "require_auth",
]
