"""Hide secrets before settings are shown or logged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import SecretBytes, SecretStr

__all__ = ["MASK", "is_secret_key", "mask_secrets", "mask_text", "mask_url", "mask_value"]

MASK = "********"

_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "apikey",
        "credential",
        "credentials",
        # HTTP headers that carry credentials: Authorization, Proxy-Authorization, Cookie, Set-Cookie.
        "authorization",
        "cookie",
        "cookies",
        "signature",
        "jwt",
        "bearer",
    }
)
#: URL query parameters that carry credentials, besides names with a secret word
#: (``sig`` of signed URLs, ``auth``, ``code`` of OAuth redirects, AWS ``X-Amz-Credential`` ...).
_SECRET_PARAMS = frozenset({"sig", "auth", "code", "session", "sessionid", "sid", "otp", "hmac", "pass"})
# Words of a key: ``hash_key`` → hash, key; ``apiToken`` → api, token; ``X-Api-Key`` → x, api, key.
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# ``scheme://user:password@`` and ``scheme://token@`` (user information of a URL).
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*)(?::(?P<password>[^@\s]*))?@")
_QUERY_PARAM = re.compile(r"(?P<sep>[?&;#])(?P<name>[^=&;#\s]+)=(?P<value>[^&;#\s]*)")
# ``Bearer xyz``, ``Basic dXNlcjpwdw==``: an HTTP credential wherever it is written.
_AUTH_SCHEME = re.compile(r"(?i)\b(?P<scheme>bearer|basic|digest|negotiate|token)(?P<space>\s+)[A-Za-z0-9\-._~+/]+=*")
# ``Authorization: ...``, ``Cookie: a=b`` header lines inside a value.
_HEADER_LINE = re.compile(
    r"(?im)^(?P<name>\s*(?:proxy-)?authorization|\s*(?:set-)?cookie|\s*x-api-key|\s*x-auth-token)(?P<sep>\s*:\s*)\S.*$"
)


def is_secret_key(key: str) -> bool:
    """Whether a setting named ``key`` holds a secret (password, secret, token, key ...)."""
    return any(word.lower() in _SECRET_WORDS for word in _WORD.findall(key))


def mask_url(text: str) -> str:
    """Mask the credentials inside URLs in ``text``, keeping the rest readable.

    ``postgresql://app:pw@db/app`` → ``postgresql://app:********@db/app``; a user
    without a password (often a token: ``https://ghp_x@github.com``) is masked
    whole, and so are query parameters named like secrets (``?password=...``).
    """

    def userinfo(match: re.Match[str]) -> str:
        if match.group("password") is None:
            return f"{match.group('scheme')}{MASK}@" if match.group("user") else match.group(0)
        return f"{match.group('scheme')}{match.group('user')}:{MASK}@"

    def query(match: re.Match[str]) -> str:
        name = match.group("name")
        if not (is_secret_key(name) or name.lower() in _SECRET_PARAMS) or not match.group("value"):
            return match.group(0)
        return f"{match.group('sep')}{name}={MASK}"

    text = _USERINFO.sub(userinfo, text)
    return _QUERY_PARAM.sub(query, text)


def mask_text(text: str) -> str:
    """``text`` with every credential it spells out masked: URL user information and secret query
    parameters (`mask_url`), ``Bearer``/``Basic`` credentials, and ``Authorization:``/``Cookie:`` lines."""
    text = _HEADER_LINE.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group('scheme')}{m.group('space')}{MASK}", text)
    return mask_url(text)


def _mask_secret_text(text: str) -> str:
    if not text:
        return text
    return mask_text(text) if "://" in text else MASK


def mask_value(key: str | None, value: Any, *, secret: bool = False) -> Any:
    """``value`` as it may be shown: secrets masked, URLs stripped of their credentials.

    :param key: the setting's name; a secret-like name masks the value.
    :param secret: the value sits under a secret-like key (every leaf is masked).
    """
    secret = secret or (key is not None and is_secret_key(key))
    if isinstance(value, SecretStr):
        return _mask_secret_text(value.get_secret_value())
    if isinstance(value, SecretBytes):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, Mapping):
        return {str(k): mask_value(str(k), v, secret=secret) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(None, item, secret=secret) for item in value]
    if isinstance(value, str):
        return _mask_secret_text(value) if secret else mask_text(value)
    if secret and value is not None and not isinstance(value, bool):
        return MASK
    return value


def mask_secrets(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of nested settings with every secret shown as ``********``.

    Masked: pydantic ``SecretStr``/``SecretBytes`` values, values of keys named
    like secrets (password, secret, token, key, Authorization, Cookie ...), the
    user information and secret query parameters of URLs (``?token=``, ``sig``,
    ``access_token`` ...), ``Bearer``/``Basic`` credentials and ``Authorization:``
    header lines written inside any value. ``None`` stays ``None`` so "not set" remains visible.
    """
    return {str(key): mask_value(str(key), value) for key, value in data.items()}
