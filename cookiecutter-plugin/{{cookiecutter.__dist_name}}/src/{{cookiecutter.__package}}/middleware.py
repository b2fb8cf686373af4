"""`{{ cookiecutter.__class_prefix }}Middleware`: tags every operation, and counts what it tagged.

Middleware wraps the engine call: ``before`` runs outside-in, ``after`` and
``error`` inside-out (the kernel composes the pipeline once per configuration;
a hook you do not override costs nothing). Never mutate the operation's
``args`` or context in place — other code holds them: return a new
operation from ``before`` (``operation.with_args(...)``, ``with_context(...)``).

The tag lands in ``operation.context.extra["tags"]``, where later middleware,
the audit trail and ``operation_completed`` observers see it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from prisma_infra_sdk import Kernel, Middleware, Operation

__all__ = ["{{ cookiecutter.__class_prefix }}Middleware"]


class {{ cookiecutter.__class_prefix }}Middleware(Middleware):
    """``plugins.options.{{ cookiecutter.__underscored }}.tag`` (default ``"{{ cookiecutter.__hyphenated }}"``)."""

    name: ClassVar[str] = "{{ cookiecutter.__hyphenated }}"
    #: Lower runs further out; the kernel's validation is 50.
    order: ClassVar[int] = 150

    def __init__(self, kernel: Kernel) -> None:
        options = kernel.config.plugins.options.get("{{ cookiecutter.__underscored }}", {})
        self.tag = str(options.get("tag", "{{ cookiecutter.__hyphenated }}"))
        self.tagged: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()

    async def before(self, operation: Operation) -> Operation | None:
        extra = operation.context.extra
        tags = (*extra.get("tags", ()), self.tag)
        return operation.with_context(extra={**extra, "tags": tags})

    async def after(self, operation: Operation, result: Any) -> Any:
        self.tagged[f"{operation.model}.{operation.action.value}"] += 1
        return result

    async def error(self, operation: Operation, exc: Exception) -> Any:
        self.failed[type(exc).__name__] += 1
        raise exc
