"""Grab the README's screenshots: the real app in demo mode, every tab, both themes.

Usage (from the repository root, after ``scripts/dev install``)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [OUT_DIR]

Writes ``main-<tab>-<theme>.png`` into OUT_DIR (default ``docs/screenshots``). It runs
the same ``CompanionApp`` as ``companion --demo`` against the in-process simulator, waits
for the panels to fill, and grabs the main window with ``QWidget.grab()``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from companion.app import CompanionApp


async def start_demo(app: QApplication) -> tuple[CompanionApp, asyncio.Task[int]]:
    """Start the real app in demo mode and wait (10 s at most) until it has signed in.

    Returns the app and the task running it (await it after ``request_quit``).
    """
    from companion.app import CompanionApp, parse_args

    companion = CompanionApp(app, parse_args(["--demo"]))
    runner = asyncio.get_running_loop().create_task(companion.run())
    for _ in range(200):
        await asyncio.sleep(0.05)
        if companion.session is not None and companion.session.user is not None:
            break
    assert companion.sim is not None and companion.window is not None
    return companion, runner


async def _grab(app: QApplication, out_dir: Path) -> None:
    from companion.ui.theme import ThemeChoice, apply_theme

    companion, runner = await start_demo(app)
    assert companion.sim is not None and companion.window is not None
    # Some viewer activity so panels have live data, then let it arrive.
    companion.sim.state.redeem_many(companion.sim.demo_broadcaster_id, 12)
    await asyncio.sleep(2.0)
    window = companion.window
    window.resize(1180, 720)
    for theme in (ThemeChoice.LIGHT, ThemeChoice.DARK):
        apply_theme(app, theme)
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            await asyncio.sleep(0.3)
            name = window.tabs.tabText(index).lower()
            path = out_dir / f"main-{name}-{theme.value}.png"
            window.grab().save(str(path))
            print(path)
    companion.request_quit(0)
    await runner


def main(grab: Callable[[QApplication, Path], Awaitable[None]] = _grab) -> int:
    """Run ``grab`` on the app's loop with a scratch data folder; the other screenshot
    scripts (``overlays_screenshots.py``) call this with their own ``grab``."""
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out_dir.mkdir(parents=True, exist_ok=True)
    # A scratch data folder: screenshots never touch the developer's own settings.
    os.environ.setdefault("COMPANION_DATA_DIR", tempfile.mkdtemp(prefix="companion-shots-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    from companion.qtloop import run

    run(lambda: grab(app, out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
