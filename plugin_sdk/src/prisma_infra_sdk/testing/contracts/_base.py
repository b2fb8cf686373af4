"""What every contract kit shares: the pytest-asyncio mark and the "define this fixture" failure."""

from __future__ import annotations

from typing import Any, NoReturn

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

    Every kit test is ``async``. A ``Test*`` subclass gets the ``asyncio`` mark
    (so the kit runs under pytest-asyncio in ``strict`` mode as in ``auto``)
    unless it sets its own, e.g. ``pytestmark = pytest.mark.asyncio(loop_scope="module")``
    to share a module-scoped backend across the class. The mark is added to the
    test class, not to the kit, because pytest reads class marks base-first and
    the first ``asyncio`` mark decides the event loop.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("pytestmark", [])
        own = list(own) if isinstance(own, list | tuple) else [own]
        if cls.__name__.startswith("Test") and not any(getattr(m, "name", None) == "asyncio" for m in own):
            cls.pytestmark = [*own, pytest.mark.asyncio]  # type: ignore[attr-defined]
