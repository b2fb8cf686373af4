"""Secrets are masked before settings are shown."""

from __future__ import annotations

from typing import Any

import pytest
from prisma_infra.config.masking import MASK, is_secret_key, mask_secrets, mask_text, mask_url
from prisma_infra.config.model import AuditConfig, DatabaseConfig, InfraConfig
from pydantic import SecretStr


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "db_password",
        "PASSWORD",
        "secret",
        "client_secret",
        "token",
        "apiToken",
        "api_key",
        "hash_key",
        "X-Api-Key",
        "keys",
        "credentials",
        "passwd",
    ],
)
def test_secret_like_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["url", "ttl", "monkey", "keyboard", "tiers", "host", "tokenizer", "sinks"])
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://app:hunter2@db:5432/app", f"postgresql://app:{MASK}@db:5432/app"),
        ("redis://:hunter2@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
        ("https://ghp_abc123@github.com/org/repo", f"https://{MASK}@github.com/org/repo"),
        ("mysql://db/app?user=app&password=hunter2&ssl=true", f"mysql://db/app?user=app&password={MASK}&ssl=true"),
        ("postgresql://db/app", "postgresql://db/app"),
        ("file:./dev.db", "file:./dev.db"),
        ("see postgresql://a:b@h/x and redis://:c@r", f"see postgresql://a:{MASK}@h/x and redis://:{MASK}@r"),
    ],
)
def test_mask_url_hides_only_credentials(text: str, expected: str) -> None:
    assert mask_url(text) == expected


def test_mask_secrets_nested() -> None:
    data: dict[str, dict[str, Any]] = {
        "database": {"url": SecretStr("postgresql://app:hunter2@db/app"), "pool_size": 5},
        "audit": {"hash_key": SecretStr("k3y"), "sinks": ["file"]},
        "cache": {"stores": {"redis": {"url": "redis://:pw@r:6379", "password": "pw", "key_prefix": "app"}}},
        "plugins": {"options": {"s3": {"secret_access_key": "AKIA", "bucket": "logs", "tokens": ["a", "b"]}}},
        "api": {"credentials": {"user": "u", "id": 3}, "token": None, "key_rotation": True, "secret": ""},
    }

    masked = mask_secrets(data)

    assert masked["database"] == {"url": f"postgresql://app:{MASK}@db/app", "pool_size": 5}
    assert masked["audit"] == {"hash_key": MASK, "sinks": ["file"]}
    assert masked["cache"]["stores"]["redis"] == {
        "url": f"redis://:{MASK}@r:6379",
        "password": MASK,
        "key_prefix": MASK,
    }
    assert masked["plugins"]["options"]["s3"] == {"secret_access_key": MASK, "bucket": "logs", "tokens": [MASK, MASK]}
    # Everything under a secret-like key is masked; None (not set), booleans and "" stay visible.
    assert masked["api"] == {
        "credentials": {"user": MASK, "id": MASK},
        "token": None,
        "key_rotation": True,
        "secret": "",
    }
    assert isinstance(data["database"]["url"], SecretStr)  # the input is not modified


def test_mask_a_whole_config_dump() -> None:
    config = InfraConfig(
        database=DatabaseConfig(url=SecretStr("postgresql://app:hunter2@db/app")),
        audit=AuditConfig(hash_key=SecretStr("hmac-key")),
    )

    masked = mask_secrets(config.model_dump())

    assert masked["database"]["url"] == f"postgresql://app:{MASK}@db/app"
    assert masked["audit"]["hash_key"] == MASK
    assert "hunter2" not in repr(masked) and "hmac-key" not in repr(masked)
    assert masked["cache"]["ttl"] == 60.0


@pytest.mark.parametrize("key", ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "signature"])
def test_credential_headers_are_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer xyz", f"Bearer {MASK}"),
        ("bearer eyJhbGciOi.eyJzdWIi.c2ln", f"bearer {MASK}"),
        ("Basic dXNlcjpwYXNz==", f"Basic {MASK}"),
        ("Authorization: Token abc123", f"Authorization: {MASK}"),
        ("Cookie: sid=abc; theme=dark", f"Cookie: {MASK}"),
        ("https://h.io/hook?token=abc&x=1", f"https://h.io/hook?token={MASK}&x=1"),
        ("https://h.io/a?access_token=t&api_key=k&key=s", f"https://h.io/a?access_token={MASK}&api_key={MASK}&key={MASK}"),
        ("https://b.s3.io/o?X-Amz-Credential=AK&X-Amz-Signature=ff&sig=s2", (
            f"https://b.s3.io/o?X-Amz-Credential={MASK}&X-Amz-Signature={MASK}&sig={MASK}"
        )),
        ("https://h.io/cb#access_token=t&state=1", f"https://h.io/cb#access_token={MASK}&state=1"),
        ("/relative/path?password=pw&secret=s", f"/relative/path?password={MASK}&secret={MASK}"),
        ("https://user:pw@h.io/x?page=2", f"https://user:{MASK}@h.io/x?page=2"),
        ("plain words, no credential", "plain words, no credential"),
    ],
)
def test_mask_text_hides_credentials_wherever_they_are_written(text: str, expected: str) -> None:
    assert mask_text(text) == expected


def test_webhook_headers_and_urls_are_masked() -> None:
    config = InfraConfig.model_validate(
        {
            "analytics": {
                "sinks": [
                    {
                        "name": "ops",
                        "type": "webhook",
                        "url": "https://hooks.example.com/T1?token=s3cr3t&channel=ops",
                        "headers": {"Authorization": "Bearer xyz-123", "Cookie": "sid=abc", "X-Trace": "keep"},
                    }
                ]
            }
        }
    )
    sink = mask_secrets(config.model_dump())["analytics"]["sinks"][0]
    assert sink["url"] == f"https://hooks.example.com/T1?token={MASK}&channel=ops"
    assert sink["headers"] == {"Authorization": MASK, "Cookie": MASK, "X-Trace": "keep"}
