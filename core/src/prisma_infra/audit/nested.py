"""Audit events of nested writes: one event per row a ``create``/``update``/``upsert`` reaches through relations.

In the write's transaction, the record is read before the write with an ``include``
of every relation its nested operations touch (at any depth, to-many in key order; a
to-many written only by key, for the rows named: `_only_named`), together with the
rows those operations name by where-unique (``connect``, ``set``, ``connectOrCreate``...);
after the write it is read again the same way (and the rows
that left it, by key). Each row is then compared with itself:

- there after, not before: ``create``; there before, gone after: ``delete``;
- both, its columns differ (a nested update, or a foreign key that ``connect``,
  ``disconnect`` or ``set`` moved onto or off it): ``update``;
- both, equal columns, links of an implicit many-to-many added or removed: ``update``
  with the linked and unlinked records in ``details`` (the join table has no model);
- otherwise no event: a row whose foreign key did not change (the other side of a
  to-one ``connect``, a nested update that changed nothing) was not written.

The top-level record's event comes first, then the nested rows in the order of the
include (relations in argument order, parents before their rows, each relation's rows
in key order): the chain order is the same for the same data. Rows a nested ``delete``
or ``deleteMany`` changes through ``onDelete`` come last (`prisma_infra.audit.cascade`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prisma_infra.audit.cascade import Cascade
from prisma_infra.audit.events import Event, image, json_safe
from prisma_infra.nested_writes import NestedWrite, items, named_rows, relation_writes, walk
from prisma_infra.operation import Action, Operation
from prisma_infra.policies.where import expand_unique

if TYPE_CHECKING:
    from prisma_infra.audit.capture import AuditCapture, ModelAudit
    from prisma_infra.pipeline import Handler
    from prisma_infra.schema import Field, Model, Schema

__all__ = ["has_nested", "run_nested"]

Ident = tuple[str, tuple[Any, ...]]
Tree = dict[str, tuple["Field", "Tree", list[NestedWrite]]]
_NESTING = (Action.CREATE, Action.UPDATE, Action.UPSERT)
_LINKS = frozenset({"connect", "disconnect"})
#: Nested operations on a to-many that touch only the rows they name by where-unique.
_BY_KEY = frozenset({"update", "delete", "connect", "disconnect"})
_PREFETCH_CHUNK = 500
_DELETING = frozenset({"delete", "deleteMany"})


def _datas(op: Operation) -> list[Any]:
    if op.action is Action.UPSERT:
        return [op.args.get("create"), op.args.get("update")]
    return [op.args.get("data")]


def has_nested(op: Operation, model: Model, schema: Schema) -> bool:
    """Whether ``op`` (a write on ``model``) writes related rows through nested writes.

    Linking through a key on the written row itself (``author: {connect: ...}``) writes no related row.
    """
    if op.action not in _NESTING:
        return False
    for data in _datas(op):
        if next(relation_writes(model, data), None) is None:
            continue
        for write in walk(schema, model, data):
            if write.op not in _LINKS or not write.relation.holds_foreign_key:
                return True
    return False


@dataclass
class _Snapshot:
    """The rows one read found, by model and key, in the order met; where each was met; m2m links."""

    rows: dict[Ident, dict[str, Any]] = field(default_factory=dict)
    via: dict[Ident, tuple[str, Ident]] = field(default_factory=dict)
    links: set[tuple[str, Ident, Ident]] = field(default_factory=set)


def _tree(writes: Sequence[NestedWrite]) -> Tree:
    root: Tree = {}
    for write in writes:  # parents come before their children
        node = root
        for key in write.path[:-1]:
            node = node[key][1]
        node.setdefault(write.path[-1], (write.field, {}, []))[2].append(write)
    return root


def _only_named(field: Field, writes: Sequence[NestedWrite]) -> list[dict[str, Any]] | None:
    """The where-uniques of the only rows a to-many's nested writes touch, if they touch no other.

    Then the relation is read for those rows alone, not whole; ``create``, ``upsert``, ``set``,
    ``updateMany``... reach rows no where-unique names, and keep the whole relation read.
    """
    named: list[dict[str, Any]] = []
    for write in writes:
        if write.op not in _BY_KEY:
            return None
        found = named_rows(field, write.op, write.arg)
        if len(found) != len(items(write.arg)):
            return None
        named.extend(expand_unique(write.target, w) for w in found)
    return named or None


class _Nested:
    """One nested write's capture (see the module documentation)."""

    def __init__(self, capture: AuditCapture, op: Operation, info: ModelAudit) -> None:
        self.capture = capture
        self.op = op
        self.info = info
        self.schema = capture.schema
        self.model = self.schema.model(info.name)
        self.writes = [w for data in _datas(op) for w in walk(self.schema, self.model, data)]
        self.tree = _tree(self.writes)
        self.include = self._include(self.tree)

    def _include(self, tree: Tree) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (fld, sub, writes) in tree.items():
            arg: dict[str, Any] = {}
            if sub:
                arg["include"] = self._include(sub)
            keys = self.capture.model(fld.type).key_fields
            if fld.is_list and keys:
                arg["orderBy"] = [{f: "asc"} for f in keys]
                named = _only_named(fld, writes)
                if named is not None:
                    arg["where"] = {"OR": named}
            out[key] = arg or True
        return out

    def ident(self, model: str, row: Mapping[str, Any]) -> Ident:
        return model, tuple(row.get(f) for f in self.capture.model(model).key_fields)

    def _flatten(self, model: Model, row: Mapping[str, Any], tree: Tree, snap: _Snapshot) -> Ident:
        here = self.ident(model.name, row)
        snap.rows.setdefault(here, dict(row))
        for key, (fld, sub, _) in tree.items():
            value = row.get(key)
            target = self.schema.model(fld.type)
            label = f"{model.name}.{key}"
            for child in items(value) if value is not None else ():
                if not isinstance(child, Mapping):
                    continue
                found = self._flatten(target, child, sub, snap)
                snap.via.setdefault(found, (label, here))
                if fld.relation is not None and fld.relation.is_implicit_many_to_many:
                    snap.links.add((label, here, found))
        return here

    async def _root(self, where: Mapping[str, Any]) -> dict[str, Any] | None:
        found = await self.capture._read(
            self.op, self.info.name, Action.FIND_UNIQUE, {"where": dict(where), "include": self.include}
        )
        return dict(found) if found is not None else None

    async def _prefetch(self) -> _Snapshot:
        """The rows the nested operations name by where-unique, as they are before the write."""
        wanted: dict[str, list[dict[str, Any]]] = {}
        for write in self.writes:
            for where in named_rows(write.field, write.op, write.arg):
                wanted.setdefault(write.target.name, []).append(expand_unique(write.target, where))
        snap = _Snapshot()
        for model, wheres in wanted.items():
            for start in range(0, len(wheres), _PREFETCH_CHUNK):
                chunk = wheres[start : start + _PREFETCH_CHUNK]
                order = [{f: "asc"} for f in self.capture.model(model).key_fields]  # a deterministic chain order
                args = {"where": {"OR": chunk}, "orderBy": order}
                rows = await self.capture._read(self.op, model, Action.FIND_MANY, args)
                for row in rows:
                    snap.rows.setdefault(self.ident(model, row), dict(row))
        return snap

    async def _still_there(self, idents: Sequence[Ident]) -> dict[Ident, dict[str, Any]]:
        """The rows among ``idents`` that exist after the write (read by key)."""
        by_model: dict[str, list[Any]] = {}
        for model, key in idents:
            by_model.setdefault(model, []).append(key if len(key) > 1 else key[0])
        found: dict[Ident, dict[str, Any]] = {}
        for model, keys in by_model.items():
            for row in await self.capture._read_keys(self.op, self.capture.model(model), keys):
                found[self.ident(model, row)] = dict(row)
        return found

    async def run(self, call: Handler) -> tuple[Any, list[Event]]:
        capture, op, info = self.capture, self.op, self.info
        before_root = None if op.action is Action.CREATE else await self._root(op.args.get("where") or {})
        before = _Snapshot()
        if before_root is not None:
            self._flatten(self.model, before_root, self.tree, before)
        prefetched = await self._prefetch()
        cascade, doomed = await self._cascade(before, prefetched)
        result = await call(op)
        key = capture._raw_key(op, info, result, before_root)
        after_root = await self._root(info.where_unique(key)) if key is not None else None
        after = _Snapshot()
        root = self._flatten(self.model, after_root, self.tree, after) if after_root is not None else None
        if root is None and before_root is not None:
            root = self.ident(self.model.name, before_root)
        gone = [i for i in [*before.rows, *prefetched.rows] if i not in after.rows and i != root]
        still = await self._still_there(list(dict.fromkeys(gone)))
        kept_before = before_root if capture.before_images else None
        details = {"created": before_root is None} if op.action is Action.UPSERT and capture.before_images else None
        events = [
            capture.event(op, info, kept_before, after_root if after_root is not None else result, details=details)
        ]
        for ident in dict.fromkeys([*after.rows, *before.rows, *prefetched.rows]):
            if ident == root:
                continue
            old = before.rows.get(ident) or prefetched.rows.get(ident)
            new = after.rows.get(ident) or still.get(ident)
            event = self._event(ident, old, new, before, after)
            if event is not None:
                events.append(event)
        if cascade is not None:
            deleted = [i for i in doomed if i not in after.rows and i not in still]
            events += await cascade.events(deleted, skip={*before.rows, *prefetched.rows, *after.rows})
        return result, events

    async def _cascade(self, before: _Snapshot, prefetched: _Snapshot) -> tuple[Cascade | None, list[Ident]]:
        """The rows a nested delete may remove, and what their removal would change (read before the write)."""
        labels = {f"{w.model.name}.{w.path[-1]}" for w in self.writes if w.op in _DELETING}
        targets = {w.target.name for w in self.writes if w.op in _DELETING}
        doomed = [i for i, (label, _) in before.via.items() if label in labels]
        doomed += [i for i in prefetched.rows if i[0] in targets and i not in before.via]
        if not any(self.capture.referencing(i[0]) for i in doomed):
            return None, []
        cascade = Cascade(self.capture, self.op)
        by_model: dict[str, list[dict[str, Any]]] = {}
        for ident in doomed:
            by_model.setdefault(ident[0], []).append(before.rows.get(ident) or prefetched.rows[ident])
        for model, rows in by_model.items():
            await cascade.read(model, rows)
        return cascade, doomed

    def _event(
        self, ident: Ident, old: dict[str, Any] | None, new: dict[str, Any] | None, before: _Snapshot, after: _Snapshot
    ) -> Event | None:
        info = self.capture.model(ident[0])
        via = after.via.get(ident) or before.via.get(ident)
        details: dict[str, Any] = {}
        if via is not None:
            details["nested"] = via[0]
            details["parent"] = self._record_id(via[1])
        if old is None and new is None:
            return None
        if old is None or new is None:
            action = "create" if old is None else "delete"
            return self.capture.event(self.op, info, old, new, action=action, details=details)
        linked = sorted((label, p) for label, p, c in after.links - before.links if c == ident)
        unlinked = sorted((label, p) for label, p, c in before.links - after.links if c == ident)
        if image(old, info.scalars) == image(new, info.scalars) and not linked and not unlinked:
            return None
        if linked:
            details["linked"] = [{"via": label, "record_id": self._record_id(p)} for label, p in linked]
        if unlinked:
            details["unlinked"] = [{"via": label, "record_id": self._record_id(p)} for label, p in unlinked]
        return self.capture.event(self.op, info, old, new, action="update", details=details)

    def _record_id(self, ident: Ident) -> dict[str, Any]:
        keys = self.capture.model(ident[0]).key_fields
        return {f: json_safe(v) for f, v in zip(keys, ident[1], strict=True)}


async def run_nested(capture: AuditCapture, op: Operation, call: Handler, info: ModelAudit) -> tuple[Any, list[Event]]:
    """Run a write with nested operations and return its result and one event per row it touched."""
    return await _Nested(capture, op, info).run(call)
