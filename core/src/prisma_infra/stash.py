"""Typed keys and the stores they index, in the manner of pytest's ``StashKey``/``Stash``.

* `Stash` with `StashKey`: state one infrastructure keeps for as long as it lives,
  across configuration reloads (the policy registry, the security monitor, audit
  writers, the monitor's history). ``kernel.stash``.
* `Services` with `ServiceKey`: the objects the features of one runtime publish for
  each other and for the facade (the cache manager, the policies, the monitor,
  masking, row filters, transaction observers). Built again with every runtime,
  so a reload never leaves a service of the old configuration behind.
  ``kernel.services`` (the current runtime's), ``runtime.services``.

A key is its identity: two keys with the same name are different keys, so a plugin
cannot read or replace another's state by guessing a string.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast, overload

from prisma_infra.errors import PrismaInfraError

__all__ = ["ServiceKey", "ServiceUnavailableError", "Services", "Stash", "StashKey"]

T = TypeVar("T")
D = TypeVar("D")


class StashKey(Generic[T]):
    """The key of one value of type ``T`` in a `Stash`; create one per module, at import."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class Stash:
    """A type-safe store of values under `StashKey` objects (``stash[KEY] = value``)."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[StashKey[Any], object] = {}

    def __setitem__(self, key: StashKey[T], value: T) -> None:
        self._values[key] = value

    def __getitem__(self, key: StashKey[T]) -> T:
        return cast(T, self._values[key])

    @overload
    def get(self, key: StashKey[T]) -> T | None: ...
    @overload
    def get(self, key: StashKey[T], default: D) -> T | D: ...
    def get(self, key: StashKey[T], default: object = None) -> object:
        return self._values.get(key, default)

    def setdefault(self, key: StashKey[T], default: T) -> T:
        """The value under ``key``, storing ``default`` first when there is none."""
        return cast(T, self._values.setdefault(key, default))

    def pop(self, key: StashKey[T]) -> T | None:
        return cast("T | None", self._values.pop(key, None))

    def __delitem__(self, key: StashKey[T]) -> None:
        del self._values[key]

    def __contains__(self, key: StashKey[Any]) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)


class ServiceUnavailableError(PrismaInfraError):
    """A feature asked for a service no enabled feature publishes (``services.require``)."""


class ServiceKey(StashKey[T]):
    """The key of a service in `Services`; ``missing`` is the error a caller sees when it is absent."""

    __slots__ = ("missing",)

    def __init__(self, name: str, *, missing: str = "") -> None:
        super().__init__(name)
        self.missing = missing or f"The {name} service is not available: the feature publishing it is disabled"


class Services(Stash):
    """The services of one runtime, published by its middleware when they start."""

    __slots__ = ()

    def require(self, key: ServiceKey[T]) -> T:
        """The service under ``key``; raises `ServiceUnavailableError` (``key.missing``) when absent."""
        if key not in self:
            raise ServiceUnavailableError(key.missing)
        return self[key]

    def add(self, key: ServiceKey[list[T]], item: T) -> None:
        """Append ``item`` to the list service under ``key`` (observers, guards, sources)."""
        self.setdefault(key, []).append(item)

    def all(self, key: ServiceKey[list[T]]) -> tuple[T, ...]:
        """Every item of the list service under ``key``, in publication order (none: empty)."""
        items: list[T] = self.get(key, [])
        return tuple(items)
