"""Lists of records: ``GET /{model}``, ``POST /{model}/search``, ``GET /{model}/count``.

A list answers ``{"data": [...], "page": {...}}`` with a ``Link`` header (RFC 8288,
absolute URLs):

* page pagination (the default; ``page``, ``per_page``):
  ``page = {"page", "per_page", "total", "pages"}``, links ``first``, ``prev``,
  ``next``, ``last``;
* cursor pagination (``cursor=`` — empty for the first page — and ``per_page``):
  ``page = {"per_page", "next_cursor"}``, link ``next`` while more rows follow.

``search=`` adds the model's text search (`Repository.search_where`: every word
in one of ``models.<Model>.searchable``, ignoring case). ``POST /{model}/search``
takes the full Prisma ``where`` (and ``orderBy``) as its JSON body (optional), with the same
query-string paging, shape and ``search=``; ``GET /{model}/count`` answers
``{"count": n}`` for the query string's filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from prisma_infra.data.pagination import CursorPage, Page
from prisma_infra.data.prisma_args import and_where
from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action, Operation
from prisma_infra.rest.call import Call, json_response
from prisma_infra.rest.encoding import decode_where
from prisma_infra.rest.fields import check_order
from prisma_infra.rest.params import ListParams, decode_cursor, encode_cursor, parse_list_params, parse_where
from prisma_infra.rest.request import ApiResponse

__all__ = ["ListQuery", "count", "count_operation", "list_query", "listing", "search"]

_PAGING = frozenset({"page", "cursor"})


def _params(call: Call) -> ListParams:
    settings = call.settings
    return parse_list_params(
        call.target.model,
        call.schema,
        call.request.query,
        default_page_size=settings.page_size,
        max_page_size=settings.max_page_size,
        hidden=call.exposure.hidden,
        provider=call.repo.info.provider,
    )


def _args(call: Call, params: ListParams, where: Any = None, order: Any = None) -> dict[str, Any]:
    combined = and_where(params.where, where)
    if params.search:
        combined = and_where(combined, call.repo.search_where(params.search))
    args: dict[str, Any] = {}
    if combined:
        args["where"] = combined
    orders = order if order is not None else params.order_by
    if orders:
        args["orderBy"] = orders
    if params.select is not None:
        args["select"] = {**params.select, **{f: True for f in call.repo.info.key_fields}}
    if params.include is not None:
        args["include"] = params.include
    if params.omit is not None:
        args["omit"] = params.omit
    return args


def _uses_cursor(call: Call) -> bool:
    return any(key == "cursor" for key, _ in call.request.query)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A ``GET /{model}`` parsed once: its ``findMany`` without the page window, the window, the parameters."""

    operation: Operation
    window: list[Any]
    params: ListParams


def list_query(call: Call) -> ListQuery:
    """The list a ``GET /{model}`` asks for (built before it runs: the operation and window make its ETag)."""
    params = _params(call)
    window: list[Any] = ["cursor", params.cursor] if _uses_cursor(call) else ["page", _page_number(params)]
    operation = call.repo.operation(Action.FIND_MANY, _args(call, params))
    return ListQuery(operation, [*window, params.per_page], params)


def _page_number(params: ListParams) -> int:
    page = params.page if params.page is not None else 1
    if page < 1:
        raise ValidationError("page must be a positive integer", field="page")
    return page


async def listing(call: Call, query: ListQuery) -> ApiResponse:
    return await _run(call, query.params, dict(query.operation.args))


async def search(call: Call) -> ApiResponse:
    body = call.body_object() if call.request.body else {}  # no body: the query string's filters only
    unknown = sorted(set(body) - {"where", "orderBy"})
    if unknown:
        raise ValidationError(
            f"{call.model_name}: a search body takes 'where' and 'orderBy', not {', '.join(unknown)}",
            model=call.model_name,
        )
    where = body.get("where")
    check_order(call.filters, call.target.model, body.get("orderBy"))
    hidden = call.exposure.hidden
    decoded = decode_where(call.target.model, call.schema, where, where="where", hidden=hidden) if where else None
    params = _params(call)
    return await _run(call, params, _args(call, params, decoded, body.get("orderBy")))


async def _run(call: Call, params: ListParams, args: dict[str, Any]) -> ApiResponse:
    repo = call.repo
    if _uses_cursor(call):
        after = _after(call, params.cursor)
        result = await repo.find_compiled(args, cursor_paginate={"after": after, "limit": params.per_page})
        assert isinstance(result, CursorPage)
        return _cursor_response(call, result, params)
    page = _page_number(params)
    found = await repo.find_compiled(args, paginate={"page": page, "limit": params.per_page})
    assert isinstance(found, Page)
    return _page_response(call, found)


def _after(call: Call, token: str | None) -> Any:
    """The key after which a cursor page starts (a value, or a mapping for a compound key)."""
    if not token:
        return None
    values = decode_cursor(call.target.model, call.schema, token)
    fields = call.repo.info.key_fields
    return values[fields[0]] if len(fields) == 1 else values


def _cursor_token(call: Call, after: Any) -> str:
    fields = call.repo.info.key_fields
    return encode_cursor(dict(after) if isinstance(after, Mapping) else {fields[0]: after})


def _links(call: Call, pairs: Sequence[tuple[str, dict[str, str]]]) -> dict[str, str]:
    """``Link``: the request's URL with its paging replaced, once per relation (RFC 8288)."""
    if not pairs:
        return {}
    segments = call.request.segments()[1:]  # after the route: "search" of /{model}/search
    base = call.url(*segments)
    kept = urlencode([(k, v) for k, v in call.request.query if k not in _PAGING and k != "per_page"])
    prefix = f"{base}?{kept}&" if kept else f"{base}?"
    links = [f'<{prefix}{urlencode(list(values.items()))}>; rel="{rel}"' for rel, values in pairs]
    return {"link": ", ".join(links)}


def _page_response(call: Call, page: Page[Any]) -> ApiResponse:
    per_page = str(page.limit)
    pairs: list[tuple[str, dict[str, str]]] = [("first", {"page": "1", "per_page": per_page})]
    if page.has_previous:
        pairs.append(("prev", {"page": str(min(page.page - 1, max(page.pages, 1))), "per_page": per_page}))
    if page.has_next:
        pairs.append(("next", {"page": str(page.page + 1), "per_page": per_page}))
    pairs.append(("last", {"page": str(max(page.pages, 1)), "per_page": per_page}))
    meta = {"page": page.page, "per_page": page.limit, "total": page.total, "pages": page.pages}
    return json_response(200, {"data": call.encode(page.items), "page": meta}, _links(call, pairs))


def _cursor_response(call: Call, page: CursorPage[Any], params: ListParams) -> ApiResponse:
    token = _cursor_token(call, page.next_cursor) if page.next_cursor is not None else None
    pairs = [("next", {"cursor": token, "per_page": str(params.per_page)})] if token else []
    meta = {"per_page": params.per_page, "next_cursor": token}
    return json_response(200, {"data": call.encode(page.items), "page": meta}, _links(call, pairs))


def count_operation(call: Call) -> Operation:
    """The ``count`` of ``GET /{model}/count`` (the query string's filters and ``search=``)."""
    where = parse_where(
        call.target.model, call.schema, call.request.query, call.exposure.hidden, provider=call.repo.info.provider
    )
    search_text = call.request.query_value("search")
    if search_text:
        where = and_where(where, call.repo.search_where(search_text)) or {}
    return call.repo.operation(Action.COUNT, {"where": where} if where else {})


async def count(call: Call, operation: Operation) -> ApiResponse:
    total = await call.kernel.execute(operation)
    return json_response(200, {"count": int(total)})
