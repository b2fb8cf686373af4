"""The SDK's middleware contract: nesting order, error flow, no mutation of the caller's arguments."""

import pytest
from prisma_infra_sdk.testing import MiddlewareContract

from {{ cookiecutter.__package }} import plugin


class Test{{ cookiecutter.__class_prefix }}Middleware(MiddlewareContract):
    middleware_name = "{{ cookiecutter.__hyphenated }}"

    @pytest.fixture
    def plugin(self) -> object:
        return plugin
