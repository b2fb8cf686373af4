"""The ``prisma-infra`` command line."""

from prisma_infra.cli.app import build_app, main

__all__ = ["build_app", "main"]
