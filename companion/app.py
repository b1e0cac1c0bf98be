"""Composition root: the QApplication, the qasync loop, services, windows and shutdown.

Only this module creates the event loop. ``main()`` runs :meth:`CompanionApp.run`
on a qasync loop; ``run`` awaits a quit event that the window, the tray, Ctrl+Q or
SIGINT/SIGTERM set, then cancels and awaits every background task before returning
the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING

import qasync
from PySide6.QtWidgets import QApplication

from companion import __version__
from companion.core.logsetup import setup_logging
from companion.core.paths import log_dir
from companion.ui.main_window import EmptyPanel, MainWindow
from companion.ui.theme import ThemeChoice, apply_theme

if TYPE_CHECKING:
    from collections.abc import Coroutine, Sequence
    from typing import Any

_log = logging.getLogger(__name__)

PANEL_TITLES = ("Rewards", "Queue", "Predictions", "Goals", "Extensions")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="companion",
        description="Streamer Companion: a desktop companion for Twitch streamers.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the built-in Twitch simulator with a demo channel (no account needed)",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="show the main window, wait until it has painted, and exit 0 (for packaging checks)",
    )
    parser.add_argument(
        "--theme",
        choices=[choice.value for choice in ThemeChoice],
        default=None,
        help="override the theme for this run (default: the saved choice, which follows the OS)",
    )
    parser.add_argument("--verbose", action="store_true", help="also log to the terminal")
    return parser.parse_args(argv)


class CompanionApp:
    """Owns the window, the services and every background task of one run."""

    def __init__(self, qt_app: QApplication, args: argparse.Namespace) -> None:
        self.qt_app = qt_app
        self.args = args
        self.exit_code = 0
        self._quit = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.window: MainWindow | None = None

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Start a named background task that shutdown cancels and awaits."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            _log.error("background task %s failed", task.get_name(), exc_info=error)
            if self.window is not None:
                self.window.show_notice(f"{task.get_name()} failed: {error}")

    def request_quit(self, exit_code: int = 0) -> None:
        """Ask the app to shut down; safe to call more than once."""
        if not self._quit.is_set():
            _log.info("quit requested (exit code %d)", exit_code)
            self.exit_code = exit_code
            self._quit.set()

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.request_quit)
            except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
                signal.signal(signum, lambda *_: loop.call_soon_threadsafe(self.request_quit))

    def _build_window(self) -> MainWindow:
        message = (
            "Demo mode is starting."
            if self.args.demo
            else "Not signed in. Sign in to see this panel."
        )
        panels = [(title, EmptyPanel(title, message)) for title in PANEL_TITLES]
        window = MainWindow(panels)
        window.close_requested.connect(self.request_quit)
        return window

    async def run(self) -> int:
        """Run until asked to quit, then shut down cleanly. Returns the exit code."""
        self._install_signal_handlers()
        theme = ThemeChoice(self.args.theme) if self.args.theme else ThemeChoice.SYSTEM
        apply_theme(self.qt_app, theme)
        self.window = self._build_window()
        if self.args.smoke_test:
            self.window.first_painted.connect(lambda: self.request_quit(0))
        self.window.show()
        _log.info("main window shown (demo=%s)", self.args.demo)
        try:
            await self._quit.wait()
        finally:
            await self.shutdown()
        return self.exit_code

    async def shutdown(self) -> None:
        """Cancel and await every background task, then close the window."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self.window is not None:
            self.window.hide()
            self.window.deleteLater()
        _log.info("shutdown complete")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``companion`` and ``python -m companion``."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.version:
        print(f"companion {__version__}")
        return 0
    log_path = setup_logging(log_dir(), console=args.verbose)
    _log.info("Streamer Companion %s starting; log file %s", __version__, log_path)
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("Streamer Companion")
    qt_app.setOrganizationName("StreamerCompanion")
    qt_app.setApplicationVersion(__version__)
    # The window's close goes through CompanionApp.request_quit so tasks are awaited first.
    qt_app.setQuitOnLastWindowClosed(False)
    companion = CompanionApp(qt_app, args)
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        code = runner.run(companion.run())
    _log.info("exit code %d", code)
    return code
