"""The SDK's audit-sink contract: the same suite prisma-infra's own sinks pass."""

from collections.abc import Callable
from pathlib import Path

import pytest
from prisma_infra_sdk.testing import AuditSinkContract

from {{ cookiecutter.__package }}.audit_sink import {{ cookiecutter.__class_prefix }}Sink


class Test{{ cookiecutter.__class_prefix }}Sink(AuditSinkContract):
    @pytest.fixture
    def make_sink(self, tmp_path: Path) -> Callable[[], {{ cookiecutter.__class_prefix }}Sink]:
        # Every call builds a new sink on the same file: the kit checks durability across instances.
        return lambda: {{ cookiecutter.__class_prefix }}Sink({"path": "trail.jsonl", "base_dir": str(tmp_path)})

    @pytest.fixture
    def unavailable_sink(self, tmp_path: Path) -> {{ cookiecutter.__class_prefix }}Sink:
        (tmp_path / "blocked").write_text("a file where the trail's folder should be")
        return {{ cookiecutter.__class_prefix }}Sink({"path": str(tmp_path / "blocked" / "trail.jsonl")})
