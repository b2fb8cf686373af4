"""The runtime model of a Prisma schema: `Schema`, `Model`, `Field`, `Relation`, `Enum`, ...

Everything here is immutable and built once from Prisma's datamodel (see
`prisma_infra.schema.dmmf`). Model names are looked up case-insensitively;
field names are exact, as in Prisma's own arguments. Unknown names raise the
kernel's errors with the closest match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import TYPE_CHECKING, Any, Literal

from prisma_infra.errors import ReadOnlyViewError, UnknownFieldError, UnknownModelError, ValidationError, closest_match
from prisma_infra.schema import graph as _graph

#: Nested operations that only link rows: through a foreign key the written model holds, they write it alone.
_LINKS = frozenset({"connect", "disconnect", "set"})

if TYPE_CHECKING:
    from prisma_infra.operation import Action
    from prisma_infra.schema.graph import ModelRef

__all__ = [
    "Cardinality",
    "Enum",
    "EnumValue",
    "Field",
    "FieldDefault",
    "FieldKind",
    "Index",
    "IndexType",
    "Model",
    "Relation",
    "Schema",
    "UniqueConstraint",
]

FieldKind = Literal["scalar", "enum", "object", "unsupported"]
Cardinality = Literal["one", "many"]
IndexType = Literal["id", "unique", "normal", "fulltext"]


@dataclass(frozen=True, slots=True)
class FieldDefault:
    """A field's ``@default``: a literal ``value`` or a database/client ``function``."""

    value: Any = None
    """The literal (as Prisma gives it: BigInt and Json defaults are strings); ``None`` for functions."""
    function: str | None = None
    """``now``, ``autoincrement``, ``uuid``, ``cuid``, ``dbgenerated``, ``sequence``, ``nanoid``, ``ulid``..."""
    args: tuple[Any, ...] = ()

    @property
    def is_function(self) -> bool:
        return self.function is not None


@dataclass(frozen=True, slots=True)
class Relation:
    """One side of a relation, seen from the model that declares ``field``."""

    name: str
    """Prisma's relation name (``PostToUser`` or the explicit ``@relation("Name")``)."""
    model: str
    field: str
    to_model: str
    cardinality: Cardinality
    """``many`` when ``field`` is a list."""
    fields: tuple[str, ...]
    """Foreign-key fields, on whichever model holds them (``foreign_key_model``); empty for implicit m-n."""
    references: tuple[str, ...]
    """The fields of the referenced model that ``fields`` point at."""
    holds_foreign_key: bool
    """True when this side declares ``@relation(fields: ..., references: ...)``."""
    foreign_key_model: str | None
    """The model that holds the foreign key; ``None`` for an implicit many-to-many (a hidden join table)."""
    is_implicit_many_to_many: bool
    opposite_field: str | None
    """The back-relation field on ``to_model`` (Prisma requires one, so ``None`` only for broken input)."""
    is_required: bool
    """A required to-one side (always False for a to-many side)."""
    on_delete: str | None = None
    on_update: str | None = None

    @property
    def is_self_relation(self) -> bool:
        return self.model == self.to_model

    @property
    def is_to_many(self) -> bool:
        return self.cardinality == "many"

    @property
    def join_table(self) -> str | None:
        """The hidden table of an implicit many-to-many (Prisma names it ``_`` + relation name)."""
        return f"_{self.name}" if self.is_implicit_many_to_many else None


@dataclass(frozen=True, slots=True)
class Field:
    """A model field: scalar, enum, or relation (``kind == "object"``)."""

    name: str
    kind: FieldKind
    type: str
    """Prisma type: ``String``, ``Int``, ... for scalars, the enum or model name otherwise."""
    db_name: str | None = None
    """The ``@map`` name, ``None`` when unmapped (see `column_name`)."""
    is_list: bool = False
    is_required: bool = True
    is_id: bool = False
    is_unique: bool = False
    is_read_only: bool = False
    """True for foreign-key scalars (Prisma marks them read-only)."""
    has_default: bool = False
    default: FieldDefault | None = None
    is_updated_at: bool = False
    native_type: tuple[str, tuple[str, ...]] | None = None
    """``@db.VarChar(200)`` is ``("VarChar", ("200",))``."""
    documentation: str | None = None
    relation: Relation | None = None

    @property
    def column_name(self) -> str:
        return self.db_name or self.name

    @property
    def is_relation(self) -> bool:
        return self.kind == "object"

    @property
    def is_scalar(self) -> bool:
        """True for scalar and enum fields (anything stored in the model's own table)."""
        return self.kind != "object"

    @property
    def is_enum(self) -> bool:
        return self.kind == "enum"


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    """A primary key or unique constraint, single-field or compound."""

    fields: tuple[str, ...]
    key: str
    """The where-unique key Prisma uses: the field name, or ``name`` / ``f1_f2`` for compounds."""
    name: str | None = None
    """The ``name:`` given to a compound ``@@id``/``@@unique``."""
    db_name: str | None = None
    """The ``map:`` constraint name in the database."""
    is_id: bool = False

    @property
    def is_compound(self) -> bool:
        return len(self.fields) > 1


@dataclass(frozen=True, slots=True)
class Index:
    """An entry of the datamodel's ``indexes``: ids, uniques, plain and full-text indexes."""

    fields: tuple[str, ...]
    type: IndexType
    name: str | None = None
    db_name: str | None = None
    is_defined_on_field: bool = False
    algorithm: str | None = None


@dataclass(frozen=True, slots=True)
class EnumValue:
    name: str
    db_name: str | None = None


@dataclass(frozen=True, slots=True)
class Enum:
    name: str
    values: tuple[EnumValue, ...]
    db_name: str | None = None
    documentation: str | None = None

    @property
    def value_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.values)


@dataclass(frozen=True, eq=False)
class Model:
    """A Prisma model. Compared by identity: one `Schema` owns each instance."""

    name: str
    fields: tuple[Field, ...]
    db_name: str | None = None
    """The ``@@map`` name, ``None`` when unmapped (see `table_name`)."""
    primary_key: UniqueConstraint | None = None
    unique_constraints: tuple[UniqueConstraint, ...] = ()
    """Single-field ``@unique`` and compound ``@@unique``, without the primary key."""
    indexes: tuple[Index, ...] = ()
    documentation: str | None = None
    db_schema: str | None = None
    """The ``@@schema`` (multi-schema databases)."""
    is_view: bool = False
    """A Prisma ``view`` block: read-only (writes are refused with `ReadOnlyViewError`)."""
    _by_name: dict[str, Field] = dc_field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    @property
    def table_name(self) -> str:
        return self.db_name or self.name

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    @property
    def scalar_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind != "object")

    @property
    def relation_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind == "object")

    @property
    def relations(self) -> tuple[Relation, ...]:
        return tuple(f.relation for f in self.fields if f.relation is not None)

    @property
    def id_fields(self) -> tuple[str, ...]:
        return self.primary_key.fields if self.primary_key else ()

    @property
    def unique_keys(self) -> dict[str, tuple[str, ...]]:
        """Every where-unique key (primary key first) and the fields it stands for."""
        out = {self.primary_key.key: self.primary_key.fields} if self.primary_key else {}
        out.update((u.key, u.fields) for u in self.unique_constraints)
        return out

    def field(self, name: str) -> Field:
        """The field called ``name`` (exact); `UnknownFieldError` names the closest match."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownFieldError(self.name, name, self._by_name) from None

    def get_field(self, name: str) -> Field | None:
        return self._by_name.get(name)

    def has_field(self, name: str) -> bool:
        return name in self._by_name


@dataclass(frozen=True, eq=False)
class Schema:
    """The Prisma schema at runtime. Build it with `Schema.from_datamodel`."""

    models: tuple[Model, ...]
    enums: tuple[Enum, ...] = ()
    provider: str | None = None
    """The datasource provider (``postgresql``, ``mysql``, ``sqlite``, ...) when known."""
    hash: str = ""
    """Stable SHA-256 of the datamodel (canonical JSON); part of cache keys."""
    _models: dict[str, Model] = dc_field(init=False, repr=False)
    _enums: dict[str, Enum] = dc_field(init=False, repr=False)
    #: Per-schema memo for derived data (validation rules, pydantic models); never part of equality.
    _memo: dict[Any, Any] = dc_field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_models", {m.name.lower(): m for m in self.models})
        object.__setattr__(self, "_enums", {e.name.lower(): e for e in self.enums})
        object.__setattr__(self, "_memo", {})

    @classmethod
    def from_datamodel(cls, datamodel: Mapping[str, Any], *, provider: str | None = None) -> Schema:
        """Build from Prisma's datamodel, a full DMMF, or ``{"provider": ..., "datamodel": ...}``."""
        from prisma_infra.schema.dmmf import build_schema

        return build_schema(datamodel, provider=provider)

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.models)

    @property
    def views(self) -> frozenset[str]:
        """Names of the models that are views (``view`` blocks)."""
        found: frozenset[str] | None = self._memo.get("views")
        if found is None:
            found = self._memo["views"] = frozenset(m.name for m in self.models if m.is_view)
        return found

    def model(self, name: str | Model) -> Model:
        """The model called ``name``, case-insensitively; `UnknownModelError` names the closest match."""
        if isinstance(name, Model):
            return name
        found = self._models.get(name.lower())
        if found is None:
            raise UnknownModelError(name, self.model_names)
        return found

    def get_model(self, name: str) -> Model | None:
        return self._models.get(name.lower())

    def has_model(self, name: str) -> bool:
        return name.lower() in self._models

    def enum(self, name: str) -> Enum:
        """The enum called ``name``, case-insensitively; `ValidationError` names the closest match."""
        found = self._enums.get(name.lower())
        if found is None:
            match = closest_match(name, (e.name for e in self.enums))
            hint = f" Did you mean {match!r}?" if match else ""
            raise ValidationError(f"Unknown enum {name!r}.{hint}")
        return found

    def get_enum(self, name: str) -> Enum | None:
        return self._enums.get(name.lower())

    # Relation graph (implemented in `prisma_infra.schema.graph`).

    def related_models(self, model: ModelRef) -> frozenset[str]:
        """Names of the models ``model`` has a relation field to (itself, for a self-relation)."""
        return _graph.related_models(self, model)

    def dependents(self, model: ModelRef) -> frozenset[str]:
        """Names of the models that reference ``model`` (hold a foreign key to it, or share an implicit m-n)."""
        return _graph.dependents(self, model)

    def check_writable(self, model: str, action: Action | str, args: Mapping[str, Any] | None = None) -> None:
        """`ReadOnlyViewError` when ``action`` writes a view, at the top or nested at any depth in ``args``.

        Linking a view's row through a foreign key the written model holds (``connect``/``disconnect``/``set``)
        writes that model only, so it is allowed (as `validate_args` allows it).
        """
        if not self.views:
            return
        from prisma_infra.nested_writes import walk
        from prisma_infra.operation import READ_ACTIONS, Action

        act = Action(action) if isinstance(action, str) else action
        found = self.get_model(model)
        if found is None or act in READ_ACTIONS:
            return
        if found.is_view:
            raise ReadOnlyViewError(found.name, act.value)
        for key in ("data", "create", "update"):
            for nested in walk(self, found, (args or {}).get(key)):
                if nested.target.is_view and not (nested.op in _LINKS and nested.relation.holds_foreign_key):
                    raise ReadOnlyViewError(nested.target.name, nested.op, where=".".join((key, *nested.path)))

    def models_touched(self, model: ModelRef, args: Mapping[str, Any] | None = None) -> frozenset[str]:
        """Names of the models an operation on ``model`` with Prisma ``args`` reads (for cache tags)."""
        return _graph.models_touched(self, model, args)

    def models_written(
        self, model: ModelRef, action: Action | str, args: Mapping[str, Any] | None = None
    ) -> frozenset[str]:
        """Names of the models a write changes: the model, nested writes, ``onDelete`` cascades, and
        every view (which tables a view reads is its SQL, which the datamodel does not say)."""
        return _graph.models_written(self, model, action, args) | self.views
