"""Prisma Client generation, once per schema, cached by the schema's hash.

The user's schema is rewritten for the bridge: its ``generator`` blocks are
replaced by one ``prisma-client`` generator writing into the cache (with the
user's ``previewFeatures``, `prisma_infra_prisma.preview`), and the
datasource loses ``url``-like properties (Prisma 7 takes the URL from the
driver adapter). The generated TypeScript is bundled by esbuild into one
CommonJS file, which every supported Node (20.19+, 22.12+, 24+) loads without
type stripping. Generation runs offline: ``PRISMA_SCHEMA_ENGINE_BINARY`` keeps
the CLI from downloading the native schema engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from prisma_infra_sdk import ConfigurationError

from prisma_infra_prisma.datasource import read_schema_files
from prisma_infra_prisma.preview import preview_features
from prisma_infra_prisma.toolchain import Toolchain, file_lock, shipped_js

__all__ = ["Datasource", "GeneratedClient", "ensure_client", "parse_datasource", "prepare_schema", "read_schema"]

_BLOCK = re.compile(r"^[ \t]*(generator|datasource)\s+(\w+)\s*\{(.*?)^[ \t]*\}", re.MULTILINE | re.DOTALL)
_PROPERTY = re.compile(r"^[ \t]*(\w+)\s*=\s*(.+?)\s*$", re.MULTILINE)
_URL_KEYS = ("url", "directUrl", "shadowDatabaseUrl")
_DONE = ".generated"


@dataclass(frozen=True)
class Datasource:
    provider: str
    url: str | None
    """The schema's literal URL or the value of its ``env(...)``, if any."""


@dataclass(frozen=True)
class GeneratedClient:
    schema: Path
    """The rewritten schema the client was generated from."""
    client: Path
    """The bundled CommonJS client (``client.cjs``)."""
    provider: str


def read_schema(path: Path) -> str:
    """The schema text; a folder's ``*.prisma`` files are joined in path order."""
    if path.is_dir():
        files = sorted(path.rglob("*.prisma"))
        if not files:
            raise ConfigurationError(f"database.schema_path: no .prisma file in {path}")
        return "\n".join(f.read_text(encoding="utf-8") for f in files)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"database.schema_path: cannot read {path}: {exc.strerror}") from exc


def _value(raw: str) -> str | None:
    raw = raw.strip()
    env = re.fullmatch(r'env\(\s*"([^"]+)"\s*\)', raw)
    if env:
        return os.environ.get(env.group(1))
    literal = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', raw)
    return literal.group(1) if literal else None


def parse_datasource(text: str) -> Datasource:
    for match in _BLOCK.finditer(text):
        if match.group(1) != "datasource":
            continue
        props = {m.group(1): m.group(2) for m in _PROPERTY.finditer(match.group(3))}
        provider = _value(props.get("provider", "")) or ""
        url = _value(props["url"]) if "url" in props else None
        return Datasource(provider=provider, url=url)
    raise ConfigurationError("the Prisma schema has no datasource block")


def prepare_schema(text: str, preview: Sequence[str] = ()) -> str:
    """The schema for the bridge: no generators, no datasource URLs, one ``prisma-client`` generator.

    :param preview: the ``previewFeatures`` of that generator (`preview_features` of the user's).
    """

    def rewrite(match: re.Match[str]) -> str:
        if match.group(1) == "generator":
            return ""
        body = "\n".join(
            line for line in match.group(3).splitlines() if not re.match(rf"\s*({'|'.join(_URL_KEYS)})\s*=", line)
        )
        return f"datasource {match.group(2)} {{{body}\n}}"

    body = _BLOCK.sub(rewrite, text)
    generator = 'generator client {\n  provider     = "prisma-client"\n  output       = "./generated"\n'
    generator += '  moduleFormat = "cjs"\n'
    if preview:
        generator += f"  previewFeatures = {json.dumps(list(preview))}\n"
    generator += "}\n"
    return generator + body


def ensure_client(schema_path: Path, toolchain: Toolchain) -> GeneratedClient:
    """The generated client for ``schema_path``, generating it when the schema changed."""
    text = read_schema(schema_path)
    source = parse_datasource(text)
    provider = "postgresql" if source.provider == "postgres" else source.provider
    prepared = prepare_schema(text, preview_features(read_schema_files(schema_path), provider))
    key = hashlib.sha256(prepared.encode()).hexdigest()[:20]
    folder = toolchain.root / "clients" / key
    result = GeneratedClient(schema=folder / "schema.prisma", client=folder / "client.cjs", provider=source.provider)
    if (folder / _DONE).is_file():
        return result
    with file_lock(folder.parent / f"{key}.lock"):
        if (folder / _DONE).is_file():
            return result
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        result.schema.write_text(prepared, encoding="utf-8")
        cli = toolchain.node_modules / "prisma" / "build" / "index.js"
        toolchain.run(cli, "generate", "--schema", str(result.schema), "--no-hints", timeout=300)
        toolchain.run(shipped_js("bundle.cjs"), str(folder / "generated" / "client.ts"), str(result.client))
        (folder / _DONE).write_text(key)
    return result
