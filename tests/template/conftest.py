"""A fresh virtualenv with the kernel and the SDK (no system site-packages), shared by the template tests.

It is built once per session from the local sources (``pip install -e`` with
``--no-build-isolation``, after installing hatchling into it); the kernel's
dependencies come from the configured package index / pip cache. Set
``PRISMA_INFRA_TEMPLATE_VENV`` to a folder to keep the venv between runs
(it is reused when it already works).
"""

from __future__ import annotations

import os
import venv
from pathlib import Path

import pytest

from tests.template.template_support import KINDS, ROOT, Venv, generate


@pytest.fixture(scope="session")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    kept = os.environ.get("PRISMA_INFRA_TEMPLATE_VENV")
    env = Venv(Path(kept) if kept else tmp_path_factory.mktemp("template") / "venv")
    if env.works():
        return env
    # The interpreter of this test run, never a system or pyenv shim; no system site-packages.
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env.path)
    probe = env.run(env.python, "-c", "import sys; print(sys.prefix != sys.base_prefix)")
    assert probe.stdout.strip() == "True", "not a virtualenv"
    env.pip("install", "-q", "hatchling", "editables")
    env.pip("install", "-q", "--no-build-isolation", "-e", ROOT / "core", "-e", f"{ROOT / 'plugin_sdk'}[test]")
    leaked = env.run(env.python, "-c", "import prisma_infra_redis")
    assert leaked.returncode != 0, "the fresh venv must not see the development environment's plugins"
    return env


@pytest.fixture(scope="session")
def generated(plugin_venv: Venv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One generated plugin per kind, all pip-installed (built as wheels) into the shared venv."""
    output = tmp_path_factory.mktemp("generated")
    projects = {kind: generate(kind, output) for kind in KINDS}
    plugin_venv.pip("install", "-q", "--no-build-isolation", *projects.values())
    return projects
