"""The user's ``previewFeatures``, carried into the client generated for the bridge; views marked.

Generation replaces the user's ``generator`` blocks with one of its own; without
this, every preview feature would be off (and a schema with ``view`` blocks would
not even parse). Prisma takes the features of every generator together, and so do
we. Renamed features are mapped to their Prisma 7 name; a feature Prisma 7 no
longer has is a `ConfigurationError` naming the schema file and line. Anything
else goes to Prisma as written (it accepts features that became generally
available, and names unknown ones itself).

Prisma's datamodel lists a ``view`` among the models with nothing to tell it
apart; `mark_views` adds ``"isView": true`` from the schema sources, which the
kernel's `Schema` reads (views are read-only there).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from prisma_infra_sdk import ConfigurationError

__all__ = ["mark_views", "preview_features"]

_GENERATOR = re.compile(r"^[ \t]*generator\s+\w+\s*\{(?P<body>.*?)^[ \t]*\}", re.MULTILINE | re.DOTALL)
_VIEW = re.compile(r"^[ \t]*view\s+(\w+)\s*\{", re.MULTILINE)
_FEATURES = re.compile(r"^[ \t]*previewFeatures\s*=\s*(?P<list>\[[^\]]*\])", re.MULTILINE)

#: Old name → Prisma 7 name per provider (``None``: generally available there, nothing to turn on).
RENAMED: dict[str, dict[str, str | None]] = {
    "fullTextSearch": {"postgresql": "fullTextSearchPostgres", "mysql": None, "sqlite": None},
}
#: Features Prisma 7 rejects, with what to do instead.
REMOVED: dict[str, str] = {
    "metrics": "Prisma 7 removed the metrics API; use prisma-infra's monitoring (docs/monitoring.md)",
    "planetScaleMode": 'replaced by `relationMode = "prisma"` in the datasource block',
    "insensitiveFilters": "generally available: `mode: insensitive` needs no preview feature",
}


def _names(raw: str, where: str) -> list[str]:
    try:
        names = json.loads(raw)
    except ValueError:
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigurationError(
            f"{where}: previewFeatures must be a list of strings", problems=[f"{where}: previewFeatures"]
        )
    return names


def preview_features(files: Sequence[tuple[Path | str, str]], provider: str) -> list[str]:
    """The preview features of every generator in ``files`` (path, text), as Prisma 7 names them.

    :raises ConfigurationError: a feature Prisma 7 removed, naming the file and line and the way out.
    """
    found: list[str] = []
    for path, text in files:
        for block in _GENERATOR.finditer(text):
            for listed in _FEATURES.finditer(block.group("body")):
                line = text.count("\n", 0, block.start("body") + listed.start("list")) + 1
                where = f"{path}:{line}"
                for name in _names(listed.group("list"), where):
                    if name in REMOVED:
                        message = f'{where}: the preview feature "{name}" does not exist in Prisma 7 ({REMOVED[name]})'
                        raise ConfigurationError(message, problems=[message])
                    mapped = RENAMED[name].get(provider, name) if name in RENAMED else name
                    if mapped is not None and mapped not in found:
                        found.append(mapped)
    return found


def mark_views(datamodel: Mapping[str, Any], sources: Iterable[str]) -> dict[str, Any]:
    """A copy of ``datamodel`` whose models declared with ``view`` have ``"isView": true``."""
    views = {name for text in sources for name in _VIEW.findall(text)}
    models = [{**m, "isView": True} if m.get("name") in views else m for m in datamodel.get("models", ())]
    return {**datamodel, "models": models}
