"""Streaming any number of records in bounded memory, and loading relations for many records at once.

`stream` walks a model in primary-key order with keyset filters
(``id > last``, or ``a > A OR (a = A AND b > B)`` for compound keys; a key with
enum or Boolean fields is walked by their values in the schema's order, see
`prisma_infra.data.keyset`): each
batch is one ``findMany``, only one batch is held at a time, and rows deleted
behind the cursor do not break the walk (Prisma's own ``cursor`` needs the
cursor row to still exist).

`load` fills one relation on a whole list of records with one query, never
one per record:

- the records hold the foreign key (n-1, and the owning side of 1-1):
  ``findMany`` on the related model ``where key in [fk values]``;
- the related model holds it (1-n, and the other side of 1-1):
  ``findMany where fk in [record keys]``, grouped back by ``fk``;
- implicit many-to-many: ``findMany`` on the related model with a ``some``
  filter on the back relation, including the back relation's ids (restricted
  to the records asked for) to attach each related record to its owners.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from prisma_infra.data.keyset import rows_after
from prisma_infra.data.prisma_args import and_where, build_args, key_of, keys_where
from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action

if TYPE_CHECKING:
    from prisma_infra.data.repository import Record, Repository

__all__ = ["load", "stream"]


async def stream(repo: Repository, args: dict[str, Any], batch_size: int) -> AsyncIterator[list[Record]]:
    """Yield every record matching ``args["where"]`` in key order, ``batch_size`` records per list."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValidationError(f"batch_size must be a positive integer, got {batch_size!r}", model=repo.name)
    keys = repo.info.key_fields
    if not keys:
        raise ValidationError(f"{repo.name} has no primary or unique key to stream by", model=repo.name)
    base_where = args.get("where")
    query = {k: v for k, v in args.items() if k not in ("where", "orderBy", "take", "skip", "cursor")}
    select = query.get("select")
    if isinstance(select, Mapping):
        query["select"] = {**select, **{f: True for f in keys}}
    if base_where:
        query["where"] = base_where
    last: Any = None
    while True:
        batch: list[Record] = await rows_after(repo.run, query, keys, repo.info.key_orders, last, batch_size, repo.name)
        if not batch:
            return
        last = key_of(batch[-1], keys)
        yield batch
        if len(batch) < batch_size:
            return


async def load(repo: Repository, records: Sequence[Record], relation: str, args: dict[str, Any]) -> Sequence[Record]:
    """Set ``record[relation]`` on every record with one ``findMany`` on the related model."""
    field = repo.model.field(relation)
    rel = repo.info.relations.get(relation)
    if rel is None:
        raise ValidationError(f"{repo.name}.{relation} is not a relation field", model=repo.name, field=relation)
    if not records:
        return records
    from prisma_infra.data.repository import repository  # the repository module imports this one

    target = repository(repo.infrastructure, rel.to_model).bind(repo.transaction)
    if rel.is_implicit_many_to_many:
        await _load_many_to_many(repo, target, records, relation, rel.opposite_field or "", args)
    elif rel.holds_foreign_key:
        _require(records, rel.fields, repo.name, relation)
        await _load_by_foreign_key(target, records, relation, rel.fields, rel.references, args)
    else:
        # The related model holds the key: ``rel.fields`` are its columns, ``rel.references`` ours.
        _require(records, rel.references, repo.name, relation)
        await _load_by_back_reference(target, records, relation, rel.fields, rel.references, field.is_list, args)
    return records


def _require(records: Sequence[Record], fields: Sequence[str], model: str, relation: str) -> None:
    missing = [f for f in fields if f not in records[0]]
    if missing:
        raise ValidationError(
            f"Cannot load {model}.{relation}: the records lack {', '.join(missing)} (select it)",
            model=model,
            field=relation,
        )


def _present(key: Any) -> bool:
    return key is not None and not (isinstance(key, tuple) and None in key)


def _with_fields(args: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    select = args.get("select")
    if isinstance(select, Mapping):
        return {**args, "select": {**select, **{f: True for f in fields}}}
    return args


async def _load_by_foreign_key(
    target: Repository,
    records: Sequence[Record],
    relation: str,
    fk_fields: Sequence[str],
    ref_fields: Sequence[str],
    args: dict[str, Any],
) -> None:
    wanted = {k for k in (key_of(r, fk_fields) for r in records) if _present(k)}
    by_key: dict[Any, Record] = {}
    if wanted:
        query = _with_fields(args, ref_fields)
        query["where"] = and_where(args.get("where"), keys_where(ref_fields, wanted))
        for row in await target.run(Action.FIND_MANY, query):
            by_key[key_of(row, ref_fields)] = row
    for record in records:
        record[relation] = by_key.get(key_of(record, fk_fields))


async def _load_by_back_reference(
    target: Repository,
    records: Sequence[Record],
    relation: str,
    fk_fields: Sequence[str],
    ref_fields: Sequence[str],
    to_many: bool,
    args: dict[str, Any],
) -> None:
    wanted = {k for k in (key_of(r, ref_fields) for r in records) if _present(k)}
    query = _with_fields(args, fk_fields)
    query["where"] = and_where(args.get("where"), keys_where(fk_fields, wanted))
    groups: dict[Any, list[Record]] = {}
    rows = await target.run(Action.FIND_MANY, query) if wanted else []
    for row in rows:
        groups.setdefault(key_of(row, fk_fields), []).append(row)
    for record in records:
        found = groups.get(key_of(record, ref_fields), [])
        record[relation] = list(found) if to_many else (found[0] if found else None)


async def _load_many_to_many(
    repo: Repository,
    target: Repository,
    records: Sequence[Record],
    relation: str,
    back: str,
    args: dict[str, Any],
) -> None:
    keys = repo.info.key_fields
    _require(records, keys, repo.name, relation)
    if not back:
        raise ValidationError(f"{repo.name}.{relation} has no back relation to load through", model=repo.name)
    wanted = list({key_of(r, keys) for r in records})
    ours = keys_where(keys, wanted)
    back_selection = {"select": {f: True for f in keys}, "where": ours}
    query = dict(args)
    query["where"] = and_where(args.get("where"), {back: {"some": ours}})
    select = query.get("select")
    if isinstance(select, Mapping):
        query["select"] = {**select, back: back_selection}
    else:
        query["include"] = {**(query.get("include") or {}), back: back_selection}
    groups: dict[Any, list[Record]] = {}
    for row in await target.run(Action.FIND_MANY, query):
        for owner in row.pop(back):
            groups.setdefault(key_of(owner, keys), []).append(row)
    for record in records:
        record[relation] = list(groups.get(key_of(record, keys), []))


class StreamingMethods:
    """`Repository` methods for streaming and relation loading (defined here, beside what they run)."""

    __slots__ = ()

    def stream(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        batch_size: int = 1000,
        select: Any = None,
        include: Any = None,
        omit: Any = None,
    ) -> AsyncIterator[list[Record]]:
        """``async for batch in repo.stream(...)``: every match in key order, ``batch_size`` at a time.

        Keyset pagination over the primary key (compound keys too): memory stays
        bounded by one batch whatever the table size. Enum and Boolean key fields come
        first, by their values in the schema's order (`prisma_infra.data.keyset`).
        """
        args = build_args({"where": where, "select": select, "include": include, "omit": omit})
        return stream(cast("Repository", self), args, batch_size)

    async def load(
        self,
        records: Sequence[Record],
        relation: str,
        *,
        where: Mapping[str, Any] | None = None,
        select: Any = None,
        include: Any = None,
        order_by: Any = None,
    ) -> Sequence[Record]:
        """Fill ``relation`` on every record of ``records`` with one query (in place; returns ``records``)."""
        args = build_args({"where": where, "select": select, "include": include, "orderBy": order_by})
        return await load(cast("Repository", self), records, relation, args)
