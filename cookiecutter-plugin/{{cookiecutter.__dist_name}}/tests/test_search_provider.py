"""The SDK's search-provider contract: index, search, remove; ids back, best first."""

import pytest
from prisma_infra_sdk.testing import SearchProviderContract

from {{ cookiecutter.__package }}.search_provider import {{ cookiecutter.__class_prefix }}Search


class Test{{ cookiecutter.__class_prefix }}Search(SearchProviderContract):
    @pytest.fixture
    def provider(self) -> {{ cookiecutter.__class_prefix }}Search:
        return {{ cookiecutter.__class_prefix }}Search({})
