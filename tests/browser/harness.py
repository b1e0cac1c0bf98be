"""A real browser (Debian's chromium, driven by Playwright) and overlay servers, on one thread.

The project's async tests run on pytest-asyncio's loops (some on qasync), and
Playwright's sync API keeps its own loop "running" in the main thread between calls,
which breaks every later ``asyncio.run``. So everything async here lives on one
background thread with its own asyncio loop: Playwright's async API, the browser, and
each test's :class:`OverlayServer`. Tests are plain sync functions that hand coroutines
to :meth:`LoopThread.run`.

Playwright never downloads a browser here (``playwright install`` is never run): it
launches ``/usr/bin/chromium`` from apt. Each launch gets Playwright's own fresh,
temporary user-data-dir; nothing from a real profile is read. Seen to work: Playwright
1.65 with Debian 12's chromium 156.

Under the pages' Content-Security-Policy (no ``unsafe-eval``) ``wait_for_function`` needs
a function (``"() => expr"``): a bare expression string is run through ``eval`` and
refused. ``evaluate`` is not affected.
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from companion.overlay.hub import OverlayHub
from companion.overlay.server import OverlayServer

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Mapping
    from pathlib import Path

    from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright

T = TypeVar("T")

CHROMIUM = os.environ.get("COMPANION_TEST_CHROMIUM", "/usr/bin/chromium")
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
# The size of a typical OBS browser source for these pages.
VIEWPORT = {"width": 800, "height": 360}


class LoopThread:
    """An asyncio loop running for ever on a daemon thread, fed coroutines from tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="browser-tests-loop", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``coro`` on the loop and wait for its result (bounded)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call a plain function on the loop's thread (hub methods live there)."""

        async def call() -> T:
            return fn(*args)

        return self.run(call())

    def close(self) -> None:
        async def cancel_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@dataclass
class BrowserSession:
    """Playwright and one headless chromium, shared by every browser test."""

    loop: LoopThread
    playwright: Playwright
    browser: Browser

    @classmethod
    def launch(cls, loop: LoopThread) -> BrowserSession:
        async def launch() -> tuple[Playwright, Browser]:
            from playwright.async_api import async_playwright

            playwright = await async_playwright().start()
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            return playwright, browser

        playwright, browser = loop.run(launch(), timeout=60)
        return cls(loop, playwright, browser)

    def open_url(
        self,
        url: str,
        *,
        viewport: Mapping[str, int] | None = None,
        bypass_csp: bool = False,
    ) -> OverlayPage:
        """Open an overlay page's URL in a fresh context; wait until its socket is open.

        Any overlay server will do (the end-to-end tests pass the app's own). Close the
        returned page's ``context`` when done (``self.loop.run(opened.context.close())``).
        """
        size = dict(viewport or VIEWPORT)

        async def open_page() -> OverlayPage:
            context = await self.browser.new_context(
                viewport=size,  # type: ignore[arg-type]
                bypass_csp=bypass_csp,
            )
            opened = OverlayPage(await context.new_page(), context)

            def on_console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    opened.console_errors.append(message.text)

            opened.page.on("console", on_console)
            opened.page.on("pageerror", lambda error: opened.page_errors.append(str(error)))

            async def on_dialog(dialog: Any) -> None:
                opened.dialogs.append(f"{dialog.type}: {dialog.message}")
                await dialog.dismiss()

            opened.page.on("dialog", on_dialog)
            opened.page.on("request", lambda request: opened.requests.append(request.url))
            await opened.page.goto(url)
            await opened.page.wait_for_function(
                "() => window.__overlay && window.__overlay.connected"
            )
            return opened

        return self.loop.run(open_page())

    def close(self) -> None:
        async def close() -> None:
            await self.browser.close()
            await self.playwright.stop()

        self.loop.run(close())


@dataclass
class OverlayPage:
    """One open overlay page, with what it said on its console and any dialog it opened."""

    page: Page
    context: BrowserContext
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


class OverlayEnv:
    """A hub and a server on the loop thread, and pages opened on them in chromium."""

    def __init__(self, session: BrowserSession, css_path: Path) -> None:
        self.session = session
        self.loop = session.loop
        self.hub = OverlayHub()
        self.server = OverlayServer(self.hub, port=0, css_path=css_path)
        self.loop.run(self.server.start())
        self.port = self.server.port
        self.pages: list[OverlayPage] = []

    def hub_do(self, fn: Callable[[OverlayHub], T]) -> T:
        """Run ``fn(hub)`` on the loop's thread, as the app's service would."""
        return self.loop.call(fn, self.hub)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return self.loop.run(coro, timeout)

    def open(
        self,
        page: str,
        options: Mapping[str, str] | None = None,
        *,
        viewport: Mapping[str, int] | None = None,
        bypass_csp: bool = False,
    ) -> OverlayPage:
        """Open a page as OBS would, and wait until its socket is connected.

        ``bypass_csp`` only for the README screenshots, which paint a checkerboard
        behind the page with an injected style sheet.
        """
        opened = self.session.open_url(
            self.server.page_url(page, options), viewport=viewport, bypass_csp=bypass_csp
        )
        self.pages.append(opened)
        return opened

    def restart_server(self) -> None:
        """A new server on the same port and hub (the app restarting its overlays)."""
        self.server = OverlayServer(self.hub, port=self.port, css_path=self.server.css_path)
        self.run(self.server.start())

    def close(self) -> None:
        async def close() -> None:
            for opened in self.pages:
                await opened.context.close()
            await self.server.stop()

        self.run(close())


@dataclass(frozen=True)
class Pixels:
    """A screenshot's pixels (PNG decoded by Qt, which the project ships anyway)."""

    width: int
    height: int
    argb: list[int]

    @classmethod
    def from_png(cls, data: bytes) -> Pixels:
        from PySide6.QtGui import QImage

        image = QImage.fromData(data, "PNG").convertToFormat(QImage.Format.Format_ARGB32)
        assert not image.isNull(), "screenshot is not a PNG"
        width, height = image.width(), image.height()
        # One 32-bit ARGB value per pixel; rows are width * 4 bytes long (no padding).
        raw = bytes(image.constBits())[: width * height * 4]
        return cls(width, height, list(memoryview(raw).cast("I")))

    def count(self, rgb: str, tolerance: int = 0) -> int:
        """Pixels within ``tolerance`` per channel of the colour ``#rrggbb``."""
        red, green, blue = (int(rgb[i : i + 2], 16) for i in (1, 3, 5))
        return sum(1 for value in self.argb if _close(value, red, green, blue, tolerance))

    def row_fraction(self, rgb: str, row: int | None = None, tolerance: int = 0) -> float:
        """The share of one row (the middle one by default) in the colour ``#rrggbb``."""
        red, green, blue = (int(rgb[i : i + 2], 16) for i in (1, 3, 5))
        y = self.height // 2 if row is None else row
        line = self.argb[y * self.width : (y + 1) * self.width]
        return sum(1 for value in line if _close(value, red, green, blue, tolerance)) / self.width


def _close(value: int, red: int, green: int, blue: int, tolerance: int) -> bool:
    return (
        abs(((value >> 16) & 0xFF) - red) <= tolerance
        and abs(((value >> 8) & 0xFF) - green) <= tolerance
        and abs((value & 0xFF) - blue) <= tolerance
    )
