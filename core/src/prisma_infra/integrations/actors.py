"""The actor of a web request: resolvers that read credentials, and the chain that asks them in turn.

A resolver is any callable ``(RequestInfo) -> actor | None`` (or an awaitable of it): ``None`` means
"not mine" (no credentials it understands), an actor means authenticated, and
`prisma_infra.errors.AuthenticationError` means credentials were presented but are invalid (the adapter
answers 401). `resolve_actor` asks the resolvers in order; when none answers, the request acts as the
configured anonymous actor (``api.auth.anonymous``, default ``None``: no actor).

Built in, from ``api.auth`` (`resolvers_from_settings`):

- `JwtResolver` (``api.auth.jose``): ``Authorization: Bearer <JWT>`` verified with PyJWT against an
  allow-list of algorithms and keys from settings; the actor is a dict built with the ``claims`` mapping.
- `TrustedHeaderResolver` (``api.auth.header``): headers set by an authenticating reverse proxy, honoured
  only when the peer address is inside ``trusted_proxies``.

No message of this module carries a token, a claim value or a header value.
"""

from __future__ import annotations

import inspect
import ipaddress
import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from prisma_infra.config.api import ApiAuthConfig, JwtConfig, TrustedHeaderConfig
from prisma_infra.errors import AuthenticationError, ConfigurationError

if TYPE_CHECKING:
    from prisma_infra.config.model import InfraConfig

__all__ = [
    "MAX_TOKEN_LENGTH",
    "ActorResolver",
    "JwtResolver",
    "RequestInfo",
    "SettingsResolvers",
    "TrustedHeaderResolver",
    "resolve_actor",
    "resolvers_from_settings",
    "split_roles",
]

logger = logging.getLogger(__name__)

#: Longest bearer token accepted (characters): a longer one is refused as malformed before any parsing.
MAX_TOKEN_LENGTH = 16_384
_SETTING = "api.auth.jose"
#: An ``alg`` header value that may be echoed in a message (a JWA name, not arbitrary text).
_ALG_NAME = re.compile(r"^[A-Za-z0-9]{1,16}$")
_ROLE_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class RequestInfo:
    """What a resolver sees of a request, whatever the framework."""

    headers: Mapping[str, str] = field(default_factory=dict)
    """Request headers, keys lower-cased."""
    client: str | None = None
    """The peer's address (the TCP client: the proxy's when there is one)."""

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or ``None``."""
        return self.headers.get(name.lower())


#: A resolver: the actor of the request, ``None`` ("not mine"), or an awaitable of either.
ActorResolver = Callable[[RequestInfo], Any | Awaitable[Any]]


def split_roles(value: Any) -> list[str]:
    """Roles from a claim or header: a space/comma separated string or a collection; ``None`` gives none."""
    if value is None:
        return []
    if isinstance(value, str):
        return [role for role in _ROLE_SEPARATORS.split(value) if role]
    if isinstance(value, list | tuple | set | frozenset):
        return [str(role) for role in value]
    return [str(value)]


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    """The claim at ``path``: the name itself (namespaced URL claims contain dots), else a dotted path."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _refused(what: str, *, reason: str = "invalid_token") -> AuthenticationError:
    return AuthenticationError(f"Bearer token refused: {what}.", scheme="Bearer", reason=reason)


def _read(path: Path, setting: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"{setting}: cannot read {str(path)!r} ({exc.strerror or type(exc).__name__})"
        ) from None


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _public_key(pem: str, setting: str) -> Any:
    """A public key object from a PEM public key or X.509 certificate (a private key is refused)."""
    data = pem.strip().encode()
    try:
        if b"BEGIN CERTIFICATE" in data:
            return x509.load_pem_x509_certificate(data).public_key()
        return load_pem_public_key(data)
    except ValueError:
        raise ConfigurationError(f"{setting} is not a PEM public key or certificate") from None


def _fits(key: Any, alg: str) -> bool:
    """Whether a public key object can verify ``alg`` (an RSA key never checks an ES256 token, ...)."""
    if isinstance(key, rsa.RSAPublicKey):
        return alg.startswith(("RS", "PS"))
    if isinstance(key, ec.EllipticCurvePublicKey):
        return alg.startswith("ES")
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return alg == "EdDSA"
    return False


def _jwks(text: str, setting: str) -> list[jwt.PyJWK]:
    try:
        keys = jwt.PyJWKSet.from_dict(json.loads(text)).keys
    except (ValueError, jwt.PyJWTError, AttributeError):  # the error's text may quote the key: not shown
        raise ConfigurationError(f"{setting} is not a JSON Web Key Set with a usable signature key") from None
    usable = [key for key in keys if key.public_key_use in (None, "sig")]
    if not usable:
        raise ConfigurationError(f"{setting} has no signature key (every key has use 'enc')")
    return usable


class JwtResolver:
    """Bearer JWTs (``api.auth.jose``): verified with PyJWT, turned into a dict actor.

    The token's ``alg`` must be in ``algorithms`` (``none`` never is) before anything is verified; the key is
    the ``secret`` (HS*), the ``public_key``/``public_key_file`` (PEM key or certificate), or the key of the
    ``jwks_file`` whose ``kid`` the token names. ``exp``/``nbf``/``iat`` are checked with ``leeway``, ``aud``
    against ``audience``, ``iss`` against ``issuer``; every claim of ``require`` must be present. A request
    without ``Authorization: Bearer`` is not this resolver's (``None``).
    """

    def __init__(self, config: JwtConfig, base_dir: str | Path = ".") -> None:
        self.config = config
        self.algorithms: tuple[str, ...] = tuple(config.algorithms)
        self._secret: bytes | None = None
        self._key: Any = None
        self._jwks: list[jwt.PyJWK] = []
        #: The key file (path, setting) read again when it changes (key rotation), and its last stamp.
        self._file: tuple[Path, str] | None = None
        self._stamp: tuple[int, int] | None = None
        if self.algorithms[0].startswith("HS"):
            if config.secret is None:
                raise ConfigurationError(f"{_SETTING}.secret is required for HS* algorithms")
            self._secret = config.secret.get_secret_value().encode()
        elif config.jwks_file or config.public_key_file:
            setting, name = (
                ("jwks_file", config.jwks_file) if config.jwks_file else ("public_key_file", config.public_key_file)
            )
            assert name is not None
            path = Path(name) if Path(name).is_absolute() else Path(base_dir) / name
            self._file = (path, f"{_SETTING}.{setting}")
            self._stamp = _stamp(path)
            self._load(path, self._file[1])
        elif config.public_key is not None:
            self._key = _public_key(config.public_key.get_secret_value(), f"{_SETTING}.public_key")
        else:
            raise ConfigurationError(f"{_SETTING} needs public_key, public_key_file or jwks_file")

    def _load(self, path: Path, setting: str) -> None:
        text = _read(path, setting)
        if self.config.jwks_file:
            self._jwks = _jwks(text, setting)
        else:
            self._key = _public_key(text, setting)

    def _refresh(self) -> None:
        """Read the key file again when it changed since it was read (a new JWKS after a key rotation).

        A file that cannot be used (being written, invalid) leaves the keys as they were, with a warning.
        """
        if self._file is None:
            return
        path, setting = self._file
        stamp = _stamp(path)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self._load(path, setting)
        except ConfigurationError as exc:
            logger.warning("%s changed but is not usable, the previous keys stay: %s", setting, exc.message)

    def __call__(self, request: RequestInfo) -> dict[str, Any] | None:
        authorization = request.header("authorization")
        if authorization is None:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None  # Basic, Digest, ...: another resolver's
        token = token.strip()
        if not token:
            raise _refused("the Authorization header has no token", reason="invalid_request")
        return self.actor(self.verify(token))

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, once its algorithm, key, signature and registered claims are checked."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise _refused(f"malformed (longer than {MAX_TOKEN_LENGTH} characters)")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refused("malformed (not a compact JWS)") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            shown = f"algorithm {alg!r}" if isinstance(alg, str) and _ALG_NAME.fullmatch(alg) else "its algorithm"
            raise _refused(f"{shown} is not allowed ({_SETTING}.algorithms: {', '.join(self.algorithms)})")
        self._refresh()
        key = self._key_for(header, alg)
        config = self.config
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=config.audience,
                issuer=config.issuer,
                leeway=config.leeway,
                options={"require": list(config.require)},
            )
        except jwt.PyJWTError as exc:  # PyJWT's own text may quote the token's content: never shown
            raise self._reason(exc) from None
        except (TypeError, ValueError):  # a key PyJWT cannot use for this algorithm
            raise _refused("its algorithm does not fit the configured key") from None

    def _key_for(self, header: Mapping[str, Any], alg: str) -> Any:
        if self._secret is not None:
            return self._secret
        if not self._jwks:
            if not _fits(self._key, alg):
                raise _refused("its algorithm does not fit the configured key")
            return self._key
        kid = header.get("kid")
        if kid is None:
            if len(self._jwks) == 1:
                return self._jwks[0]
            raise _refused(f"no key id (kid) to choose a key of {_SETTING}.jwks_file")
        for key in self._jwks:
            if key.key_id == kid:
                if key.algorithm_name != alg:
                    raise _refused(f"its algorithm does not match the {_SETTING}.jwks_file key it names")
                return key
        raise _refused(f"unknown key id (kid): {_SETTING}.jwks_file has no such key")

    def _reason(self, exc: jwt.PyJWTError) -> AuthenticationError:
        if isinstance(exc, jwt.ExpiredSignatureError):
            return _refused("expired (exp)")
        if isinstance(exc, jwt.ImmatureSignatureError):
            claim = "iat" if "(iat)" in str(exc) else "nbf"
            return _refused(f"not yet valid ({claim} is in the future)")
        if isinstance(exc, jwt.MissingRequiredClaimError):
            return _refused(f"required claim {exc.claim!r} is missing")
        if isinstance(exc, jwt.InvalidAudienceError):
            if self.config.audience is None:
                return _refused(f"it names an audience (aud) but {_SETTING}.audience is not set")
            return _refused(f"wrong audience (aud): not {_SETTING}.audience")
        if isinstance(exc, jwt.InvalidIssuerError):
            return _refused(f"wrong issuer (iss): not {_SETTING}.issuer")
        if isinstance(exc, jwt.InvalidSignatureError):
            return _refused("bad signature (not signed by the configured key)")
        if isinstance(exc, jwt.InvalidAlgorithmError):
            return _refused("its algorithm is not allowed for the configured key")
        if isinstance(exc, jwt.InvalidKeyError):
            return _refused("its algorithm does not fit the configured key")
        if isinstance(exc, jwt.InvalidIssuedAtError):
            return _refused("malformed issued-at claim (iat)")
        if isinstance(exc, jwt.exceptions.InvalidSubjectError):
            return _refused("malformed subject claim (sub)")
        if isinstance(exc, jwt.exceptions.InvalidJTIError):
            return _refused("malformed token id claim (jti)")
        return _refused("malformed")

    def actor(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        """The actor dict: each attribute of ``claims`` (the setting) from its claim; roles as a list."""
        actor: dict[str, Any] = {}
        for attribute, path in self.config.claims.items():
            value = _claim(claims, path)
            actor[attribute] = split_roles(value) if attribute == "roles" else value
        if "id" in self.config.claims and actor.get("id") in (None, ""):
            raise _refused(f"no {self.config.claims['id']!r} claim (the actor id, {_SETTING}.claims.id)")
        return actor


class TrustedHeaderResolver:
    """An actor from headers a reverse proxy sets (``api.auth.header``), only from ``trusted_proxies``.

    From any other peer the headers are ignored (``None``): a client cannot name itself by sending them.
    The proxy must drop or overwrite these headers on every request it forwards.
    """

    def __init__(self, config: TrustedHeaderConfig) -> None:
        self.config = config
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for cidr in config.trusted_proxies:
            try:
                networks.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                raise ConfigurationError(
                    f"api.auth.header.trusted_proxies: {cidr!r} is not an IP address or CIDR network"
                ) from None
        self.networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(networks)

    def trusted(self, client: str | None) -> bool:
        """Whether ``client`` (a peer address) is inside one of the trusted networks."""
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client.strip("[]"))
        except ValueError:  # a name ("testclient"), a socket path: never trusted
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address.version == net.version and address in net for net in self.networks)

    def __call__(self, request: RequestInfo) -> dict[str, Any] | None:
        config = self.config
        user = (request.header(config.id_header) or "").strip()
        if not user or not self.trusted(request.client):
            return None
        actor: dict[str, Any] = {"id": user}
        if config.roles_header:
            actor["roles"] = split_roles(request.header(config.roles_header))
        if config.tenant_header:
            tenant = (request.header(config.tenant_header) or "").strip()
            actor["tenant_id"] = tenant or None
        return actor


def resolvers_from_settings(config: ApiAuthConfig, base_dir: str | Path = ".") -> list[ActorResolver]:
    """The built-in resolvers ``api.auth`` enables: the JWT one first, then the trusted header one.

    Key files are read here (relative to ``base_dir``, the settings file's folder): build the list once per
    settings version, not per request.
    """
    resolvers: list[ActorResolver] = []
    if config.jose.enabled:
        resolvers.append(JwtResolver(config.jose, base_dir))
    if config.header.enabled:
        resolvers.append(TrustedHeaderResolver(config.header))
    return resolvers


class SettingsResolvers:
    """The resolvers ``api.auth`` enables, built once per settings (again after a reload that changes them)."""

    def __init__(self) -> None:
        self._built: tuple[ApiAuthConfig, list[ActorResolver]] | None = None
        self._lock = threading.Lock()  # WSGI servers ask from several threads

    def get(self, config: InfraConfig) -> list[ActorResolver]:
        built = self._built
        if built is None or built[0] is not config.api.auth:
            with self._lock:
                built = self._built
                if built is None or built[0] is not config.api.auth:
                    built = (config.api.auth, resolvers_from_settings(config.api.auth, config.base_dir))
                    self._built = built
        return built[1]


async def resolve_actor(resolvers: Sequence[ActorResolver], request: RequestInfo, anonymous: Any = None) -> Any:
    """The actor of the first resolver that answers (not ``None``), else ``anonymous``.

    An `AuthenticationError` from a resolver propagates: invalid credentials never fall back to anonymous.
    """
    for resolver in resolvers:
        actor = resolver(request)
        if inspect.isawaitable(actor):
            actor = await actor
        if actor is not None:
            return actor
    return anonymous
