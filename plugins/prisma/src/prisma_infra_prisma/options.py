"""The Prisma engine's own settings, ``database.options``, checked before anything starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pydantic
from prisma_infra_sdk import ConfigurationError, closest_match

__all__ = ["EngineOptions", "parse_options"]

_WHERE = "database.options"


class EngineOptions(pydantic.BaseModel):
    """``database.options`` for ``database.engine = "prisma"``."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    install: bool = True
    """Install Prisma's npm packages on first use; false makes a missing install an error."""
    log_queries: bool = False
    """Log every SQL statement at DEBUG on ``prisma_infra.engine.bridge``."""
    adapter: dict[str, Any] = pydantic.Field(default_factory=dict)
    """Extra options for the driver adapter's pool."""
    start_timeout: float = pydantic.Field(default=60.0, gt=0)
    """Seconds the bridge may take to start."""
    colocate: bool = False
    """The bridge's JavaScript thread on the CPUs of the event loop's thread (docs/engine.md, "Latency")."""
    busy_poll: float = pydantic.Field(default=0.0, ge=0, le=1_000_000)
    """Microseconds each side of the pipe keeps polling instead of sleeping; 0 is off (docs/engine.md)."""

    @pydantic.model_validator(mode="after")
    def _placement(self) -> EngineOptions:
        if self.colocate and self.busy_poll:
            # A polling bridge on the event loop's CPU would take turns with the loop it waits for.
            raise ValueError("colocate and busy_poll exclude each other: polling needs the two processes on two CPUs")
        if self.colocate and not hasattr(os, "sched_setaffinity"):
            raise ValueError("colocate needs CPU affinity (Linux); remove it on this platform")
        return self


def _problem(error: Mapping[str, Any]) -> str:
    path = ".".join([_WHERE, *(str(part) for part in error["loc"])])
    if error["type"] == "extra_forbidden":
        match = closest_match(str(error["loc"][-1]), EngineOptions.model_fields)
        hint = f"did you mean '{_WHERE}.{match}'?" if match else f"valid: {', '.join(EngineOptions.model_fields)}"
        return f"{path}: unknown setting; {hint}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{path}: {message}" + (f" (got {error['input']!r})" if error["loc"] else "")


def _field_name(key: str) -> str:
    lower = key.lower()
    return lower if key not in EngineOptions.model_fields and lower in EngineOptions.model_fields else key


def parse_options(options: Mapping[str, Any]) -> EngineOptions:
    """``database.options`` validated; every problem named by its key path in a `ConfigurationError`."""
    # An environment variable (PRISMA_INFRA_DATABASE__OPTIONS__BUSY_POLL) names the key in upper case.
    named = {_field_name(str(key)): value for key, value in options.items()}
    try:
        return EngineOptions.model_validate(named)
    except pydantic.ValidationError as exc:
        problems = [_problem(error) for error in exc.errors(include_url=False)]
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ConfigurationError(
            f"Invalid {_WHERE} for the prisma engine ({count}):\n" + "\n".join(f"  - {p}" for p in problems),
            problems=problems,
        ) from None
