"""Cross-package fixtures."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURE_PLUGINS = Path(__file__).parent / "fixtures" / "plugins"


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder into which pip has really installed every fixture plugin dist.

    Kept off ``sys.path`` by default so the broken and clashing fixtures never
    reach other tests; ``with_fixture_plugins`` puts it on the path.
    """
    target = tmp_path_factory.mktemp("plugin-site")
    dists = sorted(str(p) for p in FIXTURE_PLUGINS.iterdir() if (p / "pyproject.toml").exists())
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            *dists,
        ],
        check=True,
    )
    return target


@pytest.fixture
def with_fixture_plugins(plugin_site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(plugin_site))
    yield plugin_site
    for name in list(sys.modules):
        if name.startswith("prisma_infra_fixture_"):
            del sys.modules[name]
