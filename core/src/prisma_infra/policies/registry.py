"""`PolicyRegistry`: policies defined in code, kept across configuration reloads."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from prisma_infra.policies.spec import PolicySpec

__all__ = ["PolicyRegistry"]


class PolicyRegistry:
    """Policies defined in code; they survive configuration reloads. Engines recompile when it changes."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str, str], PolicySpec] = {}
        self._listeners: list[Callable[[], None]] = []

    def put(self, spec: PolicySpec) -> None:
        """Add or replace a policy (by model and name); a policy that does not compile is rolled back."""
        assert spec.model is not None
        key = (spec.model.lower(), spec.name)
        previous = self._specs.get(key)
        self._specs[key] = spec
        try:
            self._notify()
        except Exception:
            if previous is None:
                del self._specs[key]
            else:
                self._specs[key] = previous
            self._notify()
            raise

    def remove(self, model: str, name: str) -> None:
        self._specs.pop((model.lower(), name), None)
        self._notify()

    def specs(self) -> list[PolicySpec]:
        return list(self._specs.values())

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()
