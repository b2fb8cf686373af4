"""HTTP caching of reads: ``ETag``, ``If-None-Match`` → 304, ``Cache-Control``.

For a ``GET`` read, the ETag is weak (``W/"..."``) and is computed BEFORE the
read runs, from:

* the version of the configuration and schema in force,
* the actor (id, roles, tenant) of the request's context,
* the operation's identity (model, action, arguments),
* the cache's validator of that operation (`prisma_infra.ports.caching.CACHE_VALIDATOR`):
  an opaque string that changes exactly when a relation-aware invalidation
  would drop the cached entry of the read, in every process sharing the store.

A request whose ``If-None-Match`` holds that ETag gets 304 without the read
running. When the cache has no validator for the read (cache off, model not
cacheable, inside a transaction), the ETag is a digest of the response body
instead: still a 304 for an unchanged answer, but the read ran.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prisma_infra.actor import ActorInfo
from prisma_infra.context import current_context
from prisma_infra.ports.caching import CACHE_VALIDATOR
from prisma_infra.rest.encoding import dumps
from prisma_infra.rest.request import ApiResponse
from prisma_infra.stash import StashKey

if TYPE_CHECKING:
    from prisma_infra.config.model import InfraConfig
    from prisma_infra.kernel import Kernel
    from prisma_infra.operation import Operation

__all__ = ["body_etag", "conditional", "config_version", "matches", "operation_etag"]

_VERSION: StashKey[tuple[InfraConfig, str, str]] = StashKey("rest config version")


def config_version(kernel: Kernel) -> str:
    """A digest of the settings and schema in force (changes with a reload that changes either)."""
    config, schema = kernel.config, kernel.schema
    held = kernel.stash.get(_VERSION)
    if held is not None and held[0] is config and held[1] == schema.hash:
        return held[2]
    text = config.model_dump_json() + "\x00" + schema.hash
    version = hashlib.sha256(text.encode()).hexdigest()[:32]
    kernel.stash[_VERSION] = (config, schema.hash, version)
    return version


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()[:40]


def _actor() -> bytes:
    ctx = current_context()
    info = ActorInfo.of(ctx.actor, ctx.tenant)
    return dumps([repr(info.id), sorted(info.roles), repr(info.tenant)])


async def operation_etag(kernel: Kernel, operation: Operation, identity: Any = None) -> str | None:
    """The ETag of ``operation`` before it runs, or None when the cache has no validator for it."""
    service = kernel.services.get(CACHE_VALIDATOR)
    if service is None:
        return None
    validator = await service.validator(operation)
    if validator is None:
        return None
    what = dumps([operation.model, str(operation.action.value), operation.args, identity])
    return f'W/"{_digest(config_version(kernel).encode(), _actor(), what, str(validator).encode())}"'


def body_etag(body: bytes) -> str:
    """The weak ETag of a response body."""
    return f'W/"{_digest(b"body", body)}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value matches ``etag`` (weak comparison; ``*`` matches)."""
    if not if_none_match:
        return False
    opaque = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


def _not_modified(etag: str, cache_control: str) -> ApiResponse:
    return ApiResponse(304, {"etag": etag, "cache-control": cache_control}, b"")


async def conditional(
    kernel: Kernel,
    if_none_match: str | None,
    operation: Operation | None,
    run: Callable[[], Awaitable[ApiResponse]],
    identity: Any = None,
) -> ApiResponse:
    """Answer a GET read with HTTP caching (see the module documentation).

    ``identity`` adds what the operation does not show (the page window of a list).
    """
    cache_control = kernel.config.api.cache_control
    etag = await operation_etag(kernel, operation, identity) if operation is not None else None
    if etag is not None and matches(if_none_match, etag):
        return _not_modified(etag, cache_control)
    response = await run()
    if response.status != 200:
        return response
    if etag is None:
        etag = body_etag(response.body)
        if matches(if_none_match, etag):
            return _not_modified(etag, cache_control)
    response.headers["etag"] = etag
    response.headers["cache-control"] = cache_control
    return response
