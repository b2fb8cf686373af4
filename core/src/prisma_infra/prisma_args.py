"""Moved to `prisma_infra.data.prisma_args` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.prisma_args import (
    after_where,
    and_where,
    build_args,
    distinct,
    flags,
    key_of,
    keys_where,
    merge,
    order_by,
    selection,
)

__all__ = [
    "after_where",
    "and_where",
    "build_args",
    "distinct",
    "flags",
    "key_of",
    "keys_where",
    "merge",
    "order_by",
    "selection",
]
