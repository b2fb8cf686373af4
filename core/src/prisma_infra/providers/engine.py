"""The data-engine interface: runs Prisma operations against a database."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pathlib import Path

    from prisma_infra.config.model import DatabaseConfig
    from prisma_infra.operation import Operation

__all__ = ["Engine", "EngineFactory"]


class Engine(ABC):
    """Executes `Operation` objects and reports the schema it serves.

    Results are plain Python values: dicts for records, with ``datetime``
    (timezone-aware UTC), ``int`` for BigInt, ``Decimal``, ``bytes`` and JSON
    values where Prisma has DateTime, BigInt, Decimal, Bytes and Json.
    Errors are raised as the kernel's exceptions (`prisma_infra.errors`).
    """

    #: Name under which the engine is registered and selected (``database.engine``).
    name: ClassVar[str] = ""

    @property
    @abstractmethod
    def provider(self) -> str:
        """The datasource provider: ``"postgresql"``, ``"mysql"`` or ``"sqlite"``."""

    @abstractmethod
    async def start(self) -> None:
        """Prepare to serve operations (may be lazy: the first operation may start work)."""

    @abstractmethod
    async def close(self) -> None:
        """Release every resource; operations still in flight fail with `EngineUnavailableError`."""

    @abstractmethod
    async def datamodel(self) -> Mapping[str, Any]:
        """The schema as Prisma's DMMF ``datamodel`` JSON (models, enums, types)."""

    @abstractmethod
    async def execute(self, operation: Operation) -> Any:
        """Run one operation; inside ``operation.context.transaction`` when that is set.

        Raw SQL travels as ``Action.QUERY_RAW``/``EXECUTE_RAW`` with ``args``
        ``{"sql": str, "params": list}``.
        """

    @abstractmethod
    async def execute_batch(self, operations: Sequence[Operation]) -> list[Any]:
        """Run operations in order in one database transaction (all or nothing)."""

    @abstractmethod
    async def begin(
        self,
        *,
        timeout: float = 5.0,
        max_wait: float = 2.0,
        isolation_level: str | None = None,
    ) -> str:
        """Open an interactive transaction and return its id.

        :param timeout: seconds the transaction may stay open before it expires.
        :param max_wait: seconds to wait for a connection from the pool.
        :param isolation_level: Prisma's name (``"Serializable"``, ``"ReadCommitted"``, ...).
        """

    @abstractmethod
    async def commit(self, transaction_id: str) -> None:
        """Commit an open transaction; `TransactionError` when it expired or is unknown."""

    @abstractmethod
    async def rollback(self, transaction_id: str) -> None:
        """Roll back an open transaction (a no-op for one that already ended)."""

    async def ping(self) -> None:  # noqa: B027 - optional hook with a safe default
        """Raise `EngineUnavailableError` when the database cannot be reached."""

    @classmethod  # noqa: B027 - optional hook with a safe default
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Check ``database.options`` for this engine without making one.

        Called by ``prisma-infra config check`` and ``config diff``. Raise `ConfigurationError`
        whose ``problems`` name each key at fault (``database.options.<key>: ...``). The default
        accepts anything; an engine that validates its options when it is made should check the
        same way here.
        """

    @classmethod
    def setting_sources(cls, database: DatabaseConfig, base_dir: Path) -> Mapping[str, tuple[Any, str]]:
        """Settings the settings files leave unset that the engine finds elsewhere, for ``config show``.

        Dotted key → (value, where it comes from), e.g. ``database.url`` read from a ``.env``
        file. Values are masked by the caller like any setting. The default finds nothing.
        """
        return {}


#: What ``register_engines`` registers: called with the validated database settings.
EngineFactory = Callable[["DatabaseConfig"], Engine]
