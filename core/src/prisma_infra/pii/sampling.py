"""Bounded samples of a model's rows, read through the infrastructure (the pipeline, policies included)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prisma_infra.kernel import Executor

__all__ = ["SAMPLED_TYPES", "sample"]

#: Scalar types whose values the detectors read (numbers, booleans, JSON and bytes are not sampled).
SAMPLED_TYPES = frozenset({"String", "DateTime", "BigInt"})


async def sample(infrastructure: Executor, model: str, n: int) -> list[dict[str, Any]]:
    """Up to ``n`` rows of ``model``, only the fields worth classifying.

    Read with ``findMany`` and ``take`` (never a whole table), marked
    ``extra={"purpose": "pii-sample"}`` in the operation context so middleware
    can recognise it.
    """
    if n <= 0:
        return []
    resolved = infrastructure.schema.model(model)
    select = {f.name: True for f in resolved.scalar_fields if f.type in SAMPLED_TYPES and not f.is_enum}
    if not select:
        return []
    rows = await infrastructure.call(
        resolved.name, "findMany", {"take": n, "select": select}, extra={"purpose": "pii-sample"}
    )
    return [dict(row) for row in rows or ()]
