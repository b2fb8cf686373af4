"""Deprecated: the per-model cache settings moved to `prisma_infra.cache.rules`.

``ModelPolicy`` is now `ModelCacheRules` and ``Plan`` is `CachePlan` ("policy" and
"plan" name access control elsewhere). The old names stay importable for one release.
"""

from __future__ import annotations

import warnings
from typing import Any

from prisma_infra.cache.rules import RAW_MODEL, CachePlan, ModelCacheRules, Tier

__all__ = ["RAW_MODEL", "Tier"]  # and, deprecated, ModelPolicy and Plan (module __getattr__)

_RENAMED = {"ModelPolicy": ModelCacheRules, "Plan": CachePlan}


def __getattr__(name: str) -> Any:
    found = _RENAMED.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"prisma_infra.cache.policy.{name} is deprecated: use prisma_infra.cache.rules.{found.__name__}",
        DeprecationWarning,
        stacklevel=2,
    )
    return found
