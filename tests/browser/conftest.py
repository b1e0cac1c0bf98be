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
        errors = [(p.page_errors, p.dialogs) for p in env.pages if p.page_errors or p.dialogs]
        env.close()
    assert errors == [], "a page raised an error or opened a dialog"
