"""Transaction observers and batch guards: how features take part in transactions and batches.

* `TransactionObserver`, listed under `TRANSACTION_OBSERVERS`: told when an outermost
  transaction ends. The audit trail emits a transaction's events on commit and drops
  them on rollback; the cache invalidates what the transaction wrote on commit.
* `BatchGuard`, listed under `BATCH_GUARDS`: says whether ``infra.batch(operations)``
  must run as an interactive transaction because the feature works between its
  operations (the audit trail reading before-images).

Publish with ``runtime.services.add(TRANSACTION_OBSERVERS, self)`` when the middleware starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from prisma_infra.stash import ServiceKey

if TYPE_CHECKING:
    from prisma_infra.operation import Operation

__all__ = ["BATCH_GUARDS", "TRANSACTION_OBSERVERS", "BatchGuard", "TransactionObserver"]


class TransactionObserver(Protocol):
    """Told when an outermost transaction ends; a failure is logged, never raised into the caller."""

    async def on_commit(self, transaction_id: str) -> None:
        """The transaction committed."""
        ...

    def discard(self, transaction_id: str) -> None:
        """The transaction rolled back (or expired): forget what was kept for it."""
        ...


class BatchGuard(Protocol):
    def __call__(self, operations: Sequence[Operation]) -> bool:
        """Whether this batch must run as an interactive transaction."""
        ...


TRANSACTION_OBSERVERS: ServiceKey[list[TransactionObserver]] = ServiceKey("transaction observers")
BATCH_GUARDS: ServiceKey[list[BatchGuard]] = ServiceKey("batch guards")
