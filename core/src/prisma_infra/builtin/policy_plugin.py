"""Access policies and security monitoring, registered as an ordinary built-in plugin."""

from __future__ import annotations

from collections.abc import Callable

from prisma_infra.hookspecs import hookimpl

name = "policies"


@hookimpl(trylast=True)
def register_middleware(register: Callable[[str, object], None]) -> None:
    from prisma_infra.policies.middleware import PolicyMiddleware
    from prisma_infra.security.middleware import SecurityMiddleware

    register("policies", PolicyMiddleware)
    register("security", SecurityMiddleware)
