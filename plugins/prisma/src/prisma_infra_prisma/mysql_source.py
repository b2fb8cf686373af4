"""What the MySQL tables need from the schema text and the DMMF does not carry.

The DMMF leaves out ``Unsupported("...")`` fields (their columns must still
exist, or a push would drop them) and ``@relation(map: ...)`` names; both are
read here from the model blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["SourceModel", "read_models"]

_MODEL = re.compile(r"^\s*model\s+(\w+)\s*\{(.*?)^\s*\}", re.MULTILINE | re.DOTALL)
_FIELD = re.compile(r"^\s*(\w+)\s+(\w+)(\([^)]*\))?(\?|\[\])?(.*)$")
_UNSUPPORTED = re.compile(r'^\s*(\w+)\s+Unsupported\(\s*"((?:[^"\\]|\\.)*)"\s*\)(\?)?(.*)$')
_RELATION = re.compile(r"@relation\(([^)]*)\)")
_MAP_ARG = re.compile(r'\bmap\s*:\s*"([^"]+)"')
_FIELD_MAP = re.compile(r'@map\(\s*"([^"]+)"\s*\)')
_DBGENERATED = re.compile(r'@default\(\s*dbgenerated\(\s*"((?:[^"\\]|\\.)*)"\s*\)\s*\)')


@dataclass(frozen=True)
class Unsupported:
    field: str
    column: str
    type: str
    nullable: bool
    default: str | None


@dataclass
class SourceModel:
    fields: list[str] = field(default_factory=list)
    """Every field name in schema order."""
    unsupported: dict[str, Unsupported] = field(default_factory=dict)
    relation_maps: dict[str, str] = field(default_factory=dict)
    """``@relation(map: ...)`` by relation field."""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def read_models(sources: Iterable[str]) -> dict[str, SourceModel]:
    """The model blocks of the schema files, by model name."""
    models: dict[str, SourceModel] = {}
    for source in sources:
        for block in _MODEL.finditer(source):
            model = models.setdefault(block.group(1), SourceModel())
            for line in block.group(2).splitlines():
                line = line.split("//", 1)[0] if '"' not in line else line
                unsupported = _UNSUPPORTED.match(line)
                if unsupported:
                    name, rest = unsupported.group(1), unsupported.group(4)
                    mapped, default = _FIELD_MAP.search(rest), _DBGENERATED.search(rest)
                    model.fields.append(name)
                    model.unsupported[name] = Unsupported(
                        field=name,
                        column=mapped.group(1) if mapped else name,
                        type=_unescape(unsupported.group(2)),
                        nullable=bool(unsupported.group(3)),
                        default=_unescape(default.group(1)) if default else None,
                    )
                    continue
                found = _FIELD.match(line)
                if not found:
                    continue
                model.fields.append(found.group(1))
                relation = _RELATION.search(found.group(5))
                name = _MAP_ARG.search(relation.group(1)) if relation else None
                if name:
                    model.relation_maps[found.group(1)] = name.group(1)
    return models
