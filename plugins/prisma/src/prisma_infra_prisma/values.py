"""Sentinels for the two kinds of null a Prisma ``Json`` field knows.

A ``Json`` field can hold database ``NULL`` or the JSON value ``null``. Python's
``None`` in ``data`` means database ``NULL`` for optional scalar fields; for a
``Json`` field pass `DbNull` or `JsonNull` explicitly, and `AnyNull` in filters
(``where={"meta": {"equals": AnyNull}}``), exactly as ``Prisma.DbNull``,
``Prisma.JsonNull`` and ``Prisma.AnyNull`` in TypeScript.
"""

from __future__ import annotations

from typing import Final

__all__ = ["AnyNull", "DbNull", "JsonNull", "NullSentinel"]


class NullSentinel:
    """One of Prisma's null markers; compare with ``is``."""

    __slots__ = ("tag",)

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __repr__(self) -> str:
        return self.tag

    def __reduce__(self) -> str:
        return self.tag

    def __bool__(self) -> bool:
        return False


#: The JSON value ``null`` stored in a ``Json`` field (``Prisma.JsonNull``).
JsonNull: Final = NullSentinel("JsonNull")
#: Database ``NULL`` in a ``Json`` field (``Prisma.DbNull``).
DbNull: Final = NullSentinel("DbNull")
#: Either null, in filters only (``Prisma.AnyNull``).
AnyNull: Final = NullSentinel("AnyNull")
