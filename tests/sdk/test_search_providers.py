"""The search-provider kit. No search provider ships in the tree yet: the kit runs over a reference
implementation here (and over the template's generated one in tests/template), and `test_coverage.py`
fails as soon as a provider is registered without a kit run of its own."""

from __future__ import annotations

import pytest
from prisma_infra.providers import SearchProvider
from prisma_infra_sdk.testing import SearchProviderContract

from tests.sdk.reference import InvertedIndexSearch


class TestReferenceSearch(SearchProviderContract):
    @pytest.fixture
    def provider(self) -> SearchProvider:
        return InvertedIndexSearch({})


COVERED: dict[str, type] = {}
