"""One run of the demo's tour serves every test of its sections."""

from __future__ import annotations

import pytest

from tests.examples.demo_run import TourRun, run_tour


@pytest.fixture(scope="session")
def tour(tmp_path_factory: pytest.TempPathFactory) -> TourRun:
    return run_tour(tmp_path_factory.mktemp("tour") / "blog")
