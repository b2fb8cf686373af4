"""`Section`: the base of every settings section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Section"]


class Section(BaseModel):
    """Base of every settings section: strict keys, immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)
