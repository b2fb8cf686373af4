"""Options of the whole suite, for every test folder (core/tests, plugins/*/tests, tests)."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (load, soak and CPU-timing runs that flake on a busy machine)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Read at import time by tests that scale with it (the fuzz suite's example counts).
    if config.getoption("--run-slow"):
        os.environ["PRISMA_INFRA_RUN_SLOW"] = "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
