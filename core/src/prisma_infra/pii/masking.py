"""Masking strategies: redact, partial, keyed hash, reversible token, null (and keep).

`Masker` applies one strategy to one value. Which strategy applies is decided
by `PiiManager` from the configuration: ``pii.purposes.<purpose>`` (by
``Model.field``, then category), ``pii.fields``, ``pii.strategies``, then the
category's default in `categories.DEFAULT_STRATEGIES`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Any, Final

from prisma_infra.errors import ConfigurationError
from prisma_infra.pii import categories
from prisma_infra.pii.partial import partial_mask
from prisma_infra.pii.tokens import TokenCipher

__all__ = ["STRATEGIES", "Masker", "normalize", "redact"]

REDACT: Final = "redact"
PARTIAL: Final = "partial"
HASH: Final = "hash"
TOKEN: Final = "token"
NULL: Final = "null"
KEEP: Final = "keep"
#: Every strategy name accepted in configuration.
STRATEGIES: Final = (REDACT, PARTIAL, HASH, TOKEN, NULL, KEEP)


def redact(category: str) -> str:
    return f"[REDACTED:{category}]"


def normalize(value: Any, category: str) -> str:
    """The canonical text of a value, so the same e-mail, phone or card in two spellings hashes the same."""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    text = text.strip()
    if category == categories.EMAIL:
        return text.lower()
    if category in (categories.PHONE, categories.CARD):
        return ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)
    if category in (categories.IBAN, categories.NATIONAL_ID):
        return re.sub(r"[\s.-]", "", text).upper()
    return text


class Masker:
    """Applies a named strategy to values; holds the hash and token keys."""

    def __init__(self, *, hash_key: str | None = None, token_key: str | None = None, region: str = "US") -> None:
        self._hash_key = hash_key.encode() if hash_key else None
        self._token_key = token_key
        self._cipher: TokenCipher | None = None
        self.region = region

    @property
    def cipher(self) -> TokenCipher:
        if self._cipher is None:
            if not self._token_key:
                raise ConfigurationError(
                    "The 'token' masking strategy needs a key: set pii.token_key (a secret of 16+ characters)",
                    problems=["pii.token_key: required by the 'token' strategy"],
                )
            self._cipher = TokenCipher(self._token_key)
        return self._cipher

    def hash(self, value: Any, category: str) -> str:
        """``hmac:`` and 32 hex digits of HMAC-SHA256 over the category and normalised value: stable, keyed."""
        if self._hash_key is None:
            raise ConfigurationError(
                "The 'hash' masking strategy needs a key: set pii.hash_key",
                problems=["pii.hash_key: required by the 'hash' strategy"],
            )
        message = f"{category}\x00{normalize(value, category)}".encode()
        return "hmac:" + hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()[:32]

    def mask(self, value: Any, category: str, strategy: str) -> Any:
        """``value`` masked with ``strategy``; ``None`` stays ``None``; lists are masked item by item."""
        if value is None or strategy == KEEP:
            return value
        if isinstance(value, list | tuple):
            return [self.mask(item, category, strategy) for item in value]
        if strategy == REDACT:
            return redact(category)
        if strategy == PARTIAL:
            return partial_mask(value, category, region=self.region)
        if strategy == HASH:
            return self.hash(value, category)
        if strategy == TOKEN:
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
            return self.cipher.encrypt(text, category)
        if strategy == NULL:
            return None
        raise ConfigurationError(f"Unknown masking strategy {strategy!r} (known: {', '.join(STRATEGIES)})")

    def unmask(self, token: str) -> tuple[str, str]:
        """``(value, category)`` of a token made by the ``token`` strategy (no role check: see `PiiManager.unmask`)."""
        return self.cipher.decrypt(token)
