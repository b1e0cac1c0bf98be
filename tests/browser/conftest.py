"""Browser tests: one chromium for the session, a fresh overlay server and pages per test.

See harness.py for why everything async runs on one background loop thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.harness import BrowserSession, LoopThread, OverlayEnv

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def browser_session() -> Iterator[BrowserSession]:
    loop = LoopThread()
    try:
        session = BrowserSession.launch(loop)
        try:
            yield session
        finally:
            session.close()
    finally:
        loop.close()


@pytest.fixture
def overlay(browser_session: BrowserSession, scratch_data_dir: Path) -> Iterator[OverlayEnv]:
    """A hub and server of this test; pages it opens report script errors as failures."""
    env = OverlayEnv(browser_session, scratch_data_dir / "overlays.css")
    try:
        yield env
    finally:
        # The pages fetch nothing from anywhere but the overlay server itself.
        origins = (f"http://127.0.0.1:{env.port}/", f"ws://127.0.0.1:{env.port}/", "data:")
        foreign = [url for p in env.pages for url in p.requests if not url.startswith(origins)]
        errors = [
            (opened.page_errors, opened.dialogs, _unexpected(opened.console_errors))
            for opened in env.pages
            if opened.page_errors or opened.dialogs or _unexpected(opened.console_errors)
        ]
        env.close()
    assert errors == [], "a page raised an error, opened a dialog or logged an error"
    assert foreign == [], "a page fetched something from elsewhere"


def _unexpected(console_errors: list[str]) -> list[str]:
    # A page whose server is away (the restart test) logs its failed reconnects; any
    # other console error (a CSP violation, a missing file) is a defect.
    return [text for text in console_errors if not text.startswith("WebSocket connection to")]
