"""Numbers over a model: ``POST /{model}/aggregate``, ``POST /{model}/group-by``, ``GET /{model}/analytics``.

* aggregate: the body is Prisma's ``aggregate`` arguments (``where``, ``orderBy``,
  ``take``, ``skip``, ``_count``, ``_sum``, ``_avg``, ``_min``, ``_max``; no ``cursor``:
  the engine refuses most of its combinations); the answer is Prisma's result;
* group-by: the body is Prisma's ``groupBy`` arguments (``by`` required, ``where``,
  ``having``, ``orderBy``, ``take``, ``skip`` and the aggregates); the answer is
  ``{"data": [groups...]}``;
* analytics: the analytics builder (`prisma_infra.analytics`) from the query
  string: ``metrics=count,sum:total`` (comma-separated), ``group_by=a,b``,
  ``since=30d`` or ``since=<ISO>``, ``until=<ISO>``, ``interval=day``,
  ``date_field=createdAt``, ``tz=Europe/Paris`` and the list filters; the answer
  is `AnalyticsResult.to_dict`.

Fields hidden from the API are refused in every part of a body as unknown.
"""

from __future__ import annotations

from typing import Any

from prisma_infra.analytics.service_keys import ANALYTICS
from prisma_infra.errors import ValidationError
from prisma_infra.operation import Action
from prisma_infra.rest.call import Call, json_response
from prisma_infra.rest.encoding import decode_where, encode_aggregate
from prisma_infra.rest.fields import AGGREGATES, check_aggregate, check_order
from prisma_infra.rest.params import parse_where
from prisma_infra.rest.request import ApiRequestError, ApiResponse

__all__ = ["aggregate", "analytics", "group_by"]

_WINDOW = ("take", "skip")
#: No ``cursor``: Prisma's engine refuses most cursor and order combinations of an aggregate.
_AGGREGATE_KEYS = frozenset({"where", "orderBy", *_WINDOW, *AGGREGATES})
_GROUP_KEYS = frozenset({"by", "where", "having", "orderBy", *_WINDOW, *AGGREGATES})


def _checked_body(call: Call, allowed: frozenset[str], what: str) -> dict[str, Any]:
    body = call.body_object()
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(
            f"{call.model_name}: {what} takes {', '.join(sorted(allowed))}; not {', '.join(unknown)}",
            model=call.model_name,
        )
    model = call.model_name
    exposure = call.exposure
    ctx, target = call.filters, call.target.model
    check_order(ctx, target, body.get("orderBy"))
    for key in AGGREGATES:
        check_aggregate(ctx, target, body.get(key), label=key)
    for key in _WINDOW:
        value = body.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValidationError(f"{model}: {key} must be an integer", model=model, field=key)
    if "where" in body:
        body["where"] = decode_where(
            call.target.model, call.schema, body["where"], where="where", hidden=exposure.hidden
        )
    return body


async def aggregate(call: Call) -> ApiResponse:
    args = _checked_body(call, _AGGREGATE_KEYS, "an aggregate body")
    result = await call.repo.run(Action.AGGREGATE, args)
    return json_response(200, encode_aggregate(call.target.model, call.schema, result))


async def group_by(call: Call) -> ApiResponse:
    args = _checked_body(call, _GROUP_KEYS, "a group-by body")
    by = args.get("by")
    names = [by] if isinstance(by, str) else by
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValidationError(
            f"{call.model_name}: group-by needs 'by', a field name or a list of them", model=call.model_name, field="by"
        )
    for name in names:
        call.filters.field(call.target.model, name, "by")
    having = args.get("having")
    if isinstance(having, dict):
        for name in having:
            if name not in ("AND", "OR", "NOT"):
                call.filters.field(call.target.model, name, "having")
    _check_group_order(call, args, names)
    args["by"] = names
    result = await call.repo.run(Action.GROUP_BY, args)
    return json_response(200, {"data": encode_aggregate(call.target.model, call.schema, result)})


def _check_group_order(call: Call, args: dict[str, Any], by: list[str]) -> None:
    """What Prisma's engine refuses with an input error (not a validation error): ``take``/``skip``
    without ``orderBy``, and an ``orderBy`` field that is not in ``by``."""
    model = call.model_name
    order = args.get("orderBy")
    if order is None:
        for key in _WINDOW:
            if key in args:
                raise ValidationError(f"{model}: group-by {key} needs an orderBy", model=model, field=key)
        return
    for item in order if isinstance(order, list) else [order]:
        if not isinstance(item, dict):
            continue
        for name in item:
            if name not in AGGREGATES and name not in by:
                raise ValidationError(
                    f"{model}: group-by orders by {name!r}, which is not one of its 'by' fields",
                    model=model,
                    field=name,
                )


_ANALYTICS_PARAMS = frozenset({"metrics", "group_by", "since", "until", "interval", "date_field", "tz"})


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


async def analytics(call: Call) -> ApiResponse:
    runner = call.kernel.services.get(ANALYTICS)
    if runner is None:
        raise ApiRequestError(
            f"{call.model_name}: analytics is not enabled on this server", status=404, model=call.model_name
        )
    request = call.request
    query = runner.for_model(call.model_name)
    metrics = _names(request.query_value("metrics")) or ["count"]
    for metric in metrics:
        _, _, field = metric.partition(":")
        if field:
            call.filters.field(call.target.model, field, "metrics")
    query = query.metrics(metrics)
    groups = _names(request.query_value("group_by"))
    for name in groups:
        call.filters.field(call.target.model, name, "group_by")
    if groups:
        query = query.group_by(groups)
    date_field = request.query_value("date_field")
    if date_field:
        call.filters.field(call.target.model, date_field, "date_field")
        query = query.date_field(date_field)
    since, until = request.query_value("since"), request.query_value("until")
    if since:
        query = query.since(since, until)
    elif until:
        query = query.date_range(None, until)
    interval = request.query_value("interval")
    if interval:
        query = query.interval(interval)
    tz = request.query_value("tz")
    if tz:
        query = query.tz(tz)
    where = parse_where(
        call.target.model,
        call.schema,
        request.query,
        call.exposure.hidden,
        provider=call.repo.info.provider,
        skip=_ANALYTICS_PARAMS,
    )
    if where:
        query = query.where(where)
    result = await query.generate()
    return json_response(200, result.to_dict())
