"""The SDK's cache-store contract: the same suite prisma-infra's own stores pass."""

import pytest
from prisma_infra_sdk.testing import CacheStoreContract

from {{ cookiecutter.__package }}.cache_store import {{ cookiecutter.__class_prefix }}Store


class Test{{ cookiecutter.__class_prefix }}Store(CacheStoreContract):
    @pytest.fixture
    def store(self) -> {{ cookiecutter.__class_prefix }}Store:
        return {{ cookiecutter.__class_prefix }}Store({})  # fresh and not started: the kit starts and closes it


async def test_oldest_entries_go_first_beyond_max_entries() -> None:
    store = {{ cookiecutter.__class_prefix }}Store({"max_entries": 2})
    await store.set_many({"a": b"1", "b": b"2", "c": b"3"}, None)
    assert await store.get_many(["a", "b", "c"]) == [None, b"2", b"3"]
