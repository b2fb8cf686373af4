"""The kernel's own middleware and commands, registered as an ordinary plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prisma_infra.hookspecs import hookimpl
from prisma_infra.operation import Operation
from prisma_infra.pipeline import Handler, Middleware

if TYPE_CHECKING:
    import typer

    from prisma_infra.kernel import Kernel

name = "core"


class ValidationMiddleware(Middleware):
    """Checks Prisma arguments against the schema before they reach the engine.

    Unknown fields, wrong value types and unknown relations fail here with an
    error naming the model, the field and the closest match.
    """

    name = "validation"
    order = 50

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def wrap(self, call: Handler) -> Handler:
        from prisma_infra.schema.validate import validate_args

        kernel = self.kernel

        async def handler(operation: Operation) -> Any:
            if operation.model is not None:
                args = operation.args
                # `Infrastructure.check_input` already ran at the entry point (execute, batch, warming).
                checked = validate_args(
                    kernel.schema, operation.model, operation.action, args, copy=False, checked=True
                )
                if checked is not args:
                    operation.args = checked
            return await call(operation)

        return handler


@hookimpl(trylast=True)
def register_middleware(register: Callable[[str, object], None]) -> None:
    register("validation", ValidationMiddleware)


@hookimpl(trylast=True)
def register_commands(cli: typer.Typer) -> None:
    from prisma_infra.cli.builtin_commands import add_builtin_commands

    add_builtin_commands(cli)
