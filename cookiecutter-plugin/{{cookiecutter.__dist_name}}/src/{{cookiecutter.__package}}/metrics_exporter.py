"""`{{ cookiecutter.__class_prefix }}Exporter`: counts operations in memory, per model and action.

The kernel measures every operation and calls ``observe`` once per exporter,
on the event loop, on the hot path: keep it to a few counter updates, never
block, never raise (the kernel would log it and carry on). Do the expensive
work — formatting, pushing to a backend — at export time (`snapshot`, a
scrape endpoint, a periodic task started in `start`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from prisma_infra_sdk import MetricsExporter

__all__ = ["{{ cookiecutter.__class_prefix }}Exporter"]


class _Counts:
    __slots__ = ("errors", "operations", "rows", "seconds")

    def __init__(self) -> None:
        self.operations = 0
        self.errors = 0
        self.seconds = 0.0
        self.rows = 0


class {{ cookiecutter.__class_prefix }}Exporter(MetricsExporter):
    """``monitoring.exporter_options.{{ cookiecutter.__hyphenated }}``: no options yet."""

    name: ClassVar[str] = "{{ cookiecutter.__hyphenated }}"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._counts: dict[tuple[str | None, str], _Counts] = {}

    def observe(self, model: str | None, action: str, seconds: float, error: str | None, rows: int | None) -> None:
        counts = self._counts.get((model, action))
        if counts is None:
            counts = self._counts[(model, action)] = _Counts()
        counts.operations += 1
        counts.seconds += seconds
        if error is not None:
            counts.errors += 1
        if rows:
            counts.rows += rows

    def snapshot(self) -> dict[str, dict[str, float]]:
        """``{"Model.action": {"operations", "errors", "seconds", "rows"}}`` (``raw`` for raw queries)."""
        return {
            f"{model or 'raw'}.{action}": {
                "operations": c.operations,
                "errors": c.errors,
                "seconds": c.seconds,
                "rows": c.rows,
            }
            for (model, action), c in list(self._counts.items())
        }
