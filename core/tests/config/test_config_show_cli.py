"""``prisma-infra config show`` run as a real process: no credential reaches its output, in any format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SETTINGS = """
[default.database]
url = "postgresql://app:db-pass-1@db.internal:5432/app?sslmode=require&password=db-pass-2"

[[default.analytics.sinks]]
name = "ops"
type = "webhook"
url = "https://hooks.example.com/T1?token=hook-token-3&access_token=acc-4&api_key=api-5&sig=sig-6&channel=ops"
headers = { Authorization = "Bearer bearer-7", Cookie = "sid=cookie-8", X-Trace = "trace-kept" }

[[default.analytics.sinks]]
name = "mail"
type = "email"
username = "alerts"
password = "smtp-9"

[default.plugins.options.relay]
endpoint = "https://user-10:pw-11@relay.example.com/in#access_token=frag-12"
note = "send Authorization: Basic basic-13 with every call"
"""
SECRETS = ("db-pass-1", "db-pass-2", "hook-token-3", "acc-4", "api-5", "sig-6", "bearer-7", "cookie-8", "smtp-9",
           "pw-11", "frag-12", "basic-13")  # fmt: skip


def show(tmp_path: Path, output: str) -> str:
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRISMA_INFRA_")}
    env["COLUMNS"] = "400"  # the table must not fold a secret across lines (a fold could hide a leak)
    result = subprocess.run(
        [sys.executable, "-m", "prisma_infra", "config", "show", "--settings", str(settings), "--format", output],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("output", ["table", "json", "toml"])
def test_no_credential_in_any_format(tmp_path: Path, output: str) -> None:
    shown = show(tmp_path, output)
    leaked = [secret for secret in SECRETS if secret in shown]
    assert leaked == []
    # What is not a credential stays readable.
    for kept in ("db.internal", "sslmode=require", "channel=ops", "trace-kept", "relay.example.com", "user-10"):
        assert kept in shown


def test_json_and_toml_stay_parseable_with_masks(tmp_path: Path) -> None:
    document = json.loads(show(tmp_path, "json"))
    sink = document["settings"]["analytics"]["sinks"][0]
    assert sink["headers"] == {"Authorization": "********", "Cookie": "********", "X-Trace": "trace-kept"}
    assert sink["url"].startswith("https://hooks.example.com/T1?token=********&")
    parsed = tomllib.loads(show(tmp_path, "toml"))
    relay = parsed["development"]["plugins"]["options"]["relay"]
    assert relay["note"] == "send Authorization: Basic ******** with every call"
