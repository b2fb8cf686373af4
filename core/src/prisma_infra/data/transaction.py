"""Interactive transactions (`Transaction`) and batch transactions (`run_batch`).

``async with infra.transaction(timeout=10) as tx:`` opens an interactive
transaction on the engine; ``tx.repository("user")`` and ``tx.query("user")``
build operations that carry ``context.transaction = tx.id`` and run through
the pipeline like any other. Leaving the block commits; an exception rolls
back and propagates.

Nesting: ``infra.transaction()`` inside an open transaction (same task), or
``tx.transaction()``, joins the outer transaction instead of opening a second
one. There are no savepoints: the inner block neither commits nor rolls back,
so an exception caught inside the outer block does not undo the inner block's
writes; an exception that reaches the outer block rolls back everything.

Expiry: the engine aborts a transaction open longer than ``timeout``
(Prisma's P2028). Operations and the commit of an expired transaction raise
`TransactionError` saying so, and which setting to raise.

``await infra.batch([...])`` runs several operations atomically with
``engine.execute_batch``: each operation still passes through every
middleware (validation, policies, audit, cache), which meet at the engine
call and are sent as one batch. A middleware that must work inside the
batch's transaction between operations (the audit trail, for a nested write,
a cascading delete or its outbox) publishes a guard under
`prisma_infra.ports.transactions.BATCH_GUARDS`; when one says so, the batch runs as
an interactive transaction instead, its operations in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from prisma_infra.data.prisma_args import build_args
from prisma_infra.errors import PrismaInfraError, TransactionError
from prisma_infra.operation import Action, Operation
from prisma_infra.pipeline import compose
from prisma_infra.ports.transactions import BATCH_GUARDS, TRANSACTION_OBSERVERS

if TYPE_CHECKING:
    from prisma_infra.data.query import QueryBuilder
    from prisma_infra.data.repository import Repository
    from prisma_infra.kernel import Executor
    from prisma_infra.runtime import Runtime

__all__ = ["OperationFactory", "Transaction", "batch", "current_transaction", "run_batch", "transaction"]

_current: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar("prisma_infra_transaction", default=None)


def current_transaction() -> Transaction | None:
    """The transaction open in the current task, if any."""
    tx = _current.get()
    return tx if tx is not None and tx.is_active else None


class Transaction:
    """An interactive transaction: use as ``async with infra.transaction() as tx``."""

    def __init__(
        self,
        executor: Executor,
        *,
        timeout: float,
        max_wait: float,
        isolation_level: str | None = None,
        outer: Transaction | None = None,
    ) -> None:
        self._infra = executor
        self.timeout = timeout
        self.max_wait = max_wait
        self.isolation_level = isolation_level
        #: The transaction this one joins (nested use), else ``None``.
        self.outer = outer
        self.id: str | None = outer.id if outer is not None else None
        self._expires_at: float = outer._expires_at if outer is not None else 0.0
        self._state = "new"
        self._token: contextvars.Token[Transaction | None] | None = None
        #: The runtime the transaction began on: a reload never moves it to another engine.
        self._runtime: Runtime | None = outer._runtime if outer is not None else None

    def __repr__(self) -> str:
        return f"<Transaction {self.id or '(not started)'} {self.state}>"

    # -- state ---------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``new``, ``active``, ``committed``, ``rolled back`` or ``failed`` (a joined transaction: the outer's)."""
        return self.outer.state if self.outer is not None else self._state

    @property
    def is_active(self) -> bool:
        return self.state == "active"

    @property
    def is_nested(self) -> bool:
        return self.outer is not None

    def remaining(self) -> float:
        """Seconds before the engine expires this transaction (as seen from here)."""
        return self._expires_at - self._infra.clock.monotonic()

    def _probably_expired(self) -> bool:
        """Whether an engine `TransactionError` is the expiry: our clock starts after ``begin`` returns,
        a little later than the engine's, so allow some slack."""
        return self.remaining() <= max(0.1, 0.05 * self.timeout)

    def _expired_error(self) -> TransactionError:
        return TransactionError(
            f"Transaction {self.id} expired: it stayed open longer than its timeout of {self.timeout:g} s and "
            "was rolled back by the engine. Pass a larger timeout= to infra.transaction() or raise "
            "database.transaction_timeout."
        )

    def _check(self) -> None:
        state = self.state
        if state != "active":
            raise TransactionError(f"Transaction {self.id or ''} is {state}: no more operations can run in it")
        if self.remaining() <= 0:
            raise self._expired_error()

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> Transaction:
        if self.outer is not None:
            self.outer._check()
            return self
        if self._state != "new":
            raise TransactionError("A Transaction object can be entered only once")
        runtime = self._infra.runtime
        self.id = await runtime.engine.begin(
            timeout=self.timeout, max_wait=self.max_wait, isolation_level=self.isolation_level
        )
        self._runtime = runtime
        runtime.hold()
        self._expires_at = self._infra.clock.monotonic() + self.timeout
        self._state = "active"
        self._token = _current.set(self)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.outer is not None:
            return  # the outer block decides
        self._reset_current()
        if self._state != "active":
            return  # ended early with commit() / rollback()
        if exc_type is not None:
            await self.rollback()
            return
        await self.commit()

    def _reset_current(self) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        # Exited from another context (the synchronous facade runs each step as its own task): nothing to restore.
        with contextlib.suppress(ValueError):
            _current.reset(token)

    async def commit(self) -> None:
        """Commit now (leaving the block then does nothing more)."""
        if self.outer is not None:
            raise TransactionError("A nested transaction block cannot commit: the outermost block commits")
        self._check_can_end()
        assert self.id is not None
        expired = self.remaining() <= 0
        try:
            await self._pinned.engine.commit(self.id)
        except TransactionError as exc:
            self._state = "failed"
            await self._quiet_rollback()
            await _notify_end(self, committed=False)  # audit hook
            if expired or self._probably_expired():
                raise self._expired_error() from exc
            raise
        except BaseException:
            self._state = "failed"
            await self._quiet_rollback()
            await _notify_end(self, committed=False)  # audit hook
            raise
        self._state = "committed"
        await _notify_end(self, committed=True)  # audit hook

    async def rollback(self) -> None:
        """Roll back now (leaving the block then does nothing more)."""
        if self.outer is not None:
            raise TransactionError("A nested transaction block cannot roll back alone: raise to roll back all")
        self._check_can_end()
        self._state = "rolled back"
        await self._quiet_rollback()
        await _notify_end(self, committed=False)  # audit hook

    @property
    def _pinned(self) -> Runtime:
        if self._runtime is None:
            raise TransactionError("The transaction has not started: use 'async with infra.transaction() as tx'")
        return self._runtime

    def _check_can_end(self) -> None:
        if self._state != "active":
            raise TransactionError(f"Transaction {self.id or ''} is {self._state}")

    async def _quiet_rollback(self) -> None:
        if self.id is None:
            return
        # The engine may have ended it already (expired, or the connection is gone).
        with contextlib.suppress(PrismaInfraError):
            await self._pinned.engine.rollback(self.id)

    # -- operations ----------------------------------------------------------------------

    async def execute(self, operation: Operation) -> Any:
        """Run ``operation`` inside this transaction, through the pipeline."""
        self._check()
        if operation.context.transaction != self.id:
            operation = operation.with_context(transaction=self.id)
        try:
            return await self._infra.execute(operation, runtime=self._pinned)
        except TransactionError as exc:
            if self._probably_expired():
                raise self._expired_error() from exc
            raise

    def repository(self, model: str | Repository) -> Repository:
        """The repository of ``model`` whose operations run in this transaction."""
        from prisma_infra.data.repository import Repository, repository

        repo = model if isinstance(model, Repository) else repository(self._infra, model)
        return repo.bind(self)

    def query(self, model: str) -> QueryBuilder:
        """A query builder for ``model`` running in this transaction."""
        return self.repository(model).query()

    def transaction(self, **_ignored: Any) -> Transaction:
        """Join this transaction from nested code (no savepoint: see the module documentation)."""
        root = self.outer or self
        return Transaction(
            self._infra, timeout=root.timeout, max_wait=root.max_wait, isolation_level=root.isolation_level, outer=root
        )

    async def batch(self, operations: Sequence[Operation]) -> list[Any]:
        """Run ``operations`` in order inside this transaction (already atomic)."""
        return [await self.execute(op) for op in operations]


_batch_index: contextvars.ContextVar[int] = contextvars.ContextVar("prisma_infra_batch_index", default=-1)
#: The operations of the current batch that come before this one (they run in the same engine transaction).
_batch_earlier: contextvars.ContextVar[tuple[Operation, ...]] = contextvars.ContextVar(
    "prisma_infra_batch_earlier", default=()
)


def transaction(
    executor: Executor,
    *,
    timeout: float | None = None,
    max_wait: float | None = None,
    isolation_level: str | None = None,
) -> Transaction:
    """``async with transaction(kernel) as tx:`` for code holding the executor; what
    `Infrastructure.transaction` opens (its parameters and defaults)."""
    outer = current_transaction()
    if outer is not None:
        return outer.transaction()
    database = executor.config.database
    return Transaction(
        executor,
        timeout=database.transaction_timeout if timeout is None else timeout,
        max_wait=database.transaction_max_wait if max_wait is None else max_wait,
        isolation_level=isolation_level,
    )


async def batch(executor: Executor, operations: Sequence[Operation]) -> list[Any]:
    """Run operations atomically in one engine batch, in order (inside an open transaction: in it)."""
    outer = current_transaction()
    if outer is not None:
        return await outer.batch(operations)
    runtime = executor.runtime
    runtime.hold()  # a reload waits for the batch before closing its engine
    try:
        return await run_batch(executor, operations)
    finally:
        runtime.release()


async def run_batch(executor: Executor, operations: Sequence[Operation]) -> list[Any]:
    """Run ``operations`` atomically with one ``engine.execute_batch``, each through the pipeline.

    Every operation runs through the middleware in its own task; the
    innermost call, instead of the engine, parks the (possibly rewritten)
    operation. Once every operation is parked or answered by a middleware
    (a cache hit), the parked ones go to the engine as one batch and each
    result flows back out through its middleware. If any operation fails
    before the engine (validation, policy), nothing is sent and the error is
    raised; if the batch fails, every operation sees the error.
    """
    operations = list(operations)
    if not operations:
        return []
    in_tx = {op.context.transaction for op in operations} - {None}
    if in_tx:
        raise TransactionError(
            "infra.batch() runs its own transaction: build the operations outside a transaction, "
            "or use tx.batch() inside one"
        )
    runtime = executor.runtime
    if any(needs(operations) for needs in runtime.services.all(BATCH_GUARDS)):
        # A middleware must work in the batch's transaction between its operations (the audit's reads).
        async with transaction(executor) as tx:
            return await tx.batch(operations)
    for operation in operations:  # all of them before any is run: a refused one sends nothing
        executor.check_input(operation, runtime)
    loop = asyncio.get_running_loop()
    parked: list[asyncio.Future[Operation | None]] = [loop.create_future() for _ in operations]
    results: list[asyncio.Future[Any]] = [loop.create_future() for _ in operations]

    async def terminal(operation: Operation) -> Any:
        index = _batch_index.get()
        parked[index].set_result(operation)
        return await results[index]

    handler = compose(runtime.middleware, terminal)

    notify = executor.plugins.notify if runtime.notify_completed else None
    started = time.perf_counter()

    async def one(index: int, operation: Operation) -> Any:
        _batch_index.set(index)
        _batch_earlier.set(tuple(operations[:index]))
        try:
            result = await handler(operation)
        except BaseException as exc:
            if not parked[index].done():
                parked[index].set_exception(exc)
            if notify is not None and isinstance(exc, Exception):
                await notify(
                    "operation_completed",
                    operation=operation,
                    result=None,
                    error=exc,
                    duration=time.perf_counter() - started,
                )
            raise
        if not parked[index].done():
            parked[index].set_result(None)  # answered without the engine
        if notify is not None:
            await notify(
                "operation_completed",
                operation=operation,
                result=result,
                error=None,
                duration=time.perf_counter() - started,
            )
        return result

    tasks = [asyncio.create_task(one(i, op)) for i, op in enumerate(operations)]
    try:
        reached = await asyncio.gather(*parked)
        batch = [(i, op) for i, op in enumerate(reached) if op is not None]
        outputs = await runtime.engine.execute_batch([op for _, op in batch]) if batch else []
    except BaseException as exc:
        for future in results:
            if not future.done():
                future.set_exception(exc)
        await asyncio.gather(*tasks, return_exceptions=True)
        _settle(parked, results)
        raise
    for (i, _), output in zip(batch, outputs, strict=True):
        results[i].set_result(output)
    return list(await asyncio.gather(*tasks))


def _settle(*groups: list[asyncio.Future[Any]]) -> None:
    """Mark failed futures as seen, so asyncio does not log "exception was never retrieved"."""
    for futures in groups:
        for future in futures:
            if future.done() and not future.cancelled():
                future.exception()


# -- transaction observers -------------------------------------------------------------------
# The end of an outermost transaction is told to the `TRANSACTION_OBSERVERS` of its runtime
# (`prisma_infra.ports.transactions`): the audit trail emits a transaction's events on commit
# and drops them on rollback; the cache retires what the transaction wrote.

_log = logging.getLogger("prisma_infra.data.transaction")


async def _notify_end(transaction: Transaction, *, committed: bool) -> None:
    tx_id, runtime = transaction.id, transaction._runtime
    if tx_id is None or runtime is None:
        return
    try:
        for observer in runtime.services.all(TRANSACTION_OBSERVERS):
            try:
                if committed:
                    await observer.on_commit(tx_id)
                else:
                    observer.discard(tx_id)
            except Exception:
                _log.exception("transaction observer %r failed after transaction %s ended", observer, tx_id)
    finally:
        runtime.release()  # a retired runtime may now close


def in_batch() -> bool:
    """Whether the current task is an operation's pass through the middleware of `run_batch`."""
    return _batch_index.get() >= 0


# -- end transaction observers


def earlier_in_batch() -> tuple[Operation, ...]:
    """The operations of the current `run_batch` before this one (empty outside a batch).

    A read after a write of the same batch must see that write: the cache answers
    no such read (its entries predate the batch).
    """
    return _batch_earlier.get()


class OperationFactory:
    """``repo.op.create(data=...)``: the same actions as the repository, returning unrun `Operation` objects.

    Keywords are Prisma's arguments with the same snake_case aliases and shorthands.
    """

    __slots__ = ("_repo",)

    def __init__(self, repository: Repository) -> None:
        self._repo = repository

    def _make(self, action: Action, args: Mapping[str, Any], unique: bool = False) -> Operation:
        compiled = build_args(args)
        if unique and "where" in compiled:
            compiled["where"] = self._repo.info.unique_where(compiled["where"])
        return self._repo.operation(action, compiled)

    def find_unique(self, **args: Any) -> Operation:
        return self._make(Action.FIND_UNIQUE, args, unique=True)

    def find_first(self, **args: Any) -> Operation:
        return self._make(Action.FIND_FIRST, args)

    def find_many(self, **args: Any) -> Operation:
        return self._make(Action.FIND_MANY, args)

    def count(self, **args: Any) -> Operation:
        return self._make(Action.COUNT, args)

    def aggregate(self, **args: Any) -> Operation:
        return self._make(Action.AGGREGATE, args)

    def group_by(self, **args: Any) -> Operation:
        return self._make(Action.GROUP_BY, args)

    def create(self, **args: Any) -> Operation:
        return self._make(Action.CREATE, args)

    def create_many(self, **args: Any) -> Operation:
        return self._make(Action.CREATE_MANY, args)

    def update(self, **args: Any) -> Operation:
        return self._make(Action.UPDATE, args, unique=True)

    def update_many(self, **args: Any) -> Operation:
        return self._make(Action.UPDATE_MANY, args)

    def upsert(self, **args: Any) -> Operation:
        return self._make(Action.UPSERT, args, unique=True)

    def delete(self, **args: Any) -> Operation:
        return self._make(Action.DELETE, args, unique=True)

    def delete_many(self, **args: Any) -> Operation:
        return self._make(Action.DELETE_MANY, args)
