"""End to end in a real browser: simulator -> EventSub -> the app's services -> hub ->
the app's overlay server -> Debian's chromium (headless, Playwright) shows the alert.

The app side is the real stack of tests/helpers/overlay_stack.py on this test's qasync
loop; chromium runs on the browser tests' own loop thread (tests/browser/harness.py).
Every call into the browser is awaited, never waited on: the page it loads is served
by this very loop, so blocking it would deadlock.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tests.browser.conftest import browser_session  # noqa: F401 - the shared chromium
from tests.helpers.overlay_stack import OverlayStack, until

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from tests.browser.harness import BrowserSession

T = TypeVar("T")

pytestmark = pytest.mark.qt_loop

HOSTILE = "<img src=x onerror=alert(1)>"


async def _in_browser(session: BrowserSession, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the browser's loop thread and await it without blocking ours."""
    future = asyncio.run_coroutine_threadsafe(coro, session.loop.loop)
    async with asyncio.timeout(20):
        return await asyncio.wrap_future(future)


async def test_a_redemption_made_in_the_simulator_shows_in_chromium(
    browser_session: BrowserSession,  # noqa: F811 - the fixture imported above
    qapp: Any,
) -> None:
    stack = OverlayStack()
    dialogs: list[str] = []
    errors: list[str] = []
    context = None
    try:
        await stack.start()
        # The URL exactly as the streamer copies it from the Overlays tab.
        stack.panel.select_page("alerts")
        url = stack.panel.url_edit.text()
        assert url == f"http://127.0.0.1:{stack.service.port}/overlay/alerts"

        async def open_page() -> Any:
            context = await browser_session.browser.new_context(
                viewport={"width": 800, "height": 360}
            )
            page = await context.new_page()

            async def on_dialog(dialog: Any) -> None:
                dialogs.append(dialog.message)
                await dialog.dismiss()

            page.on("dialog", on_dialog)
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(url)
            await page.wait_for_function("() => window.__overlay && window.__overlay.connected")
            return context, page

        context, page = await _in_browser(browser_session, open_page())
        # The panel lists the browser as connected, live from the hub.
        sources = stack.panel.sources_model
        await until(lambda: sources.rowCount() == 1)
        assert sources.index(0, 0).data() == "Redemption alerts"

        stack.redeem("Song request", "ana_plays", HOSTILE)
        await _in_browser(
            browser_session,
            page.wait_for_function("() => document.querySelectorAll('.alert').length === 1"),
        )
        title = await _in_browser(browser_session, page.text_content(".alert-title"))
        shown_input = await _in_browser(browser_session, page.text_content(".alert-input"))
        assert title == "AnaPlays redeemed Song request"
        # Viewer text is text: shown as typed, and nothing ran.
        assert shown_input == HOSTILE
        images = await _in_browser(
            browser_session, page.evaluate("() => document.querySelectorAll('img').length")
        )
        assert images == 0
        assert dialogs == []
        assert errors == []
        # Closing the browser source drops it from the panel's list.
        closing, context = context, None
        await _in_browser(browser_session, closing.close())
        await until(lambda: sources.rowCount() == 0)
    finally:
        if context is not None:
            await _in_browser(browser_session, context.close())
        await stack.stop()
