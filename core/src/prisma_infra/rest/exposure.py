"""What the REST API exposes: models, their actions and their fields, from ``api`` and ``models.<Model>.api``.

* A model is exposed when ``models.<Model>.api.enabled`` is ``True``, or when it
  is not ``False`` and ``api.models`` is unset (every model) or lists it.
* Its actions are ``models.<Model>.api.actions``, else ``api.actions``; a
  Prisma ``view`` keeps only the reading ones.
* Its hidden fields are those of ``api.exclude_fields`` (``Model.field`` or a
  bare ``field`` for every model) and ``models.<Model>.api.exclude_fields``,
  plus every relation to a model that is not exposed. A hidden field behaves
  as if the model had no such field: absent from responses, refused (as
  unknown, never suggested) in filters, orderings, selections and bodies.

The route of a model is its Prisma client accessor (``User`` → ``user``,
``BlogPost`` → ``blogPost``); a route is looked up case-insensitively and a
hidden or unknown model is a 404 problem. Everything is computed once per
configuration and schema (a reload computes it again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prisma_infra.config.api import API_ACTIONS, ApiAction
from prisma_infra.rest.request import ApiRequestError
from prisma_infra.stash import StashKey

if TYPE_CHECKING:
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.kernel import Executor
    from prisma_infra.schema import Model, Schema

__all__ = [
    "ENDPOINT_WORDS",
    "READ_ACTIONS",
    "Exposure",
    "ModelExposure",
    "exposed_models",
    "exposure",
    "model_for_route",
    "route_name",
]

#: The second path segments that name an endpoint of a model (``/post/count``), not a key: they win over a
#: one-field key of that text.
ENDPOINT_WORDS: frozenset[str] = frozenset({"search", "count", "aggregate", "group-by", "analytics", "bulk"})
#: The actions that never write (all a ``view`` may offer).
READ_ACTIONS: frozenset[ApiAction] = frozenset({"list", "read", "count", "aggregate", "group_by", "analytics"})


def route_name(model: str) -> str:
    """The route of ``model``: its Prisma client accessor (first letter lower-cased)."""
    return model[:1].lower() + model[1:]


@dataclass(frozen=True, slots=True)
class ModelExposure:
    """One exposed model: its route, actions and hidden fields."""

    model: Model
    route: str
    actions: tuple[ApiAction, ...]
    hidden: frozenset[str]

    @property
    def name(self) -> str:
        return self.model.name

    def allows(self, action: ApiAction) -> bool:
        return action in self.actions


@dataclass(frozen=True, slots=True)
class Exposure:
    """Every exposed model of one configuration and schema."""

    enabled: bool
    models: Mapping[str, ModelExposure]
    """By model name, in schema order."""
    routes: Mapping[str, ModelExposure]
    """By lower-cased route."""

    def of(self, model: str) -> ModelExposure | None:
        """The exposure of model ``model`` (its Prisma name), or None when hidden."""
        return self.models.get(model)

    def route(self, name: str) -> ModelExposure:
        """The exposed model of route ``name`` (any case); a 404 `ApiRequestError` when there is none."""
        found = self.routes.get(name.lower())
        if found is None or not self.enabled:
            # The name is the client's own text, not a record value: echo nothing of it anyway.
            raise ApiRequestError("No such resource: the model is unknown or not exposed", status=404)
        return found

    def is_hidden(self, model: str, field: str) -> bool:
        """Whether ``field`` of ``model`` is hidden (every field of a hidden model is)."""
        found = self.models.get(model)
        return found is None or field in found.hidden

    @property
    def hidden(self) -> Callable[[str, str], bool]:
        """``hidden(model, field)``: the predicate the query-string parser takes."""
        return self.is_hidden


def _listed(names: list[str] | None, model: str) -> bool:
    return names is None or model.lower() in {n.lower() for n in names}


def _excluded(config: InfraConfig, model: Model) -> set[str]:
    names: set[str] = set()
    lower = model.name.lower()
    for entry in config.api.exclude_fields:
        owner, dot, field = entry.rpartition(".")
        if not dot:
            names.add(entry)
        elif owner.lower() == lower:
            names.add(field)
    names.update(config.model_settings(model.name).api.exclude_fields)
    return {f.name for f in model.fields if f.name in names}


def build_exposure(config: InfraConfig, schema: Schema) -> Exposure:
    """The exposure of ``schema`` under ``config`` (see the module documentation)."""
    chosen: list[Model] = []
    for model in schema.models:
        own = config.model_settings(model.name).api
        if own.enabled is True or (own.enabled is None and _listed(config.api.models, model.name)):
            chosen.append(model)
    names = {m.name for m in chosen}
    models: dict[str, ModelExposure] = {}
    for model in chosen:
        own = config.model_settings(model.name).api
        wanted = own.actions if own.actions is not None else config.api.actions
        actions = tuple(a for a in API_ACTIONS if a in wanted and (not model.is_view or a in READ_ACTIONS))
        hidden = _excluded(config, model)
        hidden.update(f.name for f in model.fields if f.relation is not None and f.type not in names)
        models[model.name] = ModelExposure(model, route_name(model.name), actions, frozenset(hidden))
    routes = {m.route.lower(): m for m in models.values()}
    return Exposure(config.api.enabled, models, routes)


_EXPOSURE: StashKey[tuple[InfraConfig, Schema, Exposure]] = StashKey("rest exposure")


def exposure(kernel: Executor) -> Exposure:
    """The exposure of the kernel's configuration and schema in force (computed again after a reload)."""
    config, schema = kernel.config, kernel.schema
    held = kernel.stash.get(_EXPOSURE)
    if held is not None and held[0] is config and held[1] is schema:
        return held[2]
    found = build_exposure(config, schema)
    kernel.stash[_EXPOSURE] = (config, schema, found)
    return found


def exposed_models(kernel: Executor) -> tuple[ModelExposure, ...]:
    """Every exposed model, in schema order (none when ``api.enabled`` is off)."""
    found = exposure(kernel)
    return tuple(found.models.values()) if found.enabled else ()


def model_for_route(kernel: Executor, name: str) -> Model:
    """The model of route ``name`` (any case); a 404 `ApiRequestError` when it is unknown or hidden."""
    return exposure(kernel).route(name).model
