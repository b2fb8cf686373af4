"""Scalar values of the REST API's JSON encoding, both ways (see `prisma_infra.rest.encoding`).

`encode_value` writes one field's value as a response carries it; `decode_value` reads one JSON
value of a body, `decode_scalar` one text value of a path or query string.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

import orjson

from prisma_infra.errors import ValidationError

if TYPE_CHECKING:
    from prisma_infra.schema import Field

__all__ = [
    "BIGINT_PATTERN",
    "DECIMAL_MAX_DIGITS",
    "DECIMAL_PATTERN",
    "ENCODERS",
    "Hidden",
    "decimal_text",
    "decode_scalar",
    "decode_value",
    "encode_datetime",
    "encode_value",
    "invalid",
]

#: ``hidden(model, field)``: True for a field the API does not expose (it behaves as unknown).
Hidden = Callable[[str, str], bool]

#: A BigInt as text (responses, and accepted in bodies, paths and queries).
BIGINT_PATTERN: Final = r"^-?[0-9]+$"
#: A Decimal as text: plain notation in responses; an exponent is accepted in input.
DECIMAL_PATTERN: Final = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
_BIGINT = re.compile(BIGINT_PATTERN)
_DECIMAL = re.compile(DECIMAL_PATTERN)
_INT64 = (-(2**63), 2**63 - 1)
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


# Outgoing ------------------------------------------------------------------------------------------


def encode_datetime(value: dt.datetime | dt.date) -> str:
    """``2024-05-01T12:30:00.000Z``: UTC, milliseconds (a naive datetime is taken as UTC)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    else:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def decimal_text(value: Decimal) -> str:
    return format(value, "f") if value.is_finite() else str(value)


def _encode_bigint(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _encode_decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return decimal_text(Decimal(repr(value)))
    return value


def _encode_datetime(value: Any) -> Any:
    return encode_datetime(value) if isinstance(value, dt.date) else value


def _encode_bytes(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    return value


ENCODERS: Final[dict[str, Callable[[Any], Any]]] = {
    "BigInt": _encode_bigint,
    "Decimal": _encode_decimal,
    "DateTime": _encode_datetime,
    "Bytes": _encode_bytes,
}


def encode_value(field: Field, value: Any) -> Any:
    """One scalar field's value (or list of values) as the API writes it."""
    encoder = ENCODERS.get(field.type) if field.kind == "scalar" else None
    if encoder is None or value is None:
        return value
    if isinstance(value, list | tuple):
        return [encoder(v) for v in value]
    return encoder(value)


# Incoming ------------------------------------------------------------------------------------------


def invalid(model: str | None, field: Field, expected: str, where: str) -> ValidationError:
    owner = f"{model}." if model else ""
    place = f" in {where}" if where else ""
    return ValidationError(
        f"Invalid value for {owner}{field.name}{place}: expected {expected}.", model=model, field=field.name
    )


def _parse_datetime(text: str) -> dt.datetime | None:
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed


#: The largest Decimal taken: the engine's arithmetic (``increment``...) and SQLite hold a double, and no
#: other database column of Prisma's Decimal reaches further.
DECIMAL_MAX_DIGITS: Final = 308


def _parse_decimal(text: str) -> Decimal | None:
    if not _DECIMAL.match(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None
    return _in_range(number)


def _in_range(number: Decimal) -> Decimal | None:
    return number if number.is_zero() or number.adjusted() < DECIMAL_MAX_DIGITS else None


_EXPECTED: Final = {
    "BigInt": "BigInt (a string of decimal digits)",
    "Decimal": f"Decimal (a decimal number as a string, below 1e{DECIMAL_MAX_DIGITS})",
    "DateTime": "DateTime (ISO 8601)",
    "Bytes": "Bytes (base64)",
    "Int": "Int",
    "Float": "Float",
    "Boolean": "Boolean (true or false)",
}


def decode_value(field: Field, value: Any, *, model: str | None = None, where: str = "") -> Any:
    """One JSON value of a scalar field (an element of a list field) as Prisma takes it.

    BigInt, Decimal, DateTime and Bytes are converted from their JSON forms; other types pass as
    they are (the input check of the pipeline judges them). ``None`` stays ``None``.
    """
    kind = field.type if field.kind == "scalar" else None
    if value is None or kind not in _EXPECTED or kind in ("Int", "Float", "Boolean"):
        return value
    if kind == "BigInt":
        if isinstance(value, int) and not isinstance(value, bool):
            converted: Any = value
        elif isinstance(value, str) and _BIGINT.match(value):
            converted = int(value)
        else:
            raise invalid(model, field, _EXPECTED[kind], where)
        if not _INT64[0] <= converted <= _INT64[1]:
            raise invalid(model, field, "BigInt (64-bit)", where)
        return converted
    if kind == "Decimal":
        if isinstance(value, int) and not isinstance(value, bool):
            number: Decimal | None = _in_range(Decimal(value))
        elif isinstance(value, float) and value == value and abs(value) != float("inf"):
            number = Decimal(repr(value))
        else:
            number = _parse_decimal(value) if isinstance(value, str) else None
        if number is None:
            raise invalid(model, field, _EXPECTED[kind], where)
        return number
    if kind == "DateTime":
        moment = _parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            raise invalid(model, field, _EXPECTED[kind], where)
        return moment
    # Bytes
    if isinstance(value, str) and _BASE64.match(value):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise invalid(model, field, _EXPECTED["Bytes"], where)


def decode_scalar(field: Field, text: str, *, model: str | None = None, where: str = "") -> Any:
    """A path segment or query value (text) of a scalar or enum field as Prisma takes it.

    Int/Float/Boolean are parsed from text (``true``/``false``), Json from JSON text, enums and
    strings stay text; BigInt, Decimal, DateTime and Bytes as in `decode_value`.
    :raises ValidationError: the text is not a value of the field's type (names the field, not the value).
    """
    kind = field.type if field.kind == "scalar" else "String"
    if kind == "Int" or kind == "BigInt":
        if not _BIGINT.match(text.strip()):
            raise invalid(model, field, _EXPECTED[kind], where)
        number = int(text)
        low, high = (-(2**31), 2**31 - 1) if kind == "Int" else _INT64
        if not low <= number <= high:
            raise invalid(model, field, f"{kind} (in range)", where)
        return number
    if kind == "Float":
        try:
            real = float(text)
        except ValueError:
            raise invalid(model, field, _EXPECTED[kind], where) from None
        if real != real or abs(real) == float("inf"):
            raise invalid(model, field, "Float (finite)", where)
        return real
    if kind == "Boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise invalid(model, field, _EXPECTED[kind], where)
        return lowered == "true"
    if kind == "Json":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            raise invalid(model, field, "Json (JSON text)", where) from None
    if kind in _EXPECTED:
        return decode_value(field, text, model=model, where=where)
    return text
