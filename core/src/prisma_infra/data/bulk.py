"""Bulk writes in batches: each batch in its own interactive transaction, failures isolated per batch.

A failed batch is rolled back whole (none of its rows stay written), recorded
in `BulkResult.failures`, and the following batches still run unless
``stop_on_error=True``. Records may be any iterable (a generator reading a
file): only one batch is held at a time.

``bulk_update`` and ``bulk_delete`` walk the matching keys with keyset
pagination (``id > last``) outside the transactions, then change one batch of
keys per transaction with ``updateMany``/``deleteMany`` restricted to those
keys (and the original filter, so a row changed meanwhile is left alone).

Called on a repository bound to a transaction (or inside an ``async with
infra.transaction()`` block), every batch joins that transaction, and the
first failure propagates (a failed statement usually
poisons the whole transaction, so it cannot be isolated).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar, cast

from prisma_infra.data.keyset import rows_after
from prisma_infra.data.prisma_args import and_where, key_of, keys_where
from prisma_infra.data.transaction import transaction
from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action

if TYPE_CHECKING:
    from prisma_infra.data.repository import Repository
    from prisma_infra.data.transaction import Transaction

__all__ = [
    "BatchFailure",
    "BulkMethods",
    "BulkResult",
    "ProgressCallback",
    "bulk_create",
    "bulk_delete",
    "bulk_update",
    "bulk_upsert",
]

T = TypeVar("T")

#: ``on_progress(done, total)``: records processed so far, and the total when known. May be async.
ProgressCallback = Callable[[int, "int | None"], "Awaitable[None] | None"]


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """One batch that was rolled back."""

    batch_index: int
    """0-based position of the batch."""
    error: Exception
    size: int = 0
    """Records in the batch."""


@dataclass(slots=True)
class BulkResult:
    """The outcome of a bulk operation."""

    matched: int = 0
    """Records given (create, upsert) or found by the filter (update, delete)."""
    affected: int = 0
    """Rows written by the batches that committed."""
    batches: int = 0
    """Batches attempted (committed + failed)."""
    failures: list[BatchFailure] = field(default_factory=list)
    stopped: bool = False
    """True when ``stop_on_error`` ended the run at a failure."""

    @property
    def ok(self) -> bool:
        return not self.failures


def _check_batch_size(repo: Repository, batch_size: int) -> None:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValidationError(f"batch_size must be a positive integer, got {batch_size!r}", model=repo.name)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


async def _aiter(chunks: Iterable[list[T]]) -> AsyncIterator[list[T]]:
    for chunk in chunks:
        yield chunk


def _transaction(repo: Repository) -> Transaction:
    outer = repo.transaction
    return outer.transaction() if outer is not None else transaction(repo.infrastructure)


async def _run(
    repo: Repository,
    batches: AsyncIterator[list[T]],
    work: Callable[[Repository, list[T]], Awaitable[int]],
    *,
    total: int | None,
    stop_on_error: bool,
    on_progress: ProgressCallback | None,
) -> BulkResult:
    result = BulkResult()
    done = 0
    async for index, batch in _enumerate(batches):
        result.batches += 1
        result.matched += len(batch)
        transaction = _transaction(repo)
        try:
            async with transaction as tx:
                affected = await work(repo.bind(tx), batch)
        except Exception as exc:
            if transaction.is_nested:  # joined an open transaction: the failure cannot be isolated
                raise
            result.failures.append(BatchFailure(index, exc, len(batch)))
            if stop_on_error:
                result.stopped = True
                break
        else:
            result.affected += affected
        done += len(batch)
        if on_progress is not None:
            outcome = on_progress(done, total)
            if inspect.isawaitable(outcome):
                await outcome
    return result


async def _enumerate(batches: AsyncIterator[T]) -> AsyncIterator[tuple[int, T]]:
    index = 0
    async for batch in batches:
        yield index, batch
        index += 1


def _count(payload: Any) -> int:
    return int(payload["count"]) if isinstance(payload, Mapping) else int(payload or 0)


# -- create ------------------------------------------------------------------------------


async def bulk_create(
    repo: Repository,
    records: Iterable[Mapping[str, Any]],
    *,
    batch_size: int = 1000,
    skip_duplicates: bool = False,
    stop_on_error: bool = False,
    on_progress: ProgressCallback | None = None,
) -> BulkResult:
    """``createMany`` per batch of ``batch_size`` records."""
    _check_batch_size(repo, batch_size)
    total = len(records) if isinstance(records, Sequence) else None
    extra = {"skipDuplicates": True} if skip_duplicates else {}

    async def work(tx_repo: Repository, batch: list[Mapping[str, Any]]) -> int:
        return _count(await tx_repo.run(Action.CREATE_MANY, {"data": batch, **extra}))

    return await _run(repo, _aiter(_chunks(records, batch_size)), work, total=total,
                      stop_on_error=stop_on_error, on_progress=on_progress)


# -- update / delete by key batches --------------------------------------------------------


async def _key_batches(repo: Repository, where: Mapping[str, Any] | None, batch_size: int) -> AsyncIterator[list[Any]]:
    keys = repo.info.key_fields
    if not keys:
        raise ValidationError(f"{repo.name} has no primary or unique key to batch by", model=repo.name)
    last: Any = None
    query: dict[str, Any] = {"select": {f: True for f in keys}}
    if where:
        query["where"] = where
    while True:
        rows = await rows_after(repo.run, query, keys, repo.info.key_orders, last, batch_size, repo.name)
        if not rows:
            return
        batch = [key_of(row, keys) for row in rows]
        last = batch[-1]
        yield batch
        if len(rows) < batch_size:
            return


async def _total(repo: Repository, where: Mapping[str, Any] | None, on_progress: ProgressCallback | None) -> int | None:
    if on_progress is None:
        return None
    return int(await repo.run(Action.COUNT, {"where": dict(where)} if where else {}))


async def bulk_update(
    repo: Repository,
    where: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    *,
    batch_size: int = 1000,
    stop_on_error: bool = False,
    on_progress: ProgressCallback | None = None,
) -> BulkResult:
    """``updateMany`` per batch of ``batch_size`` matching keys."""
    _check_batch_size(repo, batch_size)
    if not data:
        raise ValidationError(f"{repo.name}.bulk_update needs data", model=repo.name)
    keys = repo.info.key_fields

    async def work(tx_repo: Repository, batch: list[Any]) -> int:
        filters = and_where(where, keys_where(keys, batch))
        return _count(await tx_repo.run(Action.UPDATE_MANY, {"where": filters, "data": dict(data)}))

    total = await _total(repo, where, on_progress)
    return await _run(repo, _key_batches(repo, where, batch_size), work, total=total,
                      stop_on_error=stop_on_error, on_progress=on_progress)


async def bulk_delete(
    repo: Repository,
    where: Mapping[str, Any] | None,
    *,
    batch_size: int = 1000,
    stop_on_error: bool = False,
    on_progress: ProgressCallback | None = None,
) -> BulkResult:
    """``deleteMany`` per batch of ``batch_size`` matching keys."""
    _check_batch_size(repo, batch_size)
    keys = repo.info.key_fields

    async def work(tx_repo: Repository, batch: list[Any]) -> int:
        filters = and_where(where, keys_where(keys, batch))
        return _count(await tx_repo.run(Action.DELETE_MANY, {"where": filters}))

    total = await _total(repo, where, on_progress)
    return await _run(repo, _key_batches(repo, where, batch_size), work, total=total,
                      stop_on_error=stop_on_error, on_progress=on_progress)


# -- upsert ------------------------------------------------------------------------------


def _upsert_key(repo: Repository, key: Sequence[str] | None) -> tuple[str, ...]:
    if key is None:
        return repo.info.key_fields
    fields = (key,) if isinstance(key, str) else tuple(key)
    for name in fields:
        repo.model.field(name)
    if not any(set(fields) == set(unique) for unique in repo.model.unique_keys.values()):
        known = ", ".join("(" + ", ".join(u) + ")" for u in repo.model.unique_keys.values())
        raise ValidationError(
            f"bulk_upsert key ({', '.join(fields)}) is not a unique key of {repo.name}; use one of {known}",
            model=repo.name,
        )
    return fields


async def bulk_upsert(
    repo: Repository,
    records: Iterable[Mapping[str, Any]],
    *,
    key: Sequence[str] | None = None,
    batch_size: int = 1000,
    stop_on_error: bool = False,
    on_progress: ProgressCallback | None = None,
) -> BulkResult:
    """Create the records whose ``key`` is new and update the others, per batch.

    Per batch: one ``findMany`` of the existing keys, one ``createMany`` for the
    new records, one ``update`` by primary key per existing record. Within a
    batch, a key given twice keeps its last record.
    """
    _check_batch_size(repo, batch_size)
    fields = _upsert_key(repo, key)
    pk = repo.info.key_fields
    total = len(records) if isinstance(records, Sequence) else None

    async def work(tx_repo: Repository, batch: list[Mapping[str, Any]]) -> int:
        by_key: dict[Any, Mapping[str, Any]] = {}
        for record in batch:
            missing = [f for f in fields if f not in record]
            if missing:
                raise ValidationError(f"bulk_upsert record lacks key field(s) {missing}", model=repo.name)
            by_key[key_of(record, fields)] = record
        select = {f: True for f in (*pk, *fields)}
        found = await tx_repo.run(Action.FIND_MANY, {"where": keys_where(fields, by_key), "select": select})
        existing = {key_of(row, fields): row for row in found}
        new = [r for k, r in by_key.items() if k not in existing]
        affected = _count(await tx_repo.run(Action.CREATE_MANY, {"data": new})) if new else 0
        for k, row in existing.items():
            data = {f: v for f, v in by_key[k].items() if f not in pk}
            if data:
                where = repo.info.unique_where(key_of(row, pk))
                await tx_repo.run(Action.UPDATE, {"where": where, "data": data})
            affected += 1
        return affected

    return await _run(repo, _aiter(_chunks(records, batch_size)), work, total=total,
                      stop_on_error=stop_on_error, on_progress=on_progress)


class BulkMethods:
    """`Repository` methods for bulk writes (defined here, beside what they run)."""

    __slots__ = ()

    async def bulk_create(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        batch_size: int = 1000,
        skip_duplicates: bool = False,
        stop_on_error: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> BulkResult:
        """``createMany`` in batches, each in its own transaction (a failed batch writes nothing)."""
        repo = cast("Repository", self)
        return await bulk_create(repo, records, batch_size=batch_size, skip_duplicates=skip_duplicates,
                                 stop_on_error=stop_on_error, on_progress=on_progress)

    async def bulk_update(
        self,
        where: Mapping[str, Any] | None,
        data: Mapping[str, Any],
        *,
        batch_size: int = 1000,
        stop_on_error: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> BulkResult:
        """``updateMany`` by key, ``batch_size`` matching records per transaction."""
        repo = cast("Repository", self)
        return await bulk_update(repo, where, data, batch_size=batch_size, stop_on_error=stop_on_error,
                                 on_progress=on_progress)

    async def bulk_upsert(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        key: Sequence[str] | None = None,
        batch_size: int = 1000,
        stop_on_error: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> BulkResult:
        """Create or update each record by a unique ``key`` (default: the primary key), in batches."""
        repo = cast("Repository", self)
        return await bulk_upsert(repo, records, key=key, batch_size=batch_size, stop_on_error=stop_on_error,
                                 on_progress=on_progress)

    async def bulk_delete(
        self,
        where: Mapping[str, Any] | None,
        *,
        batch_size: int = 1000,
        stop_on_error: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> BulkResult:
        """``deleteMany`` by key, ``batch_size`` matching records per transaction."""
        repo = cast("Repository", self)
        return await bulk_delete(repo, where, batch_size=batch_size, stop_on_error=stop_on_error,
                                 on_progress=on_progress)
