"""Old analytics names kept importable for one release, with a `DeprecationWarning` when used.

A module assigns ``__getattr__ = deprecated_aliases(__name__, {"Old": (New, "where.New")})``
at runtime and declares ``Old = New`` under ``TYPE_CHECKING``, so type checkers
still see a real alias while code importing the old name is warned.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

__all__ = ["deprecated_aliases"]


def deprecated_aliases(module: str, aliases: Mapping[str, tuple[object, str]]) -> Callable[[str], object]:
    """A module ``__getattr__`` resolving each old name of ``aliases`` to its replacement (and warning)."""

    def __getattr__(name: str) -> object:
        found = aliases.get(name)
        if found is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value, replacement = found
        warnings.warn(
            f"{module}.{name} is deprecated and will be removed in the next release: use {replacement}",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__
