"""The Prisma datamodel (models, fields, ids, uniques, defaults, relations, enums) from a schema.

Read by ``@prisma/prisma-schema-wasm``'s ``get_datamodel`` in a Node child
(~15 ms of wasm, plus Node start-up), cached on disk by the SHA-256 of the
schema sources and the wasm version, so repeated start-ups cost a file read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from prisma_infra_sdk import ConfigurationError

from prisma_infra_prisma.datasource import ScriptFailure, call_script, read_schema_files, sanitize_schema

__all__ = ["load_datamodel", "load_dmmf"]

#: Part of the cache key: a new wasm may shape the datamodel differently.
_WASM_VERSION = "7.10.0-4.0edf323efd1d98336f3f0a68684b56f689b900d3"


def _files(schema: Path | str) -> list[list[str]]:
    if isinstance(schema, str) and "\n" not in schema and "{" not in schema:
        schema = Path(schema)  # a path given as text
    if isinstance(schema, Path):
        return [[str(path), sanitize_schema(text)] for path, text in read_schema_files(schema)]
    return [["schema.prisma", sanitize_schema(schema)]]


def _cache_root() -> Path:
    from prisma_infra_prisma.toolchain import cache_dir

    return cache_dir() / "datamodel"


def _cached_call(op: str, files: list[list[str]], *, cache: bool) -> dict[str, Any]:
    # File paths are part of the key only through their sources' content: the
    # datamodel does not depend on where the schema lives.
    digest = hashlib.sha256(json.dumps([op, _WASM_VERSION, [s for _, s in files]]).encode()).hexdigest()
    target = _cache_root() / f"{op}-{digest}.json"
    if cache and target.is_file():
        try:
            loaded: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
            return loaded
        except ValueError:
            pass  # a torn write from a crashed run: recompute
    try:
        result: dict[str, Any] = call_script("dmmf.mjs", {"op": op, "files": files})
    except ScriptFailure as exc:
        names = ", ".join(path for path, _ in files)
        raise ConfigurationError(
            f"The Prisma schema {names} is invalid.", problems=[exc.message], detail=exc.message
        ) from exc
    if cache:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(result, out)
            os.replace(tmp, target)
        except OSError:
            pass  # a read-only cache only costs speed
    return result


def load_datamodel(schema: Path | str, *, cache: bool = True) -> dict[str, Any]:
    """The datamodel of a schema: ``{"models": [...], "enums": [...], "types": [...], "indexes": [...]}``.

    :param schema: a schema file or folder (`Path`, or a one-line `str` path), or schema text.
    :param cache: reuse the on-disk result for identical sources.
    :raises ConfigurationError: the schema is invalid (Prisma's message, colours removed, in ``problems``).
    """
    return _cached_call("datamodel", _files(schema), cache=cache)


def load_dmmf(schema: Path | str, *, cache: bool = True) -> dict[str, Any]:
    """Prisma's full DMMF (datamodel, schema, mappings; ~250 KB for a small schema)."""
    return _cached_call("dmmf", _files(schema), cache=cache)
