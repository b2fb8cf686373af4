"""Audit events of the rows a delete or a key change changes through referential actions.

Deleting a row also deletes the rows that reference it with ``onDelete: Cascade`` (and theirs,
at any depth) and sets the key of those with ``SetNull``/``SetDefault`` — the database does it,
or Prisma's client with ``relationMode = "prisma"``. No statement names those rows, so they are
read before the write, in its transaction: for each relation into the deleted model (Prisma's
default when none is written: ``Restrict`` for a required relation, ``SetNull`` for an optional
one), the rows whose foreign key holds a deleted row's referenced fields, ``read_batch_size``
at a time in key order. After the write, each cascaded row of a deleted parent gets a
``delete`` event and each nulled row an ``update`` event (its after-image read by key), with
``details`` naming the relation, the action and the parent: ``{"cascade": "User.posts",
"on_delete": "Cascade", "parent": {"id": 5}}``. ``Restrict``/``NoAction`` change nothing (the
delete fails while such rows exist). An ``update``/``updateMany``/``upsert`` that changes a
referenced field does the same with ``onUpdate`` (default ``Cascade``: the new value is carried
to the referencing rows' key; ``SetNull``), one level deep: ``update`` events, ``"on_update"``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prisma_infra.audit.events import Event, image, json_safe
from prisma_infra.data.prisma_args import keys_where

if TYPE_CHECKING:
    from prisma_infra.audit.capture import AuditCapture
    from prisma_infra.operation import Operation
    from prisma_infra.schema import Schema

__all__ = ["Cascade", "Referencing", "referencing"]

Ident = tuple[str, tuple[Any, ...]]
_CHANGING = frozenset({"Cascade", "SetNull", "SetDefault"})


@dataclass(frozen=True, slots=True)
class Referencing:
    """A relation whose rows a delete of ``parent`` rows changes: ``child.fields`` hold ``parent.references``."""

    label: str
    child: str
    fields: tuple[str, ...]
    references: tuple[str, ...]
    action: str
    trigger: str
    """``on_delete`` or ``on_update``: the key of ``details`` that names ``action``."""

    @property
    def removes(self) -> bool:
        return self.action == "Cascade" and self.trigger == "on_delete"


def referencing(schema: Schema, parent: str, trigger: str = "on_delete") -> tuple[Referencing, ...]:
    """The relations into ``parent`` whose ``onDelete`` (``onUpdate``) deletes or changes the referencing rows."""
    found: list[Referencing] = []
    for model in schema.models:
        for fld in model.fields:
            rel = fld.relation
            if rel is None or rel.to_model != parent or not rel.holds_foreign_key or not rel.fields:
                continue
            if trigger == "on_delete":
                action = rel.on_delete or ("Restrict" if rel.is_required else "SetNull")
            else:
                action = rel.on_update or "Cascade"
            if action in _CHANGING:
                label = f"{parent}.{rel.opposite_field}" if rel.opposite_field else f"{model.name}.{fld.name}"
                found.append(Referencing(label, model.name, rel.fields, rel.references, action, trigger))
    return tuple(found)


@dataclass(slots=True)
class _Row:
    ident: Ident
    row: dict[str, Any]
    via: Referencing
    parent: Ident


class Cascade:
    """The rows a delete of some rows will change, read before it; their events after it."""

    def __init__(self, capture: AuditCapture, op: Operation) -> None:
        self.capture = capture
        self.op = op
        self.rows: dict[Ident, _Row] = {}

    def ident(self, model: str, row: Mapping[str, Any]) -> Ident:
        return model, tuple(row.get(f) for f in self.capture.model(model).key_fields)

    async def read(self, model: str, parents: Sequence[Mapping[str, Any]], changed: Collection[str] = ()) -> None:
        """Read, at any depth, the rows a delete of ``parents`` (rows of ``model``) would change.

        With ``changed`` (fields an update writes), the rows referencing those fields instead, one level.
        """
        todo: list[tuple[str, list[Mapping[str, Any]]]] = [(model, list(parents))]
        while todo:
            name, rows = todo.pop(0)
            for ref in self.capture.referencing(name, "on_update" if changed else "on_delete"):
                if changed and not set(ref.references) & set(changed):
                    continue
                removed = await self._read_children(name, rows, ref)
                if removed:
                    todo.append((ref.child, removed))

    async def _read_children(
        self, parent: str, parents: Sequence[Mapping[str, Any]], ref: Referencing
    ) -> list[Mapping[str, Any]]:
        by_value: dict[tuple[Any, ...], Ident] = {}
        for row in parents:
            value = tuple(row.get(f) for f in ref.references)
            if None not in value:
                by_value.setdefault(value, self.ident(parent, row))
        info = self.capture.model(ref.child)
        removed: list[Mapping[str, Any]] = []
        values: list[Any] = [v if len(v) > 1 else v[0] for v in by_value]  # as `keys_where` takes them
        size = self.capture.read_batch_size
        for start in range(0, len(values), size):
            where = keys_where(ref.fields, values[start : start + size])
            for child in await self.capture._read_matching(self.op, info, where):
                here = self.ident(ref.child, child)
                known = self.rows.get(here)
                if known is not None and (known.via.removes or not ref.removes):
                    continue  # met already (a delete outranks a key change)
                origin = by_value[tuple(child.get(f) for f in ref.fields)]
                self.rows.pop(here, None)  # re-entered after its new parent: `events` walks in order
                self.rows[here] = _Row(here, child, ref, origin)
                if ref.removes:
                    removed.append(child)
        return removed

    async def events(
        self,
        deleted: Collection[Ident],
        skip: Collection[Ident] = (),
        updated: Mapping[Ident, Mapping[str, Any]] | None = None,
    ) -> list[Event]:
        """The events of the rows changed because ``deleted`` were (``skip``: rows with an event already).

        After an update, ``deleted`` are the updated rows' idents before it, ``updated`` their after-images.
        """
        gone = set(deleted)
        changed: list[_Row] = []
        for entry in self.rows.values():  # parents before their rows
            if entry.parent not in gone:
                continue
            if entry.via.removes:
                gone.add(entry.ident)
            changed.append(entry)
        afters = await self._after([e for e in changed if not e.via.removes], updated or {})
        events: list[Event] = []
        for entry in changed:
            if entry.ident in skip:
                continue
            info = self.capture.model(entry.ident[0])
            details = {
                "cascade": entry.via.label,
                entry.via.trigger: entry.via.action,
                "parent": self._record_id(entry.parent),
            }
            if entry.via.removes:
                events.append(self.capture.event(self.op, info, entry.row, None, action="delete", details=details))
                continue
            after = afters.get(id(entry))
            if after is None or image(after, info.scalars) != image(entry.row, info.scalars):
                events.append(self.capture.event(self.op, info, entry.row, after, action="update", details=details))
        return events

    async def _after(
        self, entries: Sequence[_Row], updated: Mapping[Ident, Mapping[str, Any]]
    ) -> dict[int, dict[str, Any]]:
        """Each entry's row after the write (by ``id(entry)``), read by its key then."""
        wanted = {self._key_after(entry, updated): entry for entry in entries}
        by_model: dict[str, list[Any]] = {}
        for model, key in wanted:
            by_model.setdefault(model, []).append(key if len(key) > 1 else key[0])
        found: dict[int, dict[str, Any]] = {}
        for model, keys in by_model.items():
            for row in await self.capture._read_keys(self.op, self.capture.model(model), keys):
                entry = wanted.get(self.ident(model, row))
                if entry is not None:
                    found[id(entry)] = dict(row)
        return found

    def _key_after(self, entry: _Row, updated: Mapping[Ident, Mapping[str, Any]]) -> Ident:
        """The entry's key after the write: an ``onUpdate: Cascade`` carries the new value into key fields."""
        model, key = entry.ident
        parent, via = updated.get(entry.parent), entry.via
        if parent is None or via.trigger != "on_update" or via.action != "Cascade":
            return entry.ident
        carried = {f: parent.get(r) for f, r in zip(via.fields, via.references, strict=True)}
        fields = self.capture.model(model).key_fields
        return model, tuple(carried.get(f, v) for f, v in zip(fields, key, strict=True))

    def _record_id(self, ident: Ident) -> dict[str, Any]:
        keys = self.capture.model(ident[0]).key_fields
        return {f: json_safe(v) for f, v in zip(keys, ident[1], strict=True)}
