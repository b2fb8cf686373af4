"""Reversible tokens: AES-256-GCM, the ciphertext carried in the token itself (no vault).

A token is ``tok:v1:<category>:<base64url(nonce || ciphertext || tag)>``. The
nonce is synthetic (HMAC-SHA256 of category and value under a separate key,
as in SIV): equal values give equal tokens, so masked exports can still be
joined and grouped, and a nonce repeats only for the same plaintext, which is
what GCM needs. The category is authenticated data: a token cannot be moved to
another category. Both keys are derived from ``pii.token_key`` with HKDF.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from prisma_infra.errors import ConfigurationError, ValidationError

__all__ = ["TOKEN_PREFIX", "TokenCipher", "is_token"]

TOKEN_PREFIX = "tok:v1:"


def is_token(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


def _aesgcm() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ConfigurationError(
            "The 'token' masking strategy needs the cryptography package: pip install cryptography"
        ) from exc
    return AESGCM


def _hkdf(secret: bytes, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class TokenCipher:
    """Encrypts values into tokens and back with one secret."""

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < 16:
            raise ConfigurationError("pii.token_key must be at least 16 characters long")
        self._aead = _aesgcm()(_hkdf(raw, b"prisma-infra pii token: encryption"))
        self._nonce_key = _hkdf(raw, b"prisma-infra pii token: nonce")

    def encrypt(self, plaintext: str, category: str) -> str:
        aad = category.encode()
        data = plaintext.encode()
        nonce = hmac.new(self._nonce_key, aad + b"\x00" + data, hashlib.sha256).digest()[:12]
        sealed = self._aead.encrypt(nonce, data, aad)
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        return f"{TOKEN_PREFIX}{category}:{body}"

    def decrypt(self, token: str) -> tuple[str, str]:
        """``(value, category)`` of a token; `ValidationError` when it is malformed or was not made with this key."""
        from cryptography.exceptions import InvalidTag

        if not is_token(token):
            raise ValidationError("Not a prisma-infra PII token")
        category, _, body = token[len(TOKEN_PREFIX) :].rpartition(":")
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            nonce, sealed = blob[:12], blob[12:]
            data = self._aead.decrypt(nonce, sealed, category.encode())
        except (InvalidTag, ValueError) as exc:
            raise ValidationError("PII token is invalid or was made with another key") from exc
        return data.decode(), category
