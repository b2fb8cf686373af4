"""Walk `InfraConfig`'s declared shape: canonical key case, field names and expected types.

Dynaconf upper-cases top-level keys and environment variables are usually
written in upper case, while our section and field names are lower case and
model names keep the Prisma schema's case (``User``). The loader therefore
normalises keys against the schema instead of lower-casing blindly.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, SecretBytes, SecretStr

from prisma_infra.config.model import InfraConfig

__all__ = ["Node", "annotation_at", "describe_type", "field_names_at", "normalize_keys"]

Node = Any
"""A type annotation from the model (a class, ``list[str]``, ``float | None`` ...)."""


def _origin(annotation: Node) -> Any:
    # Typed ``Any`` on purpose: typeshed's first overload of ``get_origin`` returns ``ParamSpec``.
    return get_origin(annotation)


def _strip_optional(annotation: Node) -> Node:
    if _origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _model_class(annotation: Node) -> type[BaseModel] | None:
    annotation = _strip_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _child(annotation: Node, key: str | int) -> Node | None:
    """The annotation of ``annotation[key]``, or ``None`` when the schema says nothing about it."""
    annotation = _strip_optional(annotation)
    model = _model_class(annotation)
    if model is not None:
        if not isinstance(key, str):
            return None
        field = model.model_fields.get(key)
        return field.annotation if field is not None else None
    origin = _origin(annotation)
    args = get_args(annotation)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is list and args:
        return args[0]
    return None


def annotation_at(loc: Sequence[str | int], root: type[BaseModel] = InfraConfig) -> Node | None:
    """The declared type at key path ``loc`` (``("cache", "ttl")`` → ``float``), if declared."""
    node: Node = root
    for key in loc:
        node = _child(node, key)
        if node is None:
            return None
    return node


def field_names_at(loc: Sequence[str | int], root: type[BaseModel] = InfraConfig) -> list[str]:
    """Field names of the section at ``loc`` (empty when ``loc`` is not a section)."""
    model = _model_class(annotation_at(loc, root))
    return list(model.model_fields) if model is not None else []


def describe_type(annotation: Node) -> str:
    """A short, TOML-minded name for a declared type: ``float``, ``list[str]``, ``table``."""
    if _origin(annotation) in (Union, types.UnionType):
        names = [describe_type(a) for a in get_args(annotation) if a is not type(None)]
        return " or ".join(dict.fromkeys(names))
    if _model_class(annotation) is not None or annotation is dict or _origin(annotation) is dict:
        return "table"
    if annotation in (SecretStr, SecretBytes):
        return "str"
    if _origin(annotation) is list:
        args = get_args(annotation)
        return f"list[{describe_type(args[0])}]" if args else "list"
    if annotation is Any:
        return "any value"
    return getattr(annotation, "__name__", str(annotation))


def _canonical(key: str, model: type[BaseModel]) -> str:
    if key in model.model_fields:
        return key
    lower = key.lower()
    # Field names are all lower case, so an unknown key is reported lower case too
    # (an environment variable ``PRISMA_INFRA_CACHE__TTLL`` reads as ``cache.ttll``).
    return lower


def normalize_keys(data: Mapping[str, Any], annotation: Node = InfraConfig) -> dict[str, Any]:
    """Copy ``data`` with section keys in their declared case; free-form keys keep theirs."""
    model = _model_class(annotation)
    out: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key)
        if model is not None:
            key = _canonical(key, model)
        child = _child(annotation, key)
        if (
            isinstance(value, Mapping)
            and child is not None
            and (_model_class(child) is not None or _origin(_strip_optional(child)) is dict)
        ):
            value = normalize_keys(value, child)
        out[key] = value
    return out
