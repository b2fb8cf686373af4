"""Moved to `prisma_infra.data.transaction` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.transaction import (
    OperationFactory,
    Transaction,
    current_transaction,
    earlier_in_batch,
    in_batch,
    run_batch,
)

__all__ = ["OperationFactory", "Transaction", "current_transaction", "earlier_in_batch", "in_batch", "run_batch"]
