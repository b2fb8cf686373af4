"""Hide secrets before settings are shown or logged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import SecretBytes, SecretStr

__all__ = ["MASK", "is_secret_key", "mask_secrets", "mask_url", "mask_value"]

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
    }
)
# Words of a key: ``hash_key`` → hash, key; ``apiToken`` → api, token; ``X-Api-Key`` → x, api, key.
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# ``scheme://user:password@`` and ``scheme://token@`` (user information of a URL).
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*)(?::(?P<password>[^@\s]*))?@")
_QUERY_PARAM = re.compile(r"(?P<sep>[?&;])(?P<name>[^=&;#\s]+)=(?P<value>[^&;#\s]*)")


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
        if not is_secret_key(match.group("name")):
            return match.group(0)
        return f"{match.group('sep')}{match.group('name')}={MASK}"

    text = _USERINFO.sub(userinfo, text)
    return _QUERY_PARAM.sub(query, text) if "://" in text else text


def _mask_secret_text(text: str) -> str:
    if not text:
        return text
    return mask_url(text) if "://" in text else MASK


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
        return _mask_secret_text(value) if secret else mask_url(value)
    if secret and value is not None and not isinstance(value, bool):
        return MASK
    return value


def mask_secrets(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of nested settings with every secret shown as ``********``.

    Masked: pydantic ``SecretStr``/``SecretBytes`` values, values of keys named
    like secrets (password, secret, token, key ...), and the password part of
    any URL with credentials. ``None`` stays ``None`` so "not set" remains visible.
    """
    return {str(key): mask_value(str(key), value) for key, value in data.items()}
