"""Small correct implementations for the kinds the tree has none of yet (search), to prove the kits pass."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from prisma_infra.providers import SearchProvider

_WORD = re.compile(r"\w+")


def words(text: Any) -> list[str]:
    return [w.casefold() for w in _WORD.findall(str(text))] if text is not None else []


class InvertedIndexSearch(SearchProvider):
    """model -> id -> field -> word counts; scored by matched query words, then occurrences."""

    name: ClassVar[str] = "reference-search"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.docs: dict[str, dict[Any, dict[str, Counter[str]]]] = defaultdict(dict)

    async def index(self, model: str, records: Sequence[Mapping[str, Any]]) -> None:
        for record in records:
            self.docs[model][record["id"]] = {
                k: Counter(words(v)) for k, v in record.items() if k != "id" and isinstance(v, str)
            }

    async def remove(self, model: str, ids: Sequence[Any]) -> None:
        for record_id in ids:
            self.docs[model].pop(record_id, None)

    async def search(self, model: str, query: str, fields: Sequence[str], *, limit: int | None = None) -> list[Any]:
        terms = set(words(query))
        scored = []
        for record_id, doc in self.docs.get(model, {}).items():
            counts: Counter[str] = Counter()
            for field in fields:
                counts.update(doc.get(field, Counter()))
            matched = [t for t in terms if counts[t]]
            if matched:
                scored.append((-len(matched), -sum(counts[t] for t in matched), str(record_id), record_id))
        scored.sort()
        ids = [item[3] for item in scored]
        return ids[:limit] if limit is not None else ids
