"""Deprecated location of ``prisma-infra cache``: the command now lives in `prisma_infra.cli.cache_cmd`.

The command starts the composition root, which no feature module imports; this module
re-exports `cache_app` for one release.
"""

from __future__ import annotations

from prisma_infra.cli.cache_cmd import cache_app

__all__ = ["cache_app"]
