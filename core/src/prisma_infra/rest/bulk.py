"""``POST /{model}/bulk``: many creates, updates and deletes, in batches, each batch all-or-nothing.

The body is ``{"create": [data...], "update": [{"where": unique, "data": data}...],
"delete": [unique...]}`` (each part optional). The operations run in that order
(creates, then updates, then deletes, each list in its order), cut into batches
of ``api.bulk_batch_size``; every batch runs in its own transaction
(`prisma_infra.data.transaction`), so a failing operation rolls its whole batch
back, and the following batches still run. At most ``api.bulk_max`` operations
per request (more: 413).

The answer is 200 when every batch committed, 207 when one or more were rolled
back: ``{"ok": bool, "created": n, "updated": n, "deleted": n, "batches":
[{"index": i, "size": n, "ok": true} | {"index": i, "size": n, "ok": false,
"operation": j, "error": problem}]}`` — ``operation`` is the failing operation's
0-based position in the whole request, ``error`` the problem body it maps to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prisma_infra.data.repository import Repository
from prisma_infra.data.transaction import transaction
from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action
from prisma_infra.rest.call import Call, json_response
from prisma_infra.rest.encoding import decode_input, decode_where
from prisma_infra.rest.request import ApiRequestError, ApiResponse

__all__ = ["bulk"]

logger = logging.getLogger(__name__)

_PARTS = ("create", "update", "delete")


@dataclass(frozen=True, slots=True)
class _Op:
    kind: str
    args: dict[str, Any]


def _list(call: Call, body: dict[str, Any], part: str) -> list[Any]:
    items = body.get(part, [])
    if not isinstance(items, list):
        raise ValidationError(f"{call.model_name}: bulk {part!r} must be a list", model=call.model_name, field=part)
    return items


def _object(call: Call, value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(f"{call.model_name}: each bulk {what} must be a JSON object", model=call.model_name)
    return value


def _operations(call: Call, body: dict[str, Any]) -> list[_Op]:
    unknown = sorted(set(body) - set(_PARTS))
    if unknown:
        raise ValidationError(
            f"{call.model_name}: a bulk body takes create, update and delete; not {', '.join(unknown)}",
            model=call.model_name,
        )
    model, schema = call.model_name, call.schema
    target = call.target.model
    parts = {part: _list(call, body, part) for part in _PARTS}
    total = sum(len(items) for items in parts.values())
    if total > call.settings.bulk_max:
        raise ApiRequestError(
            f"{model}: a bulk request carries at most {call.settings.bulk_max} operations (api.bulk_max)",
            status=413,
            model=model,
        )
    hidden = call.exposure.hidden
    ops: list[_Op] = []
    for data in parts["create"]:
        decoded = decode_input(target, schema, _object(call, data, "create"), where="create", hidden=hidden)
        ops.append(_Op("create", {"data": decoded}))
    for item in parts["update"]:
        item = _object(call, item, "update")
        where, data = _object(call, item.get("where"), "update where"), _object(call, item.get("data"), "update data")
        ops.append(
            _Op(
                "update",
                {
                    "where": decode_where(target, schema, where, where="update.where", hidden=hidden),
                    "data": decode_input(target, schema, data, where="update.data", hidden=hidden),
                },
            )
        )
    for where in parts["delete"]:
        decoded = decode_where(target, schema, _object(call, where, "delete"), where="delete", hidden=hidden)
        ops.append(_Op("delete", {"where": decoded}))
    return ops


_ACTIONS = {"create": Action.CREATE, "update": Action.UPDATE, "delete": Action.DELETE}


async def bulk(call: Call, problem: Callable[[BaseException], dict[str, Any]]) -> ApiResponse:
    """Run the body's operations (``problem`` maps a failure to its problem body)."""
    ops = _operations(call, call.body_object())
    size = call.settings.bulk_batch_size
    counts = {"create": 0, "update": 0, "delete": 0}
    batches: list[dict[str, Any]] = []
    for index, start in enumerate(range(0, len(ops), size)):
        batch = ops[start : start + size]
        done = dict(counts)
        failed_at = [start]
        try:
            await _run_batch_tracked(call, batch, done, failed_at)
        except Exception as exc:  # the batch is rolled back; report it and go on
            error = problem(exc)
            if error.get("status", 500) >= 500:  # the type only: an exception's text may carry values
                logger.error("REST bulk batch %d of %s failed with %s", index, call.model_name, type(exc).__name__)
            batches.append({"index": index, "size": len(batch), "ok": False, "operation": failed_at[0], "error": error})
            continue
        counts = done
        batches.append({"index": index, "size": len(batch), "ok": True})
    ok = all(b["ok"] for b in batches)
    body = {
        "ok": ok,
        "created": counts["create"],
        "updated": counts["update"],
        "deleted": counts["delete"],
        "batches": batches,
    }
    return json_response(200 if ok else 207, body)


async def _run_batch_tracked(call: Call, batch: list[_Op], counts: dict[str, int], position: list[int]) -> None:
    """Run one batch in a transaction; ``position[0]`` follows the operation running (for the report)."""
    async with transaction(call.kernel) as tx:
        repo: Repository = tx.repository(call.model_name)
        for op in batch:
            await repo.run(_ACTIONS[op.kind], op.args)
            position[0] += 1
    for op in batch:
        counts[op.kind] += 1
