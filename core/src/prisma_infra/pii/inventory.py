"""The PII inventory: every field holding personal data, with category, confidence, masked evidence and source."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from prisma_infra.pii.classify import Classification, Source

__all__ = ["InventoryEntry", "PiiInventory", "combine"]


@dataclass(frozen=True, slots=True)
class InventoryEntry:
    """One field classified as PII."""

    model: str
    field: str
    category: str
    confidence: float
    evidence: str
    """Why, with an example value masked (``j***@example.com``); never a raw value."""
    source: Source
    type: str = ""
    sampled: int = 0
    """Values read to classify the field (0: schema and configuration only)."""
    matched: int = 0
    """Sampled values in which the category was detected."""


@dataclass(slots=True)
class PiiInventory:
    """The inventory report: entries ordered by model and field."""

    entries: list[InventoryEntry] = field(default_factory=list)
    sampled_models: dict[str, int] = field(default_factory=dict)
    """Rows read per model."""
    errors: dict[str, str] = field(default_factory=dict)
    """Models whose sample could not be read, and why."""

    def __iter__(self) -> Iterator[InventoryEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, model: str, field_name: str) -> InventoryEntry | None:
        lower = model.lower()
        return next((e for e in self.entries if e.model.lower() == lower and e.field == field_name), None)

    def categories(self) -> dict[str, str]:
        """``"Model.field"`` → category."""
        return {f"{e.model}.{e.field}": e.category for e in self.entries}

    def to_dicts(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries]

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(
            {"entries": self.to_dicts(), "sampled": self.sampled_models, "errors": self.errors},
            indent=indent,
            ensure_ascii=False,
        )


def _noisy_or(a: float, b: float) -> float:
    return round(1 - (1 - a) * (1 - b), 3)


def combine(
    schema: Classification | None, values: Classification | None, configured: str | None, *, sampled: int
) -> Classification | None:
    """One verdict from the schema, the sampled values and the configuration (which always wins).

    Schema and values agreeing reinforce each other; disagreeing, the more
    confident wins and the evidence says so; a schema guess that a non-empty
    sample does not confirm keeps half its confidence.
    """
    if configured is not None:
        if configured == "none":
            return None
        agreed = [name for name, c in (("schema", schema), ("values", values)) if c and c.category == configured]
        note = f"; {' and '.join(agreed)} agree" if agreed else ""
        if not agreed and (schema or values):
            other = (schema or values).category  # type: ignore[union-attr]
            note = f"; classifier said {other}"
        return Classification(configured, 1.0, f"configured{note}", "config")
    if schema and values:
        if schema.category == values.category:
            return Classification(
                schema.category,
                _noisy_or(schema.confidence, values.confidence),
                f"{schema.evidence}; {values.evidence}",
                "schema+values",
            )
        if values.confidence >= schema.confidence:
            return Classification(
                values.category, values.confidence, f"{values.evidence} (schema suggested {schema.category})", "values"
            )
        return Classification(
            schema.category, schema.confidence, f"{schema.evidence} (values suggest {values.category})", "schema"
        )
    if values:
        return Classification(values.category, values.confidence, values.evidence, "values")
    if schema:
        if sampled:
            return Classification(
                schema.category,
                round(schema.confidence / 2, 3),
                f"{schema.evidence}; not confirmed by {sampled} sampled values",
                "schema",
            )
        return schema
    return None
