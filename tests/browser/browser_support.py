"""The browser tests' Chromium: Debian's chromium, headless, driven by Playwright, a fresh profile each time.

``async with chromium_page(tmp_path, errors) as page:`` opens a page (``context``: more options of
Playwright's persistent context, e.g. ``extra_http_headers``); every console error and uncaught page
error is appended to ``errors`` (a test asserts it empty at the end). Screenshots go to `ARTIFACTS`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.asynccontextmanager
async def chromium_page(folder: Path, errors: list[str], **context: Any) -> AsyncIterator[Any]:
    """A new page of a headless Chromium whose profile is ``folder/chromium-profile``; closed on exit."""
    from playwright.async_api import async_playwright

    assert await asyncio.to_thread(CHROMIUM.exists), "Debian's chromium is missing: run scripts/services.sh"
    async with async_playwright() as playwright:
        # A fresh profile (Playwright's way of passing --user-data-dir).
        browser = await playwright.chromium.launch_persistent_context(
            str(folder / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
            **context,
        )
        try:
            page = await browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page
        finally:
            await browser.close()
