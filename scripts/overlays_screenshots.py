"""Grab the README's screenshots of the Overlays tab: the real app in demo mode, both themes.

Usage (from the repository root, after ``scripts/dev install``)::

    xvfb-run -a .venv/bin/python scripts/overlays_screenshots.py [OUT_DIR]

(``QT_QPA_PLATFORM=offscreen`` works too.) Writes ``main-overlays-<theme>.png`` into
OUT_DIR (default ``docs/screenshots``). It runs the same ``CompanionApp`` as
``companion --demo``, opens the Overlays tab with Ctrl+8 as a person would, connects two
WebSocket clients where OBS would connect its browser sources (so "Connected now" has
rows), and grabs the main window with ``QWidget.grab()``.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QApplication


async def _grab(app: QApplication, out_dir: Path) -> None:
    import aiohttp
    from screenshots import start_demo

    from companion.ui.theme import ThemeChoice, apply_theme

    companion, runner = await start_demo(app)
    assert companion.window is not None
    assert companion.panels is not None
    await asyncio.sleep(1.0)
    window = companion.window
    window.resize(1180, 720)
    # Without a window manager nothing focuses the window; a shortcut needs it active.
    window.activateWindow()
    for _ in range(100):
        if window.isActiveWindow():
            break
        await asyncio.sleep(0.02)
    QTest.keyClick(window, Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier)
    overlays = companion.panels.overlays
    port = overlays.port
    async with aiohttp.ClientSession() as session:
        sockets = [
            await session.ws_connect(f"http://127.0.0.1:{port}/overlay/ws?page={page}")
            for page in ("alerts", "goals")
        ]
        panel = companion.panels.pages["overlays"]
        for theme in (ThemeChoice.LIGHT, ThemeChoice.DARK):
            apply_theme(app, theme)
            await asyncio.sleep(0.5)
            path = out_dir / f"main-overlays-{theme.value}.png"
            assert window.tabs.currentWidget() is panel
            window.grab().save(str(path))
            print(path)
        for ws in sockets:
            await ws.close()
    companion.request_quit(0)
    await runner


def main() -> int:
    # The set-up (scratch data folder, QApplication, the app's loop) is screenshots.py's.
    from screenshots import main as run_screenshots

    return run_screenshots(_grab)


if __name__ == "__main__":
    sys.exit(main())
