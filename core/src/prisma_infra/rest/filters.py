"""PostgREST-like filters in the query string → a Prisma ``where`` (docs/web.md, "Filters").

``?email=ilike.*@example.com&role=in.(ADMIN,EDITOR)&author.name=eq.Ada&or=(views.gt.100,published.is.true)``

Each key that is not a reserved one (`RESERVED`) is a field path (relations joined by dots: a
to-one relation becomes ``{rel: {is: ...}}``, a to-many one ``{rel: {some: ...}}``) and its value
``[not.]op.value``; ``or=(...)``/``and=(...)`` (also ``not.or``, ``not.and``, nested as
``or(...)``/``and(...)`` inside) take ``path.[not.]op.value`` items. A value in double quotes is
taken literally (``"a,b"``; ``\\"`` and ``\\\\`` escape inside). Values are converted to the field's type
(`prisma_infra.rest.encoding.decode_scalar`; enums checked against their values). A field the
API hides (``hidden(model, field)``) behaves as unknown and is never suggested. Malformed syntax
is an `ApiRequestError` (400); a field or value that does not fit the schema a `ValidationError`
(422) naming the model and field, never the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from prisma_infra.data.model_info import ModelInfo
from prisma_infra.errors import UnknownFieldError, ValidationError, closest_match
from prisma_infra.rest.request import ApiRequestError
from prisma_infra.rest.values import Hidden, decode_scalar
from prisma_infra.schema.limits import safe_name

if TYPE_CHECKING:
    from prisma_infra.schema import Field, Model, Schema

__all__ = [
    "OPERATORS",
    "RESERVED",
    "FilterContext",
    "FilterValueError",
    "Hidden",
    "filter_clauses",
    "join_and",
]

#: Query keys that are not filters (documented in docs/web.md).
RESERVED: Final = frozenset({"where", "order", "select", "include", "omit", "page", "per_page", "cursor", "search"})
#: Filter operators, as written before the first dot of a value.
OPERATORS: Final = ("eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is", "cs", "ov")

_ORDERED_TYPES: Final = frozenset({"String", "Int", "BigInt", "Float", "Decimal", "DateTime"})
_COMPARISONS: Final = {"gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}
_LOGIC: Final = {"or": "OR", "and": "AND"}
_MAX_DEPTH: Final = 16
_SPACED_OFFSET: Final = re.compile(r" (\d{2}:?\d{2})$")
_SYNTAX = "op.value with op one of " + ", ".join(OPERATORS) + " (not.op.value negates)"


class FilterValueError(ValidationError):
    """A filter value that does not fit its field (type, enum value, operator); never carries the value."""

    def __init__(self, message: str, *, model: str, field: str, suggestion: str | None = None) -> None:
        super().__init__(message, model=model, field=field)
        #: The closest enum value, for a value that is not one of the enum's.
        self.suggestion = suggestion


def _never_hidden(model: str, field: str) -> bool:
    return False


@dataclass(frozen=True)
class FilterContext:
    """What parsing needs besides the query: the schema, the hidden fields, the provider's case rules."""

    schema: Schema
    hidden: Hidden = _never_hidden
    provider: str | None = None
    """The datasource provider (default: the schema's); decides how ``ilike`` ignores case."""

    @property
    def provider_name(self) -> str:
        return (self.provider or self.schema.provider or "").lower()

    def visible(self, model: Model) -> list[str]:
        return [f.name for f in model.fields if not self.hidden(model.name, f.name)]

    def field(self, model: Model, name: str, where: str, extra: Iterable[str] = ()) -> Field:
        """The visible field ``name`` of ``model``; unknown or hidden → `UnknownFieldError` (visible suggestions)."""
        found = model.get_field(name)
        if found is not None and not self.hidden(model.name, name):
            return found
        if not safe_name(name).startswith("'"):
            raise ValidationError(
                f"Unknown field ({safe_name(name)}) on model {model.name!r} in {where}.", model=model.name
            )
        raise UnknownFieldError(model.name, name, [*self.visible(model), *extra], where=where)

    def target(self, field: Field) -> Model:
        return self.schema.model(field.type)

    def insensitive_mode(self, model: Model) -> bool:
        """Whether case-insensitive matching needs ``mode: "insensitive"`` (as `Repository.search` decides)."""
        return ModelInfo.build(self.schema, model, self.provider_name or None).insensitive_mode

    def convert(self, model: Model, field: Field, text: str) -> Any:
        """One query value of ``field``, as its Python type; an enum must be one of its values."""
        if field.kind == "enum":
            values = self.schema.enum(field.type).value_names
            if text in values:
                return text
            match = closest_match(text, values)
            hint = f" Did you mean {match!r}?" if match else ""
            raise FilterValueError(
                f"The filter value of {model.name}.{field.name} is not one of the enum {field.type}'s values "
                f"({', '.join(values)}).{hint}",
                model=model.name,
                field=field.name,
                suggestion=match,
            )
        if field.type == "DateTime" and field.kind == "scalar":
            # An unencoded "+" of an offset reaches us as a space (form encoding): no other reading of it exists.
            text = _SPACED_OFFSET.sub(r"+\1", text)
        try:
            return decode_scalar(field, text)
        except ValidationError:
            raise FilterValueError(
                f"The filter value of {model.name}.{field.name} is not a valid {field.type}.",
                model=model.name,
                field=field.name,
            ) from None


def join_and(clauses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One ``where`` for all of ``clauses`` (``{}`` for none)."""
    kept = [c for c in clauses if c]
    if not kept:
        return {}
    return kept[0] if len(kept) == 1 else {"AND": kept}


def filter_clauses(
    ctx: FilterContext, model: Model, query: Sequence[tuple[str, str]], *, skip: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """One ``where`` clause per filter of ``query`` (reserved keys and ``skip`` are left out)."""
    skipped = RESERVED | frozenset(skip)
    out: list[dict[str, Any]] = []
    for key, value in query:
        if key in skipped or not key:
            continue
        out.append(_Parser(ctx).key_filter(model, key, value))
    return out


class _Parser:
    __slots__ = ("ctx", "depth")

    def __init__(self, ctx: FilterContext) -> None:
        self.ctx = ctx
        self.depth = 0

    # -- top level --------------------------------------------------------------------------

    def key_filter(self, model: Model, key: str, value: str) -> dict[str, Any]:
        negate, logic = _logic_key(key)
        if logic is not None:
            return self.logic(model, logic, negate, value)
        relations, field, current, rest = self.path(model, key, where="filter", top=True)
        if rest:  # a logic tree on a relation: author.or=(name.eq.Ada,name.eq.Grace)
            negate, logic = _logic_key(rest)
            target = self.ctx.target(field)
            if logic is None:
                raise ApiRequestError(
                    f"After the relation {current.name}.{field.name}, a filter key goes on with a field of "
                    f"{target.name}, or ends with or / and / not.or / not.and (rel.or=(...)).",
                    model=current.name,
                    field=field.name,
                )
            return _nest([*relations, field], self.logic(target, logic, negate, value))
        return _nest(relations, self.leaf(current, field, value))

    def path(self, model: Model, text: str, *, where: str, top: bool = False) -> tuple[list[Field], Field, Model, str]:
        """Resolve ``rel.rel.field`` at the start of ``text``: (relations, field, its model, the rest).

        After a relation, a name that is not a field of the related model but an operator (or ``not``,
        and on a key ``or``/``and``) ends the path.
        """
        stops = ("not", "or", "and") if top else ("not", *OPERATORS)
        current = model
        relations: list[Field] = []
        name, _, rest = text.partition(".")
        field = self.ctx.field(current, name, where, sorted(RESERVED | {"or", "and"}) if top else ())
        while field.is_relation and rest:
            target = self.ctx.target(field)
            nxt, _, after = rest.partition(".")
            if nxt in stops and not target.has_field(nxt):
                break
            relations.append(field)
            current = target
            field = self.ctx.field(current, nxt, where)
            rest = after
        if top and rest and not field.is_relation:
            raise ApiRequestError(
                f"{current.name}.{field.name} is not a relation: a filter key is a field path (relations "
                "joined by dots) and its value op.value.",
                model=current.name,
                field=field.name,
            )
        return relations, field, current, rest

    def logic(self, model: Model, op: str, negate: bool, text: str) -> dict[str, Any]:
        inner = _parenthesised(text, model, op)
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ApiRequestError(f"{op}=(...) filters nest more than {_MAX_DEPTH} levels deep.", model=model.name)
        clauses = [self.item(model, item) for item in split_items(inner, model.name)]
        self.depth -= 1
        if not clauses:
            raise ApiRequestError(f"{op}=() needs at least one condition.", model=model.name)
        clause: dict[str, Any] = {_LOGIC[op]: clauses}
        return {"NOT": clause} if negate else clause

    def item(self, model: Model, item: str) -> dict[str, Any]:
        head, paren, _ = item.partition("(")
        negate, logic = _logic_key(head)
        if paren and logic is not None:
            return self.logic(model, logic, negate, item[len(head) :])
        if item.startswith("("):
            raise ApiRequestError(
                "A condition inside or/and is field.op.value, or(...), and(...) or not.or(...).", model=model.name
            )
        relations, field, current, rest = self.path(model, item, where="filter")
        if not rest:
            raise ApiRequestError(
                f"A condition on {current.name}.{field.name} inside or/and must be field.{_SYNTAX}.",
                model=current.name,
                field=field.name,
            )
        return _nest(relations, self.leaf(current, field, rest))

    # -- one condition ----------------------------------------------------------------------

    def leaf(self, model: Model, field: Field, spec: str) -> dict[str, Any]:
        negate = spec.startswith("not.")
        if negate:
            spec = spec[4:]
        op, dot, raw = spec.partition(".")
        if not dot or op not in OPERATORS:
            raise ApiRequestError(
                f"The filter on {model.name}.{field.name} must be {_SYNTAX}.", model=model.name, field=field.name
            )
        if "\x00" in raw:  # PostgreSQL text cannot hold it, SQLite's LIKE stops at it: nothing could match
            raise self.refuse(model, field, "cannot be matched against a NUL character")
        clause = self.condition(model, field, op, raw)
        if not negate:
            return clause
        return {"NOT": clause}

    def condition(self, model: Model, field: Field, op: str, raw: str) -> dict[str, Any]:
        name = field.name
        if op == "is":
            return self.is_condition(model, field, raw)
        if field.is_relation:
            raise self.refuse(
                model, field, "is a relation: filter one of its fields (rel.field=op.value), or use is.null"
            )
        if field.is_list:
            if op not in ("cs", "ov"):
                raise self.refuse(model, field, "is a list: use cs.(a,b) (has every) or ov.(a,b) (has some)")
            values = [self.ctx.convert(model, field, v) for v in list_items(raw, model.name, name)]
            return {name: {"hasEvery" if op == "cs" else "hasSome": values}}
        if op in ("cs", "ov"):
            raise self.refuse(model, field, f"is not a list: {op} applies to list fields")
        if field.type == "Json":
            if op != "eq":
                raise self.refuse(model, field, "is Json: only eq (with a JSON value) applies; use where= for more")
            try:
                return {name: {"equals": json.loads(unquote(raw))}}
            except ValueError:
                raise FilterValueError(
                    f"The filter value of {model.name}.{name} is not valid JSON.", model=model.name, field=name
                ) from None
        if op == "in":
            if field.type == "Boolean":
                raise self.refuse(model, field, "is Boolean: use is.true, is.false or eq")
            return {name: {"in": [self.ctx.convert(model, field, v) for v in list_items(raw, model.name, name)]}}
        if op in ("like", "ilike"):
            if field.type != "String" or field.kind != "scalar":
                raise self.refuse(model, field, f"is not a String: {op} applies to String fields")
            return self.pattern(model, name, unquote(raw), insensitive=op == "ilike")
        value = self.ctx.convert(model, field, unquote(raw))
        if op == "eq":
            return {name: {"equals": value}}
        if op == "neq":
            return {name: {"not": value}}
        if field.kind == "enum" or field.type not in _ORDERED_TYPES:
            raise self.refuse(model, field, f"cannot be compared with {op} (only eq, neq, in, is)")
        return {name: {_COMPARISONS[op]: value}}

    def is_condition(self, model: Model, field: Field, raw: str) -> dict[str, Any]:
        name = field.name
        word = unquote(raw).lower()
        if word in ("true", "false"):
            if field.type != "Boolean" or field.is_list:
                raise self.refuse(model, field, f"is not a Boolean: is.{word} applies to Boolean fields")
            return {name: {"equals": word == "true"}}
        if word != "null":
            raise ApiRequestError(
                f"The filter on {model.name}.{name}: is takes null, true or false.", model=model.name, field=name
            )
        if field.is_list or field.is_required or field.type == "Json":
            why = (
                "is required: it is never null"
                if field.is_required and not field.is_list
                else "cannot be tested for null here; use where="
            )
            raise self.refuse(model, field, why)
        if field.is_relation:
            return {name: {"is": None}}
        return {name: None}

    def pattern(self, model: Model, name: str, text: str, *, insensitive: bool) -> dict[str, Any]:
        """``like``/``ilike``: ``*`` is any run of characters (Prisma has no LIKE; see docs/web.md)."""
        mode = insensitive and self.ctx.insensitive_mode(model)
        spell = insensitive and not mode and not text.isascii()
        pieces = text.split("*")
        if len(pieces) == 1:
            if not insensitive or mode or self.ctx.provider_name == "mysql":
                return _op(name, "equals", text, mode)
            # SQLite: "=" has no case-insensitive form, LIKE does: starts and ends with the text.
            ops = [("startsWith", text), ("endsWith", text)]
        else:
            ops = [("startsWith", pieces[0])] if pieces[0] else []
            ops += [("contains", p) for p in pieces[1:-1] if p]
            ops += [("endsWith", pieces[-1])] if pieces[-1] else []
            if not ops:  # only stars: any value that is not null
                ops = [("contains", "")]
        clauses = [_spelled(name, o, v) if spell else _op(name, o, v, mode) for o, v in ops]
        return join_and(clauses)

    def refuse(self, model: Model, field: Field, why: str) -> FilterValueError:
        return FilterValueError(
            f"The filter on {model.name}.{field.name}: the field {why}.", model=model.name, field=field.name
        )


def _op(name: str, op: str, value: str, mode: bool) -> dict[str, Any]:
    return {name: {op: value, "mode": "insensitive"}} if mode else {name: {op: value}}


def _spelled(name: str, op: str, value: str) -> dict[str, Any]:
    """Non-ASCII text on providers whose LIKE ignores ASCII case only: its usual spellings (as search does)."""
    spellings = dict.fromkeys((value, value.lower(), value.upper(), value.title()))
    return {"OR": [{name: {op: s}} for s in spellings]}


def _nest(relations: Sequence[Field], clause: dict[str, Any]) -> dict[str, Any]:
    for relation in reversed(relations):
        clause = {relation.name: {"some" if relation.is_list else "is": clause}}
    return clause


def _logic_key(key: str) -> tuple[bool, str | None]:
    negate = key.startswith("not.")
    bare = key[4:] if negate else key
    return negate, bare if bare in _LOGIC else None


def _parenthesised(text: str, model: Model, op: str) -> str:
    if len(text) < 2 or text[0] != "(" or text[-1] != ")":
        raise ApiRequestError(f"{op}= takes a parenthesised list: {op}=(field.op.value,...).", model=model.name)
    return text[1:-1]


def split_items(text: str, model: str | None = None) -> list[str]:
    """``text`` split at the commas outside parentheses and double quotes."""
    items: list[str] = []
    depth, quoted, escaped, start = 0, False, False, 0
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
            if depth < 0:
                break
        elif char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    if depth != 0 or quoted:
        raise ApiRequestError("Unbalanced parentheses or quotes in a filter.", model=model)
    items.append(text[start:])
    if items == [""]:
        return []
    if any(not item for item in items):
        raise ApiRequestError("An empty item in a filter list.", model=model)
    return items


def unquote(text: str) -> str:
    """A value in double quotes without them and with its backslash escapes resolved; else ``text``."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    out: list[str] = []
    escaped = False
    for char in text[1:-1]:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


def list_items(text: str, model: str, field: str) -> list[str]:
    """``(a,b,"c, d")`` (or ``{...}``) → its unquoted items."""
    if len(text) < 2 or (text[0], text[-1]) not in (("(", ")"), ("{", "}")):
        raise ApiRequestError(f"The filter on {model}.{field} takes a list: op.(a,b,...).", model=model, field=field)
    return [unquote(item) for item in split_items(text[1:-1], model)]
