"""What every contract kit shares: the pytest-asyncio mark and the "define this fixture" failure."""

from __future__ import annotations

from typing import NoReturn

import pytest

__all__ = ["ContractBase", "missing_fixture"]


def missing_fixture(test: object, kit: str, name: str, what: str) -> NoReturn:
    """Fail (never skip) when a test class forgot to provide a fixture the kit needs."""
    pytest.fail(
        f"{type(test).__name__} runs {kit}, which needs a `{name}` fixture: "
        f"define `@pytest.fixture def {name}(self)` on the class returning {what}.",
        pytrace=False,
    )


class ContractBase:
    """Base of the kits: subclass one in a ``Test*`` class and provide its fixtures.

    The class-level ``asyncio`` mark makes the kit's async tests run under
    pytest-asyncio in both ``strict`` and ``auto`` mode.
    """

    pytestmark = [pytest.mark.asyncio]
