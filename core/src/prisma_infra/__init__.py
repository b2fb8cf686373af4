"""prisma-infra: infrastructure for any application built on a Prisma schema."""

__version__ = "0.1.0"

from prisma_infra.context import acting_as
from prisma_infra.errors import (
    CacheBackendError,
    ConfigurationError,
    EngineError,
    EngineUnavailableError,
    ForeignKeyConstraintError,
    OperationTimeoutError,
    OutcomeUnknownError,
    PluginError,
    PolicyDeniedError,
    PrismaInfraError,
    ReadOnlyViewError,
    RecordNotFoundError,
    TransactionError,
    UniqueConstraintError,
    UnknownFieldError,
    UnknownModelError,
    ValidationError,
)
from prisma_infra.hookspecs import hookimpl
from prisma_infra.infrastructure import Infrastructure
from prisma_infra.operation import Action, CacheOptions, Operation, OperationContext
from prisma_infra.sync import SyncInfrastructure

__all__ = [
    "Action",
    "CacheBackendError",
    "CacheOptions",
    "ConfigurationError",
    "EngineError",
    "EngineUnavailableError",
    "ForeignKeyConstraintError",
    "Infrastructure",
    "Operation",
    "OperationContext",
    "OperationTimeoutError",
    "OutcomeUnknownError",
    "PluginError",
    "PolicyDeniedError",
    "PrismaInfraError",
    "ReadOnlyViewError",
    "RecordNotFoundError",
    "SyncInfrastructure",
    "TransactionError",
    "UniqueConstraintError",
    "UnknownFieldError",
    "UnknownModelError",
    "ValidationError",
    "__version__",
    "acting_as",
    "hookimpl",
]
