"""Who may use the kernel's web app: authenticators and the ASGI guard that applies them.

An authenticator is a callable ``authenticate(request) -> actor | None`` (plain or
async) given the Starlette `Request`; ``None`` means "not authenticated" (401 with
``WWW-Authenticate``). The actor is whatever the application uses with
``acting_as`` (a dict or an object with ``roles``/``role``); without the required
role the answer is 403. Built in, chosen by ``monitoring.web.auth``:

* ``bearer``: ``Authorization: Bearer <monitoring.web.token>``;
* ``basic``: HTTP basic against ``monitoring.web.users``;
* ``none``: no authentication at all — explicit, and logged as a warning;
* ``package.module:callable``: your own authenticator.

Secrets are compared with `hmac.compare_digest`, so the time an answer takes does
not tell how much of a guess was right. ``/healthz`` and ``/readyz`` stay open.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import importlib
import inspect
import logging
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from prisma_infra.actor import actor_roles
from prisma_infra.config.model import WebConfig
from prisma_infra.config.sources import env_var_for
from prisma_infra.errors import ConfigurationError

if TYPE_CHECKING:
    from prisma_infra.kernel import Kernel

__all__ = [
    "FROM_SETTINGS",
    "OPEN_PATHS",
    "AuthGuard",
    "Authenticator",
    "BasicAuth",
    "BearerAuth",
    "WebAccess",
    "build_authenticator",
    "default_hosts",
    "open_access",
    "require_auth",
]

log = logging.getLogger("prisma_infra.web")

Authenticator = Callable[[Request], Any]
#: Paths (relative to where the app is mounted) served without authentication.
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
_MIN_TOKEN = 16


def _challenge(authenticate: Any, realm: str) -> str:
    found = getattr(authenticate, "challenge", None)
    return str(found) if found else f'Bearer realm="{realm}"'


class BearerAuth:
    """``Authorization: Bearer <token>``; the actor is ``{"id": actor_id, "roles": roles}``."""

    def __init__(
        self,
        token: str,
        *,
        roles: Collection[str] = ("monitoring",),
        actor_id: str = "bearer",
        realm: str = "prisma-infra",
    ) -> None:
        self._token = token.encode()
        self.actor = {"id": actor_id, "roles": list(roles)}
        self.challenge = f'Bearer realm="{realm}"'

    def __call__(self, request: Request) -> Any:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        given = credential.strip().encode("utf-8", "surrogateescape")
        return dict(self.actor) if hmac.compare_digest(given, self._token) else None


class BasicAuth:
    """HTTP basic against user name → password; the actor is ``{"id": user, "roles": roles}``."""

    def __init__(
        self, users: Mapping[str, str], *, roles: Collection[str] = ("monitoring",), realm: str = "prisma-infra"
    ) -> None:
        self._users = {name: password.encode() for name, password in users.items()}
        self.roles = list(roles)
        self.challenge = f'Basic realm="{realm}", charset="UTF-8"'

    def __call__(self, request: Request) -> Any:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, colon, password = base64.b64decode(credential.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        # An unknown user costs the same comparison as a known one: no user-name oracle by timing.
        expected = self._users.get(user)
        matched = hmac.compare_digest(password.encode(), expected if expected is not None else b"\0" * 32)
        if not colon or expected is None or not matched:
            return None
        return {"id": user, "roles": list(self.roles)}


def open_access(request: Request) -> Any:
    """The authenticator of ``auth = "none"``: everyone is let in, as no one in particular."""
    return {"id": "anonymous", "roles": []}


def _import(path: str) -> Any:
    module_name, sep, attribute = path.partition(":")
    if not sep:
        module_name, _, attribute = path.rpartition(".")
    try:
        found: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError, ValueError) as exc:
        message = f"monitoring.web.auth: cannot import the authenticator {path!r} ({type(exc).__name__})"
        raise ConfigurationError(message, problems=[message]) from None
    if not callable(found):
        message = f"monitoring.web.auth: {path!r} is not callable"
        raise ConfigurationError(message, problems=[message])
    return found


def _missing(key: str, what: str) -> ConfigurationError:
    env = env_var_for(["monitoring", "web", key])
    message = f"monitoring.web.{key}: {what} (set {env} or monitoring.web.{key} in .secrets.toml)"
    return ConfigurationError(message, problems=[message])


def build_authenticator(web: WebConfig) -> Authenticator:
    """The authenticator ``monitoring.web`` describes.

    :raises ConfigurationError: naming the setting, when its secret is missing or too short,
        or the import path does not resolve.
    """
    kind = web.auth.strip()
    if kind.lower() == "none":
        return open_access
    if kind.lower() == "bearer":
        token = web.token.get_secret_value() if web.token is not None else ""
        if not token:
            raise _missing("token", 'auth = "bearer" needs a token')
        if len(token) < _MIN_TOKEN:
            raise _missing("token", f"the token must have at least {_MIN_TOKEN} characters")
        return BearerAuth(token, roles=web.roles, realm=web.realm)
    if kind.lower() == "basic":
        users = {name: secret.get_secret_value() for name, secret in web.users.items()}
        if not users or not all(users.values()):
            raise _missing("users", 'auth = "basic" needs users = {name = "password"}')
        return BasicAuth(users, roles=web.roles, realm=web.realm)
    if ":" not in kind and "." not in kind:
        message = f"monitoring.web.auth: {kind!r} is not bearer, basic, none or a package.module:callable path"
        raise ConfigurationError(message, problems=[message])
    return _import(kind)  # type: ignore[no-any-return]


class _FromSettings:
    """The type of `FROM_SETTINGS`: an argument left to ``monitoring.web``."""

    def __repr__(self) -> str:
        return "FROM_SETTINGS"


#: Default of ``role=``: take ``monitoring.web.role`` (``None`` itself means "any authenticated actor").
FROM_SETTINGS = _FromSettings()


class _Refused:
    """Stands for "nobody gets in": the settings are incomplete (the reason is logged once)."""

    challenge = 'Bearer realm="prisma-infra"'

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __call__(self, request: Request) -> Any:
        return None


class WebAccess:
    """The authenticator, required role and host allow-list in force, from arguments or the settings.

    What comes from the settings is looked up again when the infrastructure's
    configuration changes (a reload can rotate the token).
    """

    def __init__(
        self,
        kernel: Kernel,
        *,
        authenticate: Authenticator | str | None = None,
        role: str | _FromSettings | None = FROM_SETTINGS,
        allowed_hosts: Collection[str] | None = None,
    ) -> None:
        self.kernel = kernel
        self._authenticate = authenticate
        self._role = role
        self._allowed_hosts = list(allowed_hosts) if allowed_hosts is not None else None
        self._seen: WebConfig | None = None
        self._resolved: tuple[Authenticator, str | None, list[str]] | None = None

    def current(self) -> tuple[Authenticator, str | None, list[str]]:
        """``(authenticator, required role, allowed hosts)`` for the configuration in force."""
        config = self.kernel.config
        web = config.monitoring.web
        if self._resolved is None or web is not self._seen:
            authenticate = self._build(web)
            hosts = self._hosts_for(config.monitoring.dashboard_host)
            self._resolved = (authenticate, self._role_for(web, authenticate), hosts)
            self._seen = web
        return self._resolved

    async def admits(self, request: Request) -> bool:
        """Whether ``request``'s credentials let it in under the configuration in force now.

        The guard checks a request when it starts; a response that lasts (the event stream)
        asks again before each message, so a rotated token or a removed role ends it.
        """
        authenticate, role, _ = self.current()
        try:
            actor = await _call(authenticate, request)
        except Exception:
            log.exception("the web app's authenticator failed: the stream is closed")
            return False
        return actor is not None and (role is None or role in actor_roles(actor))

    def _build(self, web: WebConfig) -> Authenticator:
        given = self._authenticate
        if given is not None and not isinstance(given, str):
            return given
        chosen = web if given is None else web.model_copy(update={"auth": given})
        try:
            authenticate = build_authenticator(chosen)
        except ConfigurationError as exc:
            log.error("the web app refuses every request until this is fixed: %s", exc.message)
            return _Refused(exc.message)
        if authenticate is open_access:
            log.warning(
                "monitoring.web.auth = 'none': the dashboard, snapshot, events, /metrics and plugin routes "
                "are OPEN to anyone who can reach this app"
            )
        return authenticate

    def _role_for(self, web: WebConfig, authenticate: Authenticator) -> str | None:
        if not isinstance(self._role, _FromSettings):
            return self._role
        return None if authenticate is open_access else web.role

    def _hosts_for(self, bind: str) -> list[str]:
        if self._allowed_hosts is not None:
            return self._allowed_hosts
        configured = self.kernel.config.monitoring.web.allowed_hosts
        if configured is not None:
            return list(configured)
        return default_hosts(bind)


def default_hosts(bind: str) -> list[str]:
    """The bind address and the names of the loopback interface (IPv6 literals in brackets)."""
    hosts = ["localhost", "127.0.0.1", "[::1]"]
    bind = bind.strip().lower()
    if ":" in bind and not bind.startswith("["):
        bind = f"[{bind}]"
    if bind and bind not in hosts:
        hosts.append(bind)
    return hosts


def _route_path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _call(authenticate: Authenticator, request: Request) -> Any:
    found = authenticate(request)
    if inspect.isawaitable(found):
        found = await found
    return found


class AuthGuard:
    """ASGI middleware: refuses what `WebAccess` does not let through; the actor is ``request.state.actor``."""

    def __init__(self, app: ASGIApp, access: WebAccess, *, open_paths: Collection[str] = OPEN_PATHS) -> None:
        self.app = app
        self.access = access
        self.open_paths = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or _route_path(scope) in self.open_paths:
            await self.app(scope, receive, send)
            return
        authenticate, role, _ = self.access.current()
        request = Request(scope)
        try:
            actor = await _call(authenticate, request)
        except Exception:
            log.exception("the web app's authenticator failed: the request is refused")
            actor = None
        if actor is None:
            realm = self.access.kernel.config.monitoring.web.realm
            response = PlainTextResponse(
                "authentication required\n",
                status_code=401,
                headers={"WWW-Authenticate": _challenge(authenticate, realm), "Cache-Control": "no-store"},
            )
            await response(scope, receive, send)
            return
        if role is not None and role not in actor_roles(actor):
            await PlainTextResponse("forbidden\n", status_code=403, headers={"Cache-Control": "no-store"})(
                scope, receive, send
            )
            return
        scope.setdefault("state", {})["actor"] = actor
        await self.app(scope, receive, send)


def require_auth(
    app: ASGIApp,
    kernel: Kernel,
    *,
    authenticate: Authenticator | str | None = None,
    role: str | _FromSettings | None = FROM_SETTINGS,
    allowed_hosts: Collection[str] | None = None,
) -> ASGIApp:
    """``app`` behind the kernel web app's guards (``monitoring.web`` unless given): for an ASGI app
    you mount yourself, e.g. ``Route("/metrics", require_auth(asgi_app(infra), infra))``."""
    from prisma_infra.web.hosts import HostGuard

    access = WebAccess(kernel, authenticate=authenticate, role=role, allowed_hosts=allowed_hosts)
    access.current()
    return HostGuard(AuthGuard(app, access, open_paths=()), access)
