"""The operation pipeline: middleware composed as decorators around the engine call.

A middleware has three optional steps — ``before``, ``after``, ``error`` — and may
override ``wrap`` when it needs to act around the call (a cache that answers
without calling the engine). Composition happens once per configuration, so an
operation pays only for the middleware that actually override something.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from prisma_infra.operation import Operation

if TYPE_CHECKING:
    from prisma_infra.runtime import Runtime

__all__ = ["Handler", "Middleware", "compose", "order_middleware"]

#: An async callable that runs an operation and returns its result.
Handler = Callable[[Operation], Awaitable[Any]]


class Middleware:
    """Base class for pipeline middleware.

    Override any of ``before``, ``after`` and ``error``; or ``wrap`` for full
    control. ``order`` sorts middleware that ``pipeline.order`` does not name
    (lower runs outermost).
    """

    name: ClassVar[str] = ""
    order: ClassVar[int] = 100

    async def before(self, operation: Operation) -> Operation | None:
        """Called before the engine; return a replacement operation, or ``None`` to keep it."""
        return None

    async def after(self, operation: Operation, result: Any) -> Any:
        """Called with the engine's result; return the result to pass outwards."""
        return result

    async def error(self, operation: Operation, exc: Exception) -> Any:
        """Called when an inner step raised; re-raise (default) or return a result to recover."""
        raise exc

    def wrap(self, call: Handler) -> Handler:
        """Return a handler that runs this middleware around ``call``."""
        cls = type(self)
        has_before = cls.before is not Middleware.before
        has_after = cls.after is not Middleware.after
        has_error = cls.error is not Middleware.error
        if not (has_before or has_after or has_error):
            return call
        before, after, error = self.before, self.after, self.error

        async def handler(operation: Operation) -> Any:
            if has_before:
                operation = await before(operation) or operation
            if has_error:
                try:
                    result = await call(operation)
                except Exception as exc:
                    return await error(operation, exc)
            else:
                result = await call(operation)
            if has_after:
                return await after(operation, result)
            return result

        return handler

    async def start(self, runtime: Runtime) -> None:
        """Connect what the middleware needs for ``runtime``'s configuration.

        Called after the runtime is built and before it serves operations; the
        middleware may publish what it offers in ``runtime.services`` (`prisma_infra.stash`).
        """

    async def close(self) -> None:
        """Release resources when the middleware is swapped out."""


def order_middleware(middleware: Iterable[Middleware], order: Sequence[str] = ()) -> list[Middleware]:
    """Sort middleware outermost first: names in ``order`` first, in that order; then by ``order``."""
    position = {name: i for i, name in enumerate(order)}
    return sorted(middleware, key=lambda m: (position.get(m.name, len(position)), m.order, m.name))


def compose(middleware: Sequence[Middleware], call: Handler) -> Handler:
    """Wrap ``call`` so that ``middleware[0]`` is outermost."""
    for item in reversed(middleware):
        call = item.wrap(call)
    return call
