"""The search-provider contract: index, search, remove — ids back, best first.

A search provider indexes records of a model (dicts with an ``id`` and text
fields) and answers a text query with the ids of matching records; the
repository loads the records. Matching is by words, case-insensitively, only
in the fields asked for; models are separate indexes; indexing a record again
replaces it; removing ids that are not indexed is harmless.

Usage::

    class TestMySearch(SearchProviderContract):
        @pytest.fixture
        def provider(self):
            return MySearch({})  # empty index; the kit closes it
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from prisma_infra.providers import SearchProvider

from prisma_infra_sdk.testing.contracts._base import ContractBase, missing_fixture

__all__ = ["DOCUMENTS", "SearchProviderContract"]

#: Records of a ``Post``-like model.
DOCUMENTS: tuple[dict[str, Any], ...] = (
    {"id": 1, "title": "Postgres tuning guide", "body": "Vacuum, indexes and the planner.", "tag": "db"},
    {
        "id": 2,
        "title": "Redis caching patterns",
        "body": "Cache aside, write through; postgres as the source.",
        "tag": "cache",
    },
    {"id": 3, "title": "Gardening", "body": "Tomatoes need sun and water.", "tag": "postgres"},
    {"id": 4, "title": "POSTGRES internals, postgres pages, postgres WAL", "body": "Postgres everywhere.", "tag": "db"},
    {"id": 5, "title": "Café crème", "body": "Ünïcødé wörds déjà vu", "tag": "misc"},
)


class SearchProviderContract(ContractBase):
    """The search-provider kit. Provide ``provider``: a fresh `SearchProvider` with an empty index."""

    @pytest.fixture
    def provider(self) -> SearchProvider:
        missing_fixture(self, "SearchProviderContract", "provider", "a fresh SearchProvider with an empty index")

    @pytest.fixture
    def model(self) -> str:
        """A model name unique to the test, so a shared backend sees no leftovers."""
        return f"Post{uuid.uuid4().hex[:8]}"

    @pytest_asyncio.fixture
    async def search(self, provider: SearchProvider) -> AsyncIterator[SearchProvider]:
        assert isinstance(provider, SearchProvider), f"`provider` must be a SearchProvider, got {provider!r}"
        try:
            yield provider
        finally:
            await provider.close()

    @staticmethod
    async def _indexed(search: SearchProvider, model: str) -> SearchProvider:
        await search.index(model, [dict(d) for d in DOCUMENTS])
        return search

    async def test_is_a_search_provider_with_a_name(self, provider: SearchProvider) -> None:
        assert isinstance(provider, SearchProvider)
        assert isinstance(type(provider).name, str) and type(provider).name, "set the class attribute `name`"

    async def test_finds_by_word_in_the_given_fields(self, search: SearchProvider, model: str) -> None:
        await self._indexed(search, model)
        found = await search.search(model, "postgres", ["title", "body"])
        assert set(found) == {1, 2, 4}, f"'postgres' is in the title or body of 1, 2 and 4, got {found!r}"
        assert await search.search(model, "postgres", ["title"]) in ([1, 4], [4, 1]), "only the fields asked for"
        assert await search.search(model, "tomatoes", ["title"]) == [], "body words must not match a title search"

    async def test_is_case_insensitive_and_handles_unicode(self, search: SearchProvider, model: str) -> None:
        await self._indexed(search, model)
        assert set(await search.search(model, "PoStGrEs", ["title"])) == {1, 4}
        assert await search.search(model, "café", ["title"]) == [5]
        assert await search.search(model, "WÖRDS", ["body"]) == [5]

    async def test_best_first(self, search: SearchProvider, model: str) -> None:
        await self._indexed(search, model)
        found = await search.search(model, "postgres", ["title", "body"])
        assert found and found[0] == 4, f"the record that is all about 'postgres' must come first, got {found!r}"
        both = await search.search(model, "redis caching", ["title", "body"])
        assert both and both[0] == 2, f"a record matching every word must come first, got {both!r}"

    async def test_limit(self, search: SearchProvider, model: str) -> None:
        await self._indexed(search, model)
        found = await search.search(model, "postgres", ["title", "body"], limit=2)
        assert len(found) == 2 and found[0] == 4, f"limit=2 keeps the two best, got {found!r}"
        assert await search.search(model, "postgres", ["title", "body"], limit=None) != []

    async def test_no_match_is_empty(self, search: SearchProvider, model: str) -> None:
        await self._indexed(search, model)
        assert await search.search(model, "kubernetes", ["title", "body"]) == []
        assert await search.search(f"{model}Other", "postgres", ["title", "body"]) == [], "an unknown model is empty"

    async def test_reindex_replaces(self, search: SearchProvider, model: str) -> None:
        await self._indexed(search, model)
        await search.index(model, [{"id": 3, "title": "Postgres for gardeners", "body": "", "tag": ""}])
        assert 3 in await search.search(model, "postgres", ["title"]), "the new text is searchable"
        assert await search.search(model, "gardening", ["title"]) == [], "the old text is gone after re-indexing"

    async def test_remove(self, search: SearchProvider, model: str) -> None:
        await self._indexed(search, model)
        await search.remove(model, [4, 999])
        await search.remove(model, [])
        found = await search.search(model, "postgres", ["title", "body"])
        assert 4 not in found and set(found) == {1, 2}, f"removed ids never come back, got {found!r}"

    async def test_models_are_separate(self, search: SearchProvider, model: str) -> None:
        other = f"{model}Other"
        await self._indexed(search, model)
        await search.index(other, [{"id": 1, "title": "Unrelated", "body": "nothing here"}])
        assert await search.search(other, "postgres", ["title", "body"]) == []
        assert 1 in await search.search(model, "postgres", ["title", "body"]), "re-using an id in another model"
        await search.remove(other, [1])
        assert 1 in await search.search(model, "postgres", ["title", "body"]), "removing from another model"

    async def test_string_ids_and_missing_fields(self, search: SearchProvider, model: str) -> None:
        await search.index(model, [{"id": "a1", "title": "Hello world"}, {"id": "b2", "title": None}, {"id": "c3"}])
        assert await search.search(model, "hello", ["title", "body"]) == ["a1"]

    async def test_concurrent_indexing(self, search: SearchProvider, model: str) -> None:
        await asyncio.gather(
            *(search.index(model, [{"id": i, "title": f"item {i} shared", "body": ""}]) for i in range(50))
        )
        assert sorted(await search.search(model, "shared", ["title"])) == list(range(50))

    async def test_close_is_idempotent(self, provider: SearchProvider) -> None:
        await provider.close()
        await provider.close()
