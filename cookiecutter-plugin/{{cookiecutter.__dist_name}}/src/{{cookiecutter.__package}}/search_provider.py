"""`{{ cookiecutter.__class_prefix }}Search`: full-text search over an in-memory inverted index.

The kernel asks for ids and loads the records itself (through the pipeline,
so policies and masking apply), and falls back to database filters when no
provider is configured. A provider only indexes, searches and removes.

Words are Unicode ``\\w+`` runs, case-folded. Ranking: records matching more
of the query's words first, then more occurrences, then by id.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from prisma_infra_sdk import SearchProvider

__all__ = ["{{ cookiecutter.__class_prefix }}Search"]

_WORD = re.compile(r"\w+")


def words(text: Any) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)] if isinstance(text, str) else []


class {{ cookiecutter.__class_prefix }}Search(SearchProvider):
    """An index per model: ``field -> word -> {id: occurrences}``, plus each record's words for removal."""

    name: ClassVar[str] = "{{ cookiecutter.__hyphenated }}"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._postings: dict[str, dict[str, dict[str, dict[Any, int]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(dict))
        )
        self._records: dict[str, dict[Any, dict[str, Counter[str]]]] = defaultdict(dict)

    async def index(self, model: str, records: Sequence[Mapping[str, Any]]) -> None:
        for record in records:
            record_id = record["id"]
            self._drop(model, record_id)
            fields = {name: Counter(words(value)) for name, value in record.items() if name != "id"}
            self._records[model][record_id] = fields
            for field, counts in fields.items():
                for word, count in counts.items():
                    self._postings[model][field][word][record_id] = count

    def _drop(self, model: str, record_id: Any) -> None:
        old = self._records.get(model, {}).pop(record_id, None)
        for field, counts in (old or {}).items():
            for word in counts:
                self._postings[model][field][word].pop(record_id, None)

    async def remove(self, model: str, ids: Sequence[Any]) -> None:
        for record_id in ids:
            self._drop(model, record_id)

    async def search(self, model: str, query: str, fields: Sequence[str], *, limit: int | None = None) -> list[Any]:
        if model not in self._postings:
            return []
        matched: dict[Any, set[str]] = defaultdict(set)
        occurrences: Counter[Any] = Counter()
        index = self._postings[model]
        for term in set(words(query)):
            for field in fields:
                if field not in index:
                    continue
                for record_id, count in index[field].get(term, {}).items():
                    matched[record_id].add(term)
                    occurrences[record_id] += count
        ranked = sorted(matched, key=lambda i: (-len(matched[i]), -occurrences[i], str(i)))
        return ranked[:limit] if limit is not None else ranked
