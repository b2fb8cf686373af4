"""Moved to `prisma_infra.data.pagination` (data access is one package); this path keeps old imports working."""

from prisma_infra.data.pagination import CursorPage, Page, Runner, cursor_page, offset_page, parse_cursor, parse_offset

__all__ = ["CursorPage", "Page", "Runner", "cursor_page", "offset_page", "parse_cursor", "parse_offset"]
