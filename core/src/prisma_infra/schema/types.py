"""Prisma scalar types and their Python counterparts, shared by validation, pydantic models and stubs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

__all__ = [
    "NUMERIC_TYPES",
    "PRISMA_SCALARS",
    "PYTHON_TYPES",
    "STUB_TYPES",
    "value_checker",
]

PRISMA_SCALARS: Final = frozenset(
    {"String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes"}
)
NUMERIC_TYPES: Final = frozenset({"Int", "BigInt", "Float", "Decimal"})

#: Python type of each Prisma scalar, as values are read back (``Any`` for Json and unsupported types).
PYTHON_TYPES: Final[dict[str, Any]] = {
    "String": str,
    "Int": int,
    "BigInt": int,
    "Float": float,
    "Decimal": Decimal,
    "Boolean": bool,
    "DateTime": dt.datetime,
    "Json": Any,
    "Bytes": bytes,
}

#: The same, as source text for generated stubs (module aliases ``_dt``, ``_decimal``, ``_t``).
STUB_TYPES: Final[dict[str, str]] = {
    "String": "str",
    "Int": "int",
    "BigInt": "int",
    "Float": "float",
    "Decimal": "_decimal.Decimal",
    "Boolean": "bool",
    "DateTime": "_dt.datetime",
    "Json": "_t.Any",
    "Bytes": "bytes",
}

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _is_string(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and _INT32[0] <= v <= _INT32[1]


def _is_bigint(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and _INT64[0] <= v <= _INT64[1]


def _is_float(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_decimal(v: Any) -> bool:
    if isinstance(v, Decimal | int | float):
        return not isinstance(v, bool)
    if isinstance(v, str):
        try:
            Decimal(v)
        except InvalidOperation:
            return False
        return True
    return False


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_datetime(v: Any) -> bool:
    if isinstance(v, dt.date):
        return True
    if isinstance(v, str):
        try:
            dt.datetime.fromisoformat(v)
        except ValueError:
            return False
        return True
    return False


def _is_bytes(v: Any) -> bool:
    return isinstance(v, bytes | bytearray | memoryview)


def _anything(v: Any) -> bool:
    return True


_CHECKERS: Final[dict[str, Callable[[Any], bool]]] = {
    "String": _is_string,
    "Int": _is_int,
    "BigInt": _is_bigint,
    "Float": _is_float,
    "Decimal": _is_decimal,
    "Boolean": _is_bool,
    "DateTime": _is_datetime,
    "Json": _anything,
    "Bytes": _is_bytes,
}


def value_checker(prisma_type: str, enum_values: frozenset[str] | None = None) -> Callable[[Any], bool]:
    """A predicate accepting the Python values Prisma accepts for one element of ``prisma_type``.

    Int is 32-bit and BigInt 64-bit, as in Prisma; DateTime takes ``date``/``datetime`` or an ISO
    string; Decimal takes ``Decimal``, ``int``, ``float`` or a numeric string; an enum takes its
    value names (``str`` enums whose value is a name pass too).
    """
    if enum_values is not None:
        allowed = enum_values

        def _is_enum(v: Any) -> bool:
            return isinstance(v, str) and (v in allowed or getattr(v, "value", None) in allowed)

        return _is_enum
    return _CHECKERS.get(prisma_type, _anything)
