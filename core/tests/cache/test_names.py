"""The per-model cache settings' old names (``policy`` meant access control elsewhere) still import."""

from __future__ import annotations

import pytest
from prisma_infra.cache import rules


def test_old_names_import_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match="rules.ModelCacheRules"):
        from prisma_infra.cache.policy import ModelPolicy
    with pytest.warns(DeprecationWarning, match="rules.CachePlan"):
        from prisma_infra.cache.policy import Plan
    assert ModelPolicy is rules.ModelCacheRules and Plan is rules.CachePlan


def test_unknown_names_still_fail() -> None:
    with pytest.raises(ImportError):
        from prisma_infra.cache.policy import Policy  # type: ignore[attr-defined]  # noqa: F401
