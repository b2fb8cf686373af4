"""The provider kinds: what a plugin implements for each, and what the kernel does around it.

The table is the kernel's (`prisma_infra.registry.PROVIDER_KINDS`), so the hook, base class,
type check, contract kit and install hints are written once; here it is keyed by the
name of one provider of the kind (``cache_store``, the template's ``provider_kind``)
and limited to the kinds with a base class and a contract kit.

A provider implements only its kind's primitives. The kernel owns the shared
work, the same for every backend, so no plugin re-implements it (and none can
get it subtly wrong): timeouts and deadlines, retries and circuit breaking,
metrics, error translation at the boundary, key namespacing and
serialisation, buffering and replay, hot swapping on reload.
"""

from __future__ import annotations

from prisma_infra.registry import PROVIDER_KINDS as _KERNEL_KINDS
from prisma_infra.registry import ProviderKind

__all__ = ["PROVIDER_KINDS", "ProviderKind"]

#: Kind (``cache_store``) -> `ProviderKind`: ``hook``, ``base``, ``registers``, ``selected_by``,
#: ``primitives``, ``kernel_does``, ``contract`` (the kit's name in `prisma_infra_sdk.testing`).
PROVIDER_KINDS: dict[str, ProviderKind] = {k.kind: k for k in _KERNEL_KINDS.values() if k.contract_kit is not None}
