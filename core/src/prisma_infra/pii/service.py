"""The PII feature of one runtime: its `PiiManager` and the `prisma_infra.ports.masking.Masking` it publishes.

`PiiMiddleware` takes no part in operations; when a runtime starts it publishes a
`PiiService` under `PII` (``infra.pii`` is its manager) and under
`prisma_infra.ports.masking.MASKING` (audit, policies, monitoring, compliance).
The manager is built on first use, not at start, so invalid ``pii`` settings are
reported by the first caller, as before. What it learned from sampled values
(`PiiManager.inventory`) carries over to the next runtime's manager through the
kernel's stash while the schema is the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prisma_infra.pii.manager import PiiManager
from prisma_infra.pii.text import known_values, mask_args, mask_text
from prisma_infra.pipeline import Middleware
from prisma_infra.ports.masking import MASKING
from prisma_infra.stash import ServiceKey, StashKey

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel
    from prisma_infra.runtime import Runtime

__all__ = ["PII", "PiiMiddleware", "PiiService", "pii_manager"]

#: The last manager built for this infrastructure (its learned classifications outlive a reload).
_LAST_MANAGER: StashKey[PiiManager] = StashKey("pii.last_manager")
#: The manager `pii_manager` builds while the pii middleware is disabled: (runtime, manager).
_UNPUBLISHED: StashKey[tuple[Runtime, PiiManager]] = StashKey("pii.unpublished")


class PiiService:
    """One runtime's PII manager (built on first use) and the masking it offers other features."""

    def __init__(self, kernel: Kernel, runtime: Runtime) -> None:
        self._kernel = kernel
        self._runtime = runtime
        self._manager: PiiManager | None = None

    @property
    def manager(self) -> PiiManager:
        """The runtime's `PiiManager`; raises `ConfigurationError` for invalid ``pii`` settings."""
        if self._manager is None:
            stash = self._kernel.stash
            self._manager = PiiManager.for_kernel(self._kernel, self._runtime, previous=stash.get(_LAST_MANAGER))
            stash[_LAST_MANAGER] = self._manager
        return self._manager

    # -- prisma_infra.ports.masking.Masking ------------------------------------------------------

    def field_categories(self, model: str) -> Mapping[str, str]:
        return self.manager.field_categories(model)

    def mask_record(
        self, model: str, record: Mapping[str, Any], *, purpose: str = "audit", role: str | None = None
    ) -> dict[str, Any]:
        return self.manager.mask_record(model, record, purpose=purpose, role=role)

    def apply_strategy(self, value: Any, strategy: str, *, model: str, field: str) -> Any:
        manager = self.manager
        category = manager.field_categories(model).get(field, "generic")
        return manager.masker.mask(value, category, strategy)

    def mask_args(self, args: Mapping[str, Any], *, model: str | None = None) -> dict[str, Any]:
        return mask_args(args, model=model, manager=self.manager)

    def mask_text(self, text: str, *, args: Mapping[str, Any] | None = None, purpose: str = "log") -> str:
        values = known_values(args) if args is not None else ()
        return mask_text(text, manager=self.manager, values=values, purpose=purpose)


PII: ServiceKey[PiiService] = ServiceKey(
    "pii", missing="PII is not available: the 'pii' middleware is disabled (pipeline.disable)"
)


def pii_manager(kernel: Kernel) -> PiiManager:
    """The current runtime's `PiiManager` (``infra.pii``); built for the runtime even when the pii
    middleware is disabled, so classification and the inventory stay available."""
    service = kernel.services.get(PII)
    if service is not None:
        return service.manager
    runtime = kernel.runtime
    held = kernel.stash.get(_UNPUBLISHED)
    if held is None or held[0] is not runtime:
        held = (runtime, PiiManager.for_kernel(kernel, runtime, previous=kernel.stash.get(_LAST_MANAGER)))
        kernel.stash[_UNPUBLISHED] = held
        kernel.stash[_LAST_MANAGER] = held[1]
    return held[1]


class PiiMiddleware(Middleware):
    """Publishes the runtime's `PiiService` under `PII` and `MASKING`; operations pass straight through."""

    name = "pii"
    order = 5

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    async def start(self, runtime: Runtime) -> None:
        service = PiiService(self.kernel, runtime)
        runtime.services[PII] = service
        runtime.services[MASKING] = service
