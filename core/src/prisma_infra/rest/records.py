"""One record by its key: read, create, update, upsert, delete.

* ``GET /{model}/{key...}`` → 200 with the record (``?select=``/``?include=``), 404 when absent;
* ``POST /{model}`` → 201 with the created record and its ``Location``;
* ``PATCH /{model}/{key...}`` → 200 with the updated record (404 when absent);
* ``PUT /{model}/{key...}`` → an upsert by the path's key: 201 + ``Location`` when it
  created the record, 200 when it updated it (the body is the record without its key;
  a key field in the body must agree with the path);
* ``DELETE /{model}/{key...}`` → 200 with the deleted record (404 when absent).

Writes take ``?select=``/``?include=`` too (the shape of the returned record).
"""

from __future__ import annotations

from typing import Any

from prisma_infra.errors import RecordNotFoundError, ValidationError
from prisma_infra.operation import Action, Operation
from prisma_infra.rest.call import Call, json_response
from prisma_infra.rest.encoding import decode_input
from prisma_infra.rest.params import parse_list_params
from prisma_infra.rest.request import ApiResponse

__all__ = ["create", "delete", "read", "read_operation", "shape", "update", "upsert"]

_SHAPE_KEYS = frozenset({"select", "include"})


def shape(call: Call) -> dict[str, Any]:
    """Prisma's ``select``/``include`` from the query string (the key fields always selected)."""
    query = [(k, v) for k, v in call.request.query if k in _SHAPE_KEYS]
    if not query:
        return {}
    settings = call.settings
    params = parse_list_params(
        call.target.model,
        call.schema,
        query,
        default_page_size=settings.page_size,
        max_page_size=settings.max_page_size,
        hidden=call.exposure.hidden,
    )
    args: dict[str, Any] = {}
    if params.select is not None:
        args["select"] = {**params.select, **{f: True for f in call.repo.info.key_fields}}
    if params.include is not None:
        args["include"] = params.include
    return args


def _not_found(call: Call) -> RecordNotFoundError:
    fields = ", ".join(call.repo.info.key_fields)
    return RecordNotFoundError(f"No {call.model_name} record found by {fields}", model=call.model_name)


def read_operation(call: Call) -> Operation:
    """The ``findUnique`` a read runs (built before it runs, for its ETag)."""
    return call.repo.operation(Action.FIND_UNIQUE, {**shape(call), "where": call.unique_where()})


async def read(call: Call, operation: Operation) -> ApiResponse:
    found = await call.kernel.execute(operation)
    if found is None:
        raise _not_found(call)
    return json_response(200, call.encode(found))


def _data(call: Call, body: Any, where: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError(f"{call.model_name}: {where} must be a JSON object", model=call.model_name)
    data: dict[str, Any] = decode_input(call.target.model, call.schema, body, where=where, hidden=call.exposure.hidden)
    return data


def _located(call: Call, status: int, record: dict[str, Any]) -> ApiResponse:
    location = call.record_path(record)
    return json_response(status, call.encode(record), {"location": location} if location else None)


async def create(call: Call) -> ApiResponse:
    data = _data(call, call.body(), "body")
    record = await call.repo.run(Action.CREATE, {"data": data, **shape(call)})
    return _located(call, 201, record)


async def update(call: Call) -> ApiResponse:
    data = _data(call, call.body(), "body")
    record = await call.repo.run(Action.UPDATE, {"where": call.unique_where(), "data": data, **shape(call)})
    return json_response(200, call.encode(record))


async def upsert(call: Call) -> ApiResponse:
    data = _data(call, call.body(), "body")
    key = call.key_values()
    for name, value in key.items():
        if name in data and data[name] != value:
            raise ValidationError(
                f"{call.model_name}.{name} in the body differs from the key in the path",
                model=call.model_name,
                field=name,
            )
    where = call.unique_where()
    existed = await call.repo.exists(key)
    record = await call.repo.run(
        Action.UPSERT, {"where": where, "create": {**data, **key}, "update": data, **shape(call)}
    )
    return _located(call, 200 if existed else 201, record)


async def delete(call: Call) -> ApiResponse:
    record = await call.repo.run(Action.DELETE, {"where": call.unique_where(), **shape(call)})
    return json_response(200, call.encode(record))
