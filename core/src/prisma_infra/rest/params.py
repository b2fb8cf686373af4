"""The query string of a REST request → Prisma arguments: one parse for every endpoint.

`parse_list_params` reads a list request (``GET /{model}``): the filters (`prisma_infra.rest.filters`)
AND ``where={json}``, ``order``, ``select``/``include``/``omit``, ``page``/``per_page`` or
``cursor``/``per_page``, and ``search``; `parse_where` only the filters and ``where`` (count,
analytics). A cursor is an opaque token (`encode_cursor`/`decode_cursor`): URL-safe base64 of the
JSON of the key values of the last row of a page. Reserved keys may appear once each. Malformed input
is an `ApiRequestError` (400) naming the parameter; a field or value that does not fit the schema a
`ValidationError` (422) naming the model and field. No message carries a value.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from prisma_infra.data.model_info import ModelInfo
from prisma_infra.errors import ValidationError
from prisma_infra.rest.decoding import decode_where
from prisma_infra.rest.encoding import dumps
from prisma_infra.rest.filters import RESERVED, FilterContext, filter_clauses, join_and
from prisma_infra.rest.request import ApiRequestError
from prisma_infra.rest.values import Hidden

if TYPE_CHECKING:
    from prisma_infra.schema import Field, Model, Schema

__all__ = ["RESERVED", "ListParams", "decode_cursor", "encode_cursor", "parse_list_params", "parse_where"]

_DIRECTIONS: Final = ("asc", "desc")
_NULLS: Final = {"nullsfirst": "first", "nullslast": "last"}
_UNORDERABLE: Final = frozenset({"Json", "Bytes"})


@dataclass(frozen=True)
class ListParams:
    """A list request's Prisma arguments and window, read from its query string."""

    where: dict[str, Any]
    """The filters AND ``where={json}`` (``{}``: every row)."""
    order_by: list[dict[str, Any]]
    select: dict[str, Any] | None
    include: dict[str, Any] | None
    page: int | None
    per_page: int
    cursor: str | None
    """The opaque token of ``cursor=`` (``""``: the first page of a cursor walk; None: page pagination)."""
    search: str | None
    omit: dict[str, Any] | None = None
    """``omit=email,avatar`` → Prisma's ``omit``."""


def parse_where(
    model: Model,
    schema: Schema,
    query: Sequence[tuple[str, str]],
    hidden: Hidden,
    *,
    provider: str | None = None,
    skip: Iterable[str] = (),
) -> dict[str, Any]:
    """The Prisma ``where`` of ``query``'s filters AND its ``where={json}`` (``{}`` when there is none).

    :param provider: the datasource provider (default: the schema's); ``ilike`` ignores case by its rules.
    :param skip: more keys that are not filters (an endpoint's own parameters); reserved keys always are.
    """
    ctx = FilterContext(schema, hidden, provider)
    clauses = filter_clauses(ctx, model, query, skip=skip)
    text = _single(query, "where", model)
    if text is not None:
        clauses.append(_where_json(model, schema, text, hidden))
    return join_and(clauses)


def _where_json(model: Model, schema: Schema, text: str, hidden: Hidden) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        raise ApiRequestError("where= is not valid JSON.", model=model.name, field="where") from None
    if not isinstance(parsed, dict):
        raise ApiRequestError("where= must be a JSON object (a Prisma where).", model=model.name, field="where")
    decoded: dict[str, Any] = decode_where(model, schema, parsed, where="where", hidden=hidden)
    return decoded


def parse_list_params(
    model: Model,
    schema: Schema,
    query: Sequence[tuple[str, str]],
    *,
    default_page_size: int,
    max_page_size: int,
    hidden: Hidden,
    provider: str | None = None,
    skip: Iterable[str] = (),
) -> ListParams:
    """Everything a list request's query string says (see the module text and docs/web.md)."""
    ctx = FilterContext(schema, hidden, provider)
    where = parse_where(model, schema, query, hidden, provider=provider, skip=skip)
    order = _single(query, "order", model)
    select = _selection(ctx, model, _single(query, "select", model), "select")
    include = _selection(ctx, model, _single(query, "include", model), "include")
    omit = _omit(ctx, model, _single(query, "omit", model))
    if select is not None and (include is not None or omit is not None):
        other = "include" if include is not None else "omit"
        raise ApiRequestError(
            f"select cannot be combined with {other}: name relations inside select (select=id,posts).",
            model=model.name,
            field="select",
        )
    page_text = _single(query, "page", model)
    cursor = _single(query, "cursor", model)
    if page_text is not None and cursor is not None:
        raise ApiRequestError("page and cursor cannot be combined: choose one pagination.", model=model.name)
    per_page_text = _single(query, "per_page", model)
    per_page = default_page_size if per_page_text is None else _positive(per_page_text, "per_page", model)
    if per_page > max_page_size:
        raise ApiRequestError(f"per_page must be at most {max_page_size}.", model=model.name, field="per_page")
    if cursor:
        decode_cursor(model, schema, cursor)  # refuse a bad token now (400)
    search = _single(query, "search", model)
    return ListParams(
        where=where,
        order_by=parse_order(ctx, model, order) if order is not None else [],
        select=select,
        include=include,
        page=None if page_text is None else _positive(page_text, "page", model),
        per_page=per_page,
        cursor=cursor,
        search=search.strip() or None if search is not None else None,
        omit=omit,
    )


def _single(query: Sequence[tuple[str, str]], key: str, model: Model) -> str | None:
    found = [value for name, value in query if name == key]
    if len(found) > 1:
        raise ApiRequestError(f"The query parameter {key} is given more than once.", model=model.name, field=key)
    return found[0] if found else None


def _positive(text: str, name: str, model: Model) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise ApiRequestError(f"{name} must be a positive integer.", model=model.name, field=name)
    return int(text)


def _items(text: str, model: Model, key: str) -> list[str]:
    items = text.split(",")
    if any(not item.strip() for item in items):
        raise ApiRequestError(f"{key}= has an empty item: {key}=a,b,c.", model=model.name, field=key)
    return [item.strip() for item in items]


# order ---------------------------------------------------------------------------------------------


def parse_order(ctx: FilterContext, model: Model, text: str) -> list[dict[str, Any]]:
    """``name.desc,author.name.asc.nullslast,id`` → Prisma ``orderBy`` (ascending by default)."""
    return [_order_item(ctx, model, item) for item in _items(text, model, "order")]


def _order_item(ctx: FilterContext, model: Model, item: str) -> dict[str, Any]:
    names = item.split(".")
    nulls = _NULLS.get(names[-1]) if len(names) > 1 else None
    if nulls is not None:
        names.pop()
    direction = "asc"
    if len(names) > 1 and names[-1] in _DIRECTIONS:
        direction = names.pop()
    current, path = model, []
    for i, name in enumerate(names):
        field = ctx.field(current, name, "order")
        last = i == len(names) - 1
        if field.is_relation and (field.is_list or last):
            why = "is a to-many relation" if field.is_list else "is a relation: order by one of its fields"
            raise _order_error(current, field, why)
        if not field.is_relation and not last:
            raise ApiRequestError(
                f"order: {current.name}.{field.name} is not a relation (order=field.asc or relation.field.desc).",
                model=current.name,
                field=field.name,
            )
        path.append(field)
        if field.is_relation:
            current = ctx.target(field)
    leaf = path[-1]
    if leaf.is_list or leaf.type in _UNORDERABLE:
        raise _order_error(current, leaf, "cannot be ordered by (a list, Json or Bytes)")
    if nulls is not None and leaf.is_required:
        raise _order_error(current, leaf, "is required: nullsfirst/nullslast apply to optional fields")
    node: Any = {"sort": direction, "nulls": nulls} if nulls else direction
    for field in reversed(path):
        node = {field.name: node}
    result: dict[str, Any] = node
    return result


def _order_error(model: Model, field: Field, why: str) -> ValidationError:
    return ValidationError(f"order: {model.name}.{field.name} {why}.", model=model.name, field=field.name)


# select / include / omit ---------------------------------------------------------------------------


def _selection(ctx: FilterContext, model: Model, text: str | None, key: str) -> dict[str, Any] | None:
    """``select=id,posts.title`` / ``include=posts.author`` → Prisma's nested ``select``/``include``."""
    if text is None:
        return None
    tree: dict[str, Any] = {}
    for item in _items(text, model, key):
        node, current = tree, model
        names = item.split(".")
        for i, name in enumerate(names):
            field = ctx.field(current, name, key)
            if key == "include" and not field.is_relation:
                raise ValidationError(
                    f"include: {current.name}.{name} is not a relation (select= chooses scalar fields).",
                    model=current.name,
                    field=name,
                )
            if i == len(names) - 1:
                node.setdefault(name, True)
                continue
            if not field.is_relation:
                raise ApiRequestError(
                    f"{key}: {current.name}.{name} is not a relation, it has no fields to {key}.",
                    model=current.name,
                    field=name,
                )
            sub = node.get(name)
            if not isinstance(sub, dict):
                sub = node[name] = {key: {}}
            node, current = sub[key], ctx.target(field)
    return tree


def _omit(ctx: FilterContext, model: Model, text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    out: dict[str, Any] = {}
    for name in _items(text, model, "omit"):
        field = ctx.field(model, name, "omit")
        if field.is_relation:
            raise ValidationError(
                f"omit: {model.name}.{name} is a relation (relations are left out unless included).",
                model=model.name,
                field=name,
            )
        out[name] = True
    return out


# cursors -------------------------------------------------------------------------------------------


def encode_cursor(values: Mapping[str, Any]) -> str:
    """The opaque token of a cursor: the key values of a page's last row (``{"id": 42}``)."""
    return base64.urlsafe_b64encode(dumps(dict(values))).rstrip(b"=").decode("ascii")


def decode_cursor(model: Model, schema: Schema, token: str) -> dict[str, Any]:
    """The key values a token of `encode_cursor` holds, converted to the key fields' types.

    :raises ApiRequestError: (400) the token is not one this API issues for ``model``'s key.
    """
    keys = ModelInfo.build(schema, model, None).key_fields
    bad = ApiRequestError(f"cursor is not a cursor of {model.name} this API issued.", model=model.name, field="cursor")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise bad from None
    if not isinstance(values, dict) or set(values) != set(keys):
        raise bad
    ctx = FilterContext(schema)
    out: dict[str, Any] = {}
    for name in keys:
        value = values[name]
        if isinstance(value, dict | list) or value is None:
            raise bad
        text = value if isinstance(value, str) else json.dumps(value)
        try:
            out[name] = ctx.convert(model, model.field(name), text)
        except ValidationError:
            raise bad from None
    return out
