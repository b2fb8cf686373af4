"""The one JSON encoding of the REST API: responses, request bodies, path and query values, OpenAPI.

==========  ================================  ===============================================
Prisma      in a response                     accepted in a body / path / query
==========  ================================  ===============================================
String      string                            string
Int         number                            number (path/query: decimal digits)
Float       number                            number (finite)
Boolean     ``true`` / ``false``              ``true`` / ``false``
BigInt      string of decimal digits          that string, or a JSON integer
Decimal     string, plain notation (``12.30``)  that string (an exponent allowed), or a number
DateTime    ``2024-05-01T12:30:00.000Z``      ISO 8601; without an offset it is UTC; a date
                                              alone is midnight UTC
Bytes       base64 (standard alphabet,        the same
            padded)
Json        the value as it is                the value as it is
enum        the value's name                  the name
==========  ================================  ===============================================

DateTime values always leave in UTC with a ``Z`` and milliseconds (the engines keep milliseconds).
A relation in a record (``include``/``select``) is encoded by its own model. `decode_input` converts a
create/update body into Prisma data: scalar values by type, nested writes (``{"connect": {...}}``) kept
as operations with their values converted by the related model; `decode_where` does the same for a
``where``. Unknown (or hidden) fields raise `prisma_infra.errors.UnknownFieldError` with the closest
visible match. Error messages name the model, the field and the expected type, never the value.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from prisma_infra.rest.decoding import decode_input, decode_where
from prisma_infra.rest.values import (
    BIGINT_PATTERN,
    DECIMAL_PATTERN,
    ENCODERS,
    Hidden,
    decimal_text,
    decode_scalar,
    decode_value,
    encode_datetime,
    encode_value,
)

if TYPE_CHECKING:
    from prisma_infra.schema import Field, Model, Schema

__all__ = [
    "BIGINT_PATTERN",
    "DECIMAL_PATTERN",
    "Hidden",
    "decode_input",
    "decode_scalar",
    "decode_value",
    "decode_where",
    "dumps",
    "encode_aggregate",
    "encode_datetime",
    "encode_record",
    "encode_value",
]


_Plan = dict[str, tuple["Field", Callable[[Any], Any] | None]]


def _plan(schema: Schema, model: Model) -> _Plan:
    """Per model, once per schema: field → (field, encoder or None when the value goes out as it is)."""
    plans: dict[str, _Plan] = schema._memo.setdefault("rest.encoding", {})
    found = plans.get(model.name)
    if found is None:
        found = {}
        for field in model.fields:
            encoder = ENCODERS.get(field.type) if field.kind == "scalar" else None
            found[field.name] = (field, encoder)
        plans[model.name] = found
    return found


def encode_record(
    model: Model, schema: Schema, record: Mapping[str, Any], *, hidden: Hidden | None = None
) -> dict[str, Any]:
    """A record read through the repository, as the API returns it (nested relations by their model).

    Keys that are not fields (``_count``) pass as they are; ``hidden`` fields are dropped.
    """
    plan = _plan(schema, model)
    out: dict[str, Any] = {}
    for key, value in record.items():
        entry = plan.get(key)
        if entry is None:
            out[key] = value
            continue
        field, encoder = entry
        if hidden is not None and hidden(model.name, key):
            continue
        if value is None:
            out[key] = None
        elif field.kind == "object":
            target = schema.model(field.type)
            if isinstance(value, list | tuple):
                out[key] = [encode_record(target, schema, item, hidden=hidden) for item in value]
            else:
                out[key] = encode_record(target, schema, value, hidden=hidden)
        elif encoder is None:
            out[key] = value
        elif isinstance(value, list | tuple):
            out[key] = [encoder(v) for v in value]
        else:
            out[key] = encoder(value)
    return out


_AGGREGATES = frozenset({"_sum", "_min", "_max", "_avg"})


def encode_aggregate(model: Model, schema: Schema, result: Any) -> Any:
    """An ``aggregate`` result, or a ``groupBy`` group (or a list of them), with values encoded by their field.

    ``_sum``/``_min``/``_max`` values and a group's own fields take their field's encoding (a BigInt sum is
    a string); ``_avg`` of a Decimal is a Decimal string, of other numbers a number; ``_count`` stays
    integers.
    """
    if isinstance(result, list | tuple):
        return [encode_aggregate(model, schema, item) for item in result]
    if not isinstance(result, Mapping):
        return result
    plan = _plan(schema, model)
    out: dict[str, Any] = {}
    for key, value in result.items():
        if key in _AGGREGATES and isinstance(value, Mapping):
            out[key] = {name: _aggregated(plan.get(name), key, item) for name, item in value.items()}
        elif key in plan and plan[key][1] is not None and value is not None:
            out[key] = encode_value(plan[key][0], value)
        else:
            out[key] = value
    return out


def _aggregated(entry: tuple[Field, Callable[[Any], Any] | None] | None, kind: str, value: Any) -> Any:
    if entry is None or value is None:
        return value
    encoder = entry[1]
    if kind == "_avg":
        return decimal_text(value) if isinstance(value, Decimal) else value
    return encoder(value) if encoder is not None else value


def _default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return encode_datetime(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot encode a {type(value).__name__} as JSON")


_DUMPS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    """JSON bytes with the API's encodings (Decimal, DateTime, Bytes as above; ints stay numbers)."""
    return orjson.dumps(value, default=_default, option=_DUMPS)
