"""Limits on any input: nesting depth, string keys, no lone surrogates (nor NUL where text loses it), finite numbers.

One walk over the arguments, before anything else looks at them (policies, the
cache key, validation), so that no later walker can hit Python's recursion limit
or a value the engine's JSON protocol cannot carry. Errors name the model, the
action and the place in the arguments, never the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from prisma_infra.errors import ValidationError

__all__ = ["MAX_DECIMAL_EXPONENT", "MAX_DEPTH", "check_input", "safe_name"]

#: Deepest nesting of objects and lists accepted in arguments (``where``, ``include``, Json values...).
MAX_DEPTH: Final = 64
#: Largest exponent of a Decimal, either way: PostgreSQL's numeric keeps 16,383 digits after the point, and
#: beyond it the engine writes the number out in full (``1e-999999999`` is a billion characters).
MAX_DECIMAL_EXPONENT: Final = 16_383

_SURROGATE = re.compile("[\ud800-\udfff]")
# A name quoted in messages: identifier-like, and no run of 4 digits (a card number or phone is not a name).
_IDENTIFIER = re.compile(r"(?!.*[0-9]{4})[A-Za-z_][A-Za-z0-9_]{0,63}")
_SEQUENCES = (list, tuple, set, frozenset)
#: Databases whose text loses a NUL character: PostgreSQL refuses it (error 22021), SQLite cuts the text there.
_NO_NUL = frozenset({"postgresql", "sqlite"})


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.path: list[str] = []


def safe_name(key: Any) -> str:
    """A key for a message: quoted when it looks like an identifier, else only its type and length."""
    if isinstance(key, str) and _IDENTIFIER.fullmatch(key):
        return repr(key)
    if isinstance(key, str):
        return f"a str key of {len(key)} chars"
    return f"a {type(key).__name__} key"


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def _walk(value: Any, depth: int, postgres: bool, nul_ok: bool) -> None:
    t = type(value)
    if t is str or (t is not bool and isinstance(value, str)):
        if _has_surrogate(value):
            raise _Bad("a string with a lone surrogate (not valid UTF-8)")
        if not nul_ok and "\x00" in value:
            raise _Bad("a string with a NUL character (this database's text cannot hold it)")
    elif t is float:
        if not math.isfinite(value):
            raise _Bad("a non-finite float (NaN and Infinity cannot be stored: they would become NULL)")
    elif t is Decimal:
        if not value.is_finite():
            if not (postgres and value.is_qnan()):
                raise _Bad("a non-finite Decimal (Infinity and signalling NaN cannot be stored on this database)")
        elif value.as_tuple().exponent < -MAX_DECIMAL_EXPONENT or value.adjusted() > MAX_DECIMAL_EXPONENT:
            raise _Bad(f"a Decimal with an exponent beyond ±{MAX_DECIMAL_EXPONENT} (no database column holds it)")
    elif t is dict or isinstance(value, Mapping):
        if depth >= MAX_DEPTH:
            raise _Bad(f"nesting deeper than {MAX_DEPTH} levels")
        for key, item in value.items():
            if type(key) is not str and not isinstance(key, str):
                raise _Bad(f"{safe_name(key)} (keys must be strings)")
            if _has_surrogate(key):
                raise _Bad("a key with a lone surrogate (not valid UTF-8)")
            try:
                _walk(item, depth + 1, postgres, nul_ok)
            except _Bad as bad:
                bad.path.append(key if _IDENTIFIER.fullmatch(key) else "?")
                raise
    elif isinstance(value, _SEQUENCES):
        if depth >= MAX_DEPTH:
            raise _Bad(f"nesting deeper than {MAX_DEPTH} levels")
        for index, item in enumerate(value):
            try:
                _walk(item, depth + 1, postgres, nul_ok)
            except _Bad as bad:
                bad.path.append(f"[{index}]")
                raise


def check_input(model: str | None, action: str, args: Any, *, provider: str | None = None) -> None:
    """Raise `ValidationError` if ``args`` break a limit (see the module docstring).

    ``Decimal('NaN')`` passes on PostgreSQL only, the one database that stores and compares it; a NUL
    character in a string is refused on PostgreSQL and SQLite, whose text cannot hold it.
    """
    try:
        _walk(args, 0, provider == "postgresql", provider not in _NO_NUL)
    except _Bad as bad:
        path = ".".join(reversed(bad.path)).replace(".[", "[") or "arguments"
        field = next((p for p in bad.path if not p.startswith("[") and p != "?"), None)
        subject = f"{model}.{action}" if model else action
        message = f"Invalid input to {subject} at {path}: {bad.reason}."
        raise ValidationError(message, model=model, field=field) from None
