"""Helpers of the template tests: the venv wrapper and the generator (conftest.py holds the fixtures)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "cookiecutter-plugin"
KINDS = ("cache_store", "audit_sink", "pii_detector", "metrics_exporter", "search_provider", "middleware")


class Venv:
    """A virtualenv: run its python, pip and console scripts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bin = path / "bin"
        self.python = self.bin / "python"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PRISMA_INFRA_"))}
        env["VIRTUAL_ENV"] = str(self.path)
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return env

    def run(self, *args: str | Path, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def pip(self, *args: str | Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        result = self.run(self.python, "-m", "pip", "--disable-pip-version-check", *args, timeout=timeout)
        assert result.returncode == 0, f"pip {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def works(self) -> bool:
        if not self.python.exists():
            return False
        probe = self.run(self.python, "-c", "import prisma_infra, prisma_infra_sdk.testing, pytest_asyncio")
        return probe.returncode == 0


def generate(kind: str, output: Path, **extra: str) -> Path:
    """Run the template non-interactively for ``kind``; returns the generated project."""
    from cookiecutter.main import cookiecutter

    context = {"plugin_name": f"acme {kind.replace('_', ' ')}", "provider_kind": kind, **extra}
    return Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(output)))
