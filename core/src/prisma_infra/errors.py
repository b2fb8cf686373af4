"""The exception hierarchy: one root, one subclass per kind of failure.

Every message names what is at fault (model, field, setting, plugin) so that
a user can act on it without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from difflib import get_close_matches
from typing import Any

__all__ = [
    "AuthenticationError",
    "CacheBackendError",
    "ConfigurationError",
    "EngineError",
    "EngineUnavailableError",
    "ForeignKeyConstraintError",
    "OperationTimeoutError",
    "OutcomeUnknownError",
    "PluginError",
    "PolicyDeniedError",
    "PrismaInfraError",
    "ReadOnlyViewError",
    "RecordNotFoundError",
    "TransactionError",
    "UniqueConstraintError",
    "UnknownFieldError",
    "UnknownModelError",
    "ValidationError",
    "closest_match",
]


def closest_match(name: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``name`` (case-insensitive), if any is close."""
    by_lower = {c.lower(): c for c in candidates}
    found = get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.5)
    return by_lower[found[0]] if found else None


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    match = closest_match(name, candidates)
    return f" Did you mean {match!r}?" if match else ""


class PrismaInfraError(Exception):
    """Root of every error raised by prisma-infra and its plugins."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: Full diagnostic text (for example Prisma's multi-line validation message).
        self.detail = detail


class ConfigurationError(PrismaInfraError):
    """Settings are invalid: names each problem's key path, reason and source file."""

    def __init__(self, message: str, *, problems: Sequence[str] = (), detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.problems = list(problems)


class PluginError(PrismaInfraError):
    """A plugin failed to load, registered something invalid, or clashed with another plugin."""

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        super().__init__(message)
        self.plugin = plugin


class ValidationError(PrismaInfraError):
    """Arguments or data do not fit the schema."""

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        field: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail)
        self.model = model
        self.field = field


class ReadOnlyViewError(ValidationError):
    """A write to a Prisma ``view`` (top level or nested): views are read-only."""

    def __init__(self, view: str, action: str, *, where: str = "") -> None:
        place = f" (in {where})" if where else ""
        super().__init__(
            f"{view} is a view and views are read-only: {action}{place} is refused; write to its tables instead.",
            model=view,
        )
        self.view = view
        self.action = action


class UnknownModelError(ValidationError):
    """A model name that the schema does not define."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        known = list(known)
        super().__init__(f"Unknown model {name!r}.{_did_you_mean(name, known)}", model=name)
        self.suggestion = closest_match(name, known)


class UnknownFieldError(ValidationError):
    """A field name that the model does not define."""

    def __init__(self, model: str, name: str, known: Iterable[str], *, where: str = "") -> None:
        known = list(known)
        place = f" in {where}" if where else ""
        super().__init__(
            f"Unknown field {name!r} on model {model!r}{place}.{_did_you_mean(name, known)}",
            model=model,
            field=name,
        )
        self.suggestion = closest_match(name, known)


class RecordNotFoundError(PrismaInfraError):
    """A record required by the operation does not exist (Prisma P2025)."""

    def __init__(self, message: str, *, model: str | None = None, where: Any = None) -> None:
        super().__init__(message)
        self.model = model
        self.where = where


class ConstraintError(PrismaInfraError):
    """A database constraint rejected the write."""

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        fields: Sequence[str] = (),
        constraint: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail)
        self.model = model
        self.fields = list(fields)
        self.constraint = constraint


class UniqueConstraintError(ConstraintError):
    """A unique constraint rejected the write (Prisma P2002)."""


class ForeignKeyConstraintError(ConstraintError):
    """A foreign-key constraint rejected the write (Prisma P2003)."""


class EngineError(PrismaInfraError):
    """The data engine reported an error that has no more specific class."""

    def __init__(self, message: str, *, code: str | None = None, meta: Any = None, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.code = code
        self.meta = meta


class EngineUnavailableError(EngineError):
    """The data engine cannot be reached (not started, crashed, or shut down)."""


class OutcomeUnknownError(EngineUnavailableError):
    """A write was in flight when the engine died: it may or may not have been applied.

    Check the database before retrying it. A write that never reached the engine raises
    plain `EngineUnavailableError` instead (safe to retry).
    """


class OperationTimeoutError(PrismaInfraError):
    """An operation did not finish before its deadline."""


class TransactionError(PrismaInfraError):
    """A transaction could not be started, committed, or has expired (Prisma P2028)."""


class PolicyError(PrismaInfraError):
    """A policy cannot be applied to this input (an actor attribute that is not a value, ...)."""

    def __init__(self, message: str, *, attribute: str | None = None) -> None:
        super().__init__(message)
        self.attribute = attribute


class PolicyDeniedError(PrismaInfraError):
    """An access policy denied the operation; names the policy and the rule."""

    def __init__(self, message: str, *, policy: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.policy = policy
        self.rule = rule


class CacheBackendError(PrismaInfraError):
    """A cache store failed; the cache manager catches it and bypasses the store."""

    def __init__(self, message: str, *, backend: str | None = None) -> None:
        super().__init__(message)
        self.backend = backend


class AuthenticationError(PrismaInfraError):
    """A request's credentials (a bearer JWT, a proxy's headers) were presented but are not valid.

    ``scheme`` names the scheme for the ``WWW-Authenticate`` challenge (``Bearer``); the message says what
    failed (expired, wrong audience, unknown key, ...) and never carries the token or its claims.
    """

    def __init__(self, message: str, *, scheme: str = "Bearer", reason: str = "invalid_token") -> None:
        super().__init__(message)
        self.scheme = scheme
        #: The RFC 6750 error code (``invalid_token``, ``invalid_request``).
        self.reason = reason
