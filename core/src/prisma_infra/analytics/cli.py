"""Deprecated location of ``prisma-infra analytics`` and ``prisma-infra kpi``: the commands now
live in `prisma_infra.cli.analytics_cmd`.

The commands start the composition root, which no feature module imports; this module
re-exports them for one release.
"""

from __future__ import annotations

from prisma_infra.cli.analytics_cmd import analytics_app, kpi_app

__all__ = ["analytics_app", "kpi_app"]
